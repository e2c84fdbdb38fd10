//! Dermatology procedure coding: turns the structured facts of one session
//! (biopsies, destructions, excisions, repairs, Mohs cases and an optional
//! separately identifiable E/M visit) into CPT charge lines with units,
//! modifiers and a rationale a coder can check.
//!
//! The engine is deterministic: the same session always gives the same
//! lines in the same order, so a coder reviewing a claim and a test reading
//! it see the same thing.
//!
//! # Sources
//!
//! The rules follow the dermatology billing research note
//! (`shared/domain/dermatology-billing.md`, §2), which cites the AAD,
//! AAPC and payer policies for each of them:
//!
//! - **Biopsy** (§2.1): one primary code per session, for the highest
//!   technique in the order incisional (11106) > punch (11104) >
//!   tangential (11102); every other biopsy is an add-on of its own
//!   technique (11107, 11105, 11103). AAD, "Biopsy coding in 2019, part 3"
//!   gives the same examples (one incisional + two tangential = 11106,
//!   11103 ×2).
//! - **Destruction** (§2.2): premalignant lesions are 17000 for the first,
//!   17003 per lesion for lesions 2 to 14, and 17004 alone (one unit,
//!   replacing the whole construct) from 15 lesions. Benign lesions are one
//!   unit per session: 17110 up to 14 lesions, 17111 from 15.
//! - **Excision** (§2.3): excised diameter = greatest lesion diameter + 2 ×
//!   narrowest margin; behaviour comes from pathology, never suspicion, so an
//!   excision whose pathology is pending is held; the code is chosen by
//!   behaviour, site group and diameter band. Excisions are never summed.
//! - **Repair** (§2.4): lengths of repairs of the same class in the same
//!   anatomic group are summed, then coded by length band. The anatomic
//!   groups differ by class, so the input names the site and the engine
//!   derives the group for the repair's class.
//! - **Mohs** (§2.5): 17311/17313 for the first stage by site, 17312/17314
//!   per additional stage, and 17315 per block beyond the fifth in any
//!   stage, summed across stages.
//! - **Intralesional injection**: 11900 for up to and including seven
//!   lesions, 11901 for more than seven, one unit per session, so rows are
//!   added together like benign destructions. These two codes are standard
//!   CPT; the research note does not cover them.
//! - **Phototherapy** (§1.5): 96900 UV actinotherapy (broadband or
//!   narrowband UVB), 96910 Goeckerman (tar or petrolatum with UVB), 96912
//!   PUVA, and the excimer laser by total area treated: 96920 under 250 sq
//!   cm, 96921 from 250 to 500, 96922 over 500. Since 2024 the excimer
//!   codes are for psoriasis only, and some payers (Aetna) want the unlisted
//!   96999 for vitiligo and other conditions, so a non-psoriasis excimer
//!   session is coded 96999 with a rationale that sends the coder to the
//!   payer's policy. Each kind is billed once per session.
//! - **Modifiers** (§2.6): -25 on the E/M only; 59 or XS (a per-payer
//!   setting) on the column-two code of a pair that would otherwise bundle.
//!
//! The individual CPT codes inside each range (for example that the 1.1 to
//! 2.0 cm band of a malignant facial excision is 11642) are standard CPT
//! structure; the note gives the ranges and band edges. The descriptions in
//! the tables are our own short summaries, not the AMA descriptors.
//!
//! # Measurements
//!
//! Lengths and diameters are whole millimetres. The CPT bands are written in
//! tenths of a centimetre (0.5, 0.6 to 1.0, …), so whole millimetres fall on
//! exactly one band each, and no rounding rule is needed.
//!
//! # What the caller must guarantee
//!
//! Each procedure row is a separate lesion or wound. A biopsy of a lesion
//! that is then excised in the same session is part of the excision and must
//! not be entered as a row of its own; a simple closure of an excision or a
//! punch biopsy is included in that procedure and must not be entered as a
//! repair. The engine cannot see that two rows are the same lesion, so it
//! trusts the rows it is given.

use std::collections::BTreeMap;

use crate::error::ValidationErrors;

/// The code a held line carries: the line is kept on the claim so it is not
/// forgotten, but its real code cannot be chosen yet, and `hold` says why.
/// A placeholder that is not a CPT code cannot be sent by mistake, because
/// the claim builder refuses lines with a hold.
pub const HELD_CODE: &str = "HELD";

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

/// How a skin biopsy was taken (§2.1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum BiopsyMethod {
    /// Shave, scoop, saucerization or curette: partial thickness.
    Tangential,
    /// Punch: full thickness, simple closure included.
    Punch,
    /// Incisional (wedge): full thickness, simple closure included.
    Incisional,
}

/// Which family of benign or premalignant lesions was destroyed (§2.2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DestructionKind {
    /// Premalignant lesions such as actinic keratoses (17000 family).
    Premalignant,
    /// Benign lesions other than skin tags and vascular lesions: warts,
    /// molluscum, seborrheic keratoses (17110 family).
    BenignOther,
}

/// The excision site groups, the same three for benign and malignant
/// lesions (§2.3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ExcisionSite {
    TrunkArmsLegs,
    ScalpNeckHandsFeetGenitalia,
    FaceEarsEyelidsNoseLipsMucous,
}

/// How a wound was closed (§2.4).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RepairClass {
    Simple,
    Intermediate,
    Complex,
}

/// Where a repair was done. CPT groups repair sites differently for each
/// class (the neck sits with the trunk for simple repairs, with the hands for
/// intermediate ones and with the cheeks for complex ones), so the input
/// names the site and [`repair_group`] derives the group for the class.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RepairSite {
    Scalp,
    Neck,
    Axilla,
    Trunk,
    /// Arms and legs, not the hands or feet.
    ArmLeg,
    HandFoot,
    ExternalGenitalia,
    Forehead,
    Cheek,
    Chin,
    Mouth,
    Eyelid,
    Nose,
    Ear,
    Lip,
    MucousMembrane,
}

/// The Mohs site categories (§2.5).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MohsSite {
    /// Head, neck, hands, feet, genitalia, or any site directly involving
    /// muscle, cartilage, bone, tendon, major nerves or vessels.
    HeadNeckHandsFeetGenitalia,
    TrunkArmsLegs,
}

/// How a phototherapy session was delivered (§1.5).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PhototherapyKind {
    /// Broadband or narrowband UVB (actinotherapy).
    Uvb,
    /// Crude coal tar or petrolatum with UVB.
    Goeckerman,
    /// Psoralen with UVA (photochemotherapy).
    Puva,
    /// 308 nm excimer laser to targeted plaques; whether the condition
    /// treated is psoriasis decides the code, because the excimer codes have
    /// been psoriasis-only since 2024.
    Excimer { psoriasis: bool },
}

/// One procedure performed in the session; each row is one lesion or wound,
/// except destructions and injections, which carry a count, and
/// phototherapy, which is one treatment of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Procedure {
    Biopsy {
        method: BiopsyMethod,
        /// The documented site, used only in the rationale.
        site: String,
    },
    Destruction {
        kind: DestructionKind,
        /// Lesions destroyed; several rows of one kind are added together
        /// because the codes count lesions per session.
        count: u32,
    },
    Excision {
        /// Behaviour from the pathology report; `None` while pathology is
        /// pending, which holds the line.
        malignant: Option<bool>,
        site: ExcisionSite,
        /// Greatest clinical diameter of the lesion, before excision.
        lesion_diameter_mm: u32,
        /// Narrowest margin taken around the lesion.
        margin_mm: u32,
    },
    Repair {
        class: RepairClass,
        site: RepairSite,
        length_mm: u32,
    },
    Mohs {
        site: MohsSite,
        /// Tissue blocks of each stage, first stage first.
        stages: Vec<u32>,
    },
    IntralesionalInjection {
        /// Lesions injected; several rows are added together because the
        /// codes count lesions per session.
        lesions: u32,
    },
    Phototherapy {
        kind: PhototherapyKind,
        /// Total area treated; required for the excimer laser, whose code
        /// depends on it, and ignored for the other kinds.
        area_sq_cm: Option<u32>,
    },
}

/// An office E/M code for a visit the physician documents as significant
/// and separately identifiable from the procedures (§2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EmCode {
    New99202,
    New99203,
    New99204,
    New99205,
    Established99212,
    Established99213,
    Established99214,
    Established99215,
}

impl EmCode {
    pub const ALL: [EmCode; 8] = [
        EmCode::New99202,
        EmCode::New99203,
        EmCode::New99204,
        EmCode::New99205,
        EmCode::Established99212,
        EmCode::Established99213,
        EmCode::Established99214,
        EmCode::Established99215,
    ];

    /// The E/M code with this CPT number, if it is an office visit code.
    pub fn from_code(code: &str) -> Option<EmCode> {
        EmCode::ALL.into_iter().find(|e| e.code() == code.trim())
    }

    pub fn code(self) -> &'static str {
        match self {
            EmCode::New99202 => "99202",
            EmCode::New99203 => "99203",
            EmCode::New99204 => "99204",
            EmCode::New99205 => "99205",
            EmCode::Established99212 => "99212",
            EmCode::Established99213 => "99213",
            EmCode::Established99214 => "99214",
            EmCode::Established99215 => "99215",
        }
    }
}

/// Which modifier a payer wants on a distinct procedure: some payers accept
/// the X-subset (XS, separate structure), others still want 59 (§2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistinctModifier {
    #[default]
    Mod59,
    Xs,
}

impl DistinctModifier {
    /// The modifier named by its code, "59" or "XS".
    pub fn from_code(code: &str) -> Option<DistinctModifier> {
        match code.trim() {
            "59" => Some(DistinctModifier::Mod59),
            "XS" | "xs" => Some(DistinctModifier::Xs),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            DistinctModifier::Mod59 => "59",
            DistinctModifier::Xs => "XS",
        }
    }
}

/// A payer's name as the settings match it: trimmed, spaces collapsed,
/// lower case, so "Blue Cross " and "blue  cross" are one payer.
pub fn normalise_payer(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The payer's coding preferences that change the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PayerCodingSettings {
    pub distinct_modifier: DistinctModifier,
}

/// Everything done in one session for one patient.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Session {
    pub procedures: Vec<Procedure>,
    /// Set only when the note supports an E/M that stands on its own once
    /// the procedures are taken away; the pre-procedure evaluation is part
    /// of every procedure code and is not a visit.
    pub separate_em: Option<EmCode>,
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/// One line of the charge: a CPT code with units and modifiers, why it was
/// chosen, and whether it must wait before the claim goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeLine {
    /// The CPT code, or [`HELD_CODE`] when `hold` is set and no code can be
    /// chosen yet.
    pub code: &'static str,
    pub units: u32,
    pub modifiers: Vec<&'static str>,
    /// A sentence a coder can check against the note; never empty.
    pub rationale: String,
    /// Why the line cannot be billed yet, if it cannot.
    pub hold: Option<String>,
}

impl ChargeLine {
    fn new(code: &'static str, units: u32, rationale: String) -> Self {
        ChargeLine {
            code,
            units,
            modifiers: Vec::new(),
            rationale,
            hold: None,
        }
    }
}

mod bands;
mod engine;
mod tables;

pub use bands::*;
pub use engine::*;
pub use tables::*;
