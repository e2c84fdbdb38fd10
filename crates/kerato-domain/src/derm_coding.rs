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

// ---------------------------------------------------------------------------
// Code tables
// ---------------------------------------------------------------------------

/// A code with our own short description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRow {
    pub code: &'static str,
    pub summary: &'static str,
}

const fn row(code: &'static str, summary: &'static str) -> CodeRow {
    CodeRow { code, summary }
}

/// Biopsy codes as (primary, add-on) per method, in hierarchy order from
/// lowest to highest so the primary is the last method present.
const BIOPSY: [(BiopsyMethod, CodeRow, CodeRow); 3] = [
    (
        BiopsyMethod::Tangential,
        row("11102", "Tangential skin biopsy, first lesion"),
        row("11103", "Tangential skin biopsy, each further lesion"),
    ),
    (
        BiopsyMethod::Punch,
        row("11104", "Punch skin biopsy, first lesion"),
        row("11105", "Punch skin biopsy, each further lesion"),
    ),
    (
        BiopsyMethod::Incisional,
        row("11106", "Incisional skin biopsy, first lesion"),
        row("11107", "Incisional skin biopsy, each further lesion"),
    ),
];

const DESTRUCTION_PREMALIGNANT_FIRST: CodeRow = row("17000", "Destroy premalignant lesion, first");
const DESTRUCTION_PREMALIGNANT_EACH: CodeRow =
    row("17003", "Destroy premalignant lesions 2 to 14, each");
const DESTRUCTION_PREMALIGNANT_15: CodeRow =
    row("17004", "Destroy premalignant lesions, 15 or more");
const DESTRUCTION_BENIGN_UP_TO_14: CodeRow = row("17110", "Destroy benign lesions, up to 14");
const DESTRUCTION_BENIGN_15: CodeRow = row("17111", "Destroy benign lesions, 15 or more");

/// Lesion count from which the single "15 or more" code replaces the per
/// lesion codes.
pub const DESTRUCTION_MANY: u32 = 15;

const INJECTION_UP_TO_7: CodeRow = row("11900", "Intralesional injection, up to 7 lesions");
const INJECTION_OVER_7: CodeRow = row("11901", "Intralesional injection, more than 7 lesions");

/// The most lesions 11900 covers; from one more, 11901 replaces it.
pub const INJECTION_SMALL_MAX: u32 = 7;

const PHOTO_UVB: CodeRow = row("96900", "UV actinotherapy (UVB), per session");
const PHOTO_GOECKERMAN: CodeRow = row("96910", "Tar or petrolatum with UVB (Goeckerman)");
const PHOTO_PUVA: CodeRow = row("96912", "Psoralen with UVA (PUVA)");
const PHOTO_UNLISTED: CodeRow = row("96999", "Unlisted dermatological service");

/// Excimer laser codes for psoriasis by total area treated: (inclusive upper
/// edge in sq cm, code), the last band open-ended. "Under 250" ends at 249
/// and "250 to 500" includes 500, so whole square centimetres fall on
/// exactly one band.
const EXCIMER: [(Option<u32>, CodeRow); 3] = [
    (
        Some(249),
        row("96920", "Excimer laser for psoriasis, under 250 sq cm"),
    ),
    (
        Some(500),
        row("96921", "Excimer laser for psoriasis, 250 to 500 sq cm"),
    ),
    (
        None,
        row("96922", "Excimer laser for psoriasis, over 500 sq cm"),
    ),
];

/// The excision diameter bands; the index is the column of the excision
/// tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExcisionBand {
    UpTo0_5,
    From0_6To1_0,
    From1_1To2_0,
    From2_1To3_0,
    From3_1To4_0,
    Over4_0,
}

/// Upper edges (inclusive, mm) of every band but the last, which is open.
const EXCISION_BAND_EDGES_MM: [(u32, ExcisionBand); 5] = [
    (5, ExcisionBand::UpTo0_5),
    (10, ExcisionBand::From0_6To1_0),
    (20, ExcisionBand::From1_1To2_0),
    (30, ExcisionBand::From2_1To3_0),
    (40, ExcisionBand::From3_1To4_0),
];

const fn excision_row(
    summary: &'static str,
    codes: [&'static str; 6],
) -> (&'static str, [&'static str; 6]) {
    (summary, codes)
}

/// Benign excision codes by site group (rows) and diameter band (columns).
const EXCISION_BENIGN: [(&str, [&str; 6]); 3] = [
    excision_row(
        "Excise benign lesion, trunk/arms/legs",
        ["11400", "11401", "11402", "11403", "11404", "11406"],
    ),
    excision_row(
        "Excise benign lesion, scalp/neck/hands/feet/genitalia",
        ["11420", "11421", "11422", "11423", "11424", "11426"],
    ),
    excision_row(
        "Excise benign lesion, face/ears/eyelids/nose/lips/mucosa",
        ["11440", "11441", "11442", "11443", "11444", "11446"],
    ),
];

/// Malignant excision codes by site group (rows) and diameter band (columns).
const EXCISION_MALIGNANT: [(&str, [&str; 6]); 3] = [
    excision_row(
        "Excise malignant lesion, trunk/arms/legs",
        ["11600", "11601", "11602", "11603", "11604", "11606"],
    ),
    excision_row(
        "Excise malignant lesion, scalp/neck/hands/feet/genitalia",
        ["11620", "11621", "11622", "11623", "11624", "11626"],
    ),
    excision_row(
        "Excise malignant lesion, face/ears/eyelids/nose/lips/mucosa",
        ["11640", "11641", "11642", "11643", "11644", "11646"],
    ),
];

/// The anatomic group a repair is summed and coded in; each class has its
/// own groups (§2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RepairGroup {
    /// Scalp, neck, axillae, external genitalia, trunk, extremities
    /// including hands and feet.
    SimpleBodyLimbs,
    /// Face, ears, eyelids, nose, lips, mucous membranes.
    SimpleFace,
    /// Scalp, axillae, trunk, extremities except hands and feet.
    IntermediateScalpTrunkLimbs,
    /// Neck, hands, feet, external genitalia.
    IntermediateNeckHandsFeetGenitalia,
    /// Face, ears, eyelids, nose, lips, mucous membranes.
    IntermediateFace,
    ComplexTrunk,
    ComplexScalpArmsLegs,
    /// Forehead, cheeks, chin, mouth, neck, axillae, genitalia, hands, feet.
    ComplexForeheadCheeksNeckHandsFeet,
    /// Eyelids, nose, ears, lips.
    ComplexEyelidsNoseEarsLips,
}

/// A banded repair family: (inclusive upper edge in mm, code), the last band
/// open-ended.
struct RepairBands {
    summary: &'static str,
    bands: &'static [(Option<u32>, &'static str)],
}

const SIMPLE_BODY: RepairBands = RepairBands {
    summary: "Simple repair, body/limbs/scalp/neck",
    bands: &[
        (Some(25), "12001"),
        (Some(75), "12002"),
        (Some(125), "12004"),
        (Some(200), "12005"),
        (Some(300), "12006"),
        (None, "12007"),
    ],
};
const SIMPLE_FACE: RepairBands = RepairBands {
    summary: "Simple repair, face/ears/eyelids/nose/lips/mucosa",
    bands: &[
        (Some(25), "12011"),
        (Some(50), "12013"),
        (Some(75), "12014"),
        (Some(125), "12015"),
        (Some(200), "12016"),
        (Some(300), "12017"),
        (None, "12018"),
    ],
};
const INTERMEDIATE_BODY: RepairBands = RepairBands {
    summary: "Layered repair, scalp/axillae/trunk/limbs",
    bands: &[
        (Some(25), "12031"),
        (Some(75), "12032"),
        (Some(125), "12034"),
        (Some(200), "12035"),
        (Some(300), "12036"),
        (None, "12037"),
    ],
};
const INTERMEDIATE_NECK: RepairBands = RepairBands {
    summary: "Layered repair, neck/hands/feet/genitalia",
    bands: &[
        (Some(25), "12041"),
        (Some(75), "12042"),
        (Some(125), "12044"),
        (Some(200), "12045"),
        (Some(300), "12046"),
        (None, "12047"),
    ],
};
const INTERMEDIATE_FACE: RepairBands = RepairBands {
    summary: "Layered repair, face/ears/eyelids/nose/lips/mucosa",
    bands: &[
        (Some(25), "12051"),
        (Some(50), "12052"),
        (Some(75), "12053"),
        (Some(125), "12054"),
        (Some(200), "12055"),
        (Some(300), "12056"),
        (None, "12057"),
    ],
};

/// A complex repair family: first band 1.1 to 2.5 cm, second 2.6 to 7.5 cm,
/// then an add-on per further 5 cm or part of it.
struct ComplexCodes {
    summary: &'static str,
    small: &'static str,
    large: &'static str,
    add_on: &'static str,
}

const COMPLEX_TRUNK: ComplexCodes = ComplexCodes {
    summary: "Complex repair, trunk",
    small: "13100",
    large: "13101",
    add_on: "13102",
};
const COMPLEX_SCALP: ComplexCodes = ComplexCodes {
    summary: "Complex repair, scalp/arms/legs",
    small: "13120",
    large: "13121",
    add_on: "13122",
};
const COMPLEX_FOREHEAD: ComplexCodes = ComplexCodes {
    summary: "Complex repair, forehead/cheeks/chin/mouth/neck/axillae/genitalia/hands/feet",
    small: "13131",
    large: "13132",
    add_on: "13133",
};
const COMPLEX_EYELIDS: ComplexCodes = ComplexCodes {
    summary: "Complex repair, eyelids/nose/ears/lips",
    small: "13151",
    large: "13152",
    add_on: "13153",
};

/// Complex repairs of 1.0 cm or less have no complex code; CPT sends them to
/// the simple or intermediate codes.
const COMPLEX_MIN_MM: u32 = 11;
const COMPLEX_SMALL_MAX_MM: u32 = 25;
const COMPLEX_LARGE_MAX_MM: u32 = 75;
const COMPLEX_ADD_ON_STEP_MM: u32 = 50;

const MOHS_HEAD_FIRST: CodeRow = row("17311", "Mohs, head/neck/hands/feet/genitalia, first stage");
const MOHS_HEAD_STAGE: CodeRow = row(
    "17312",
    "Mohs, head/neck/hands/feet/genitalia, each further stage",
);
const MOHS_TRUNK_FIRST: CodeRow = row("17313", "Mohs, trunk/arms/legs, first stage");
const MOHS_TRUNK_STAGE: CodeRow = row("17314", "Mohs, trunk/arms/legs, each further stage");
const MOHS_BLOCK: CodeRow = row("17315", "Mohs, each block beyond five in a stage");

/// Blocks a Mohs stage code includes; each block beyond is a 17315 unit.
pub const MOHS_BLOCKS_PER_STAGE: u32 = 5;

/// Which procedure families bundle under NCCI when billed in one session,
/// as (column one, column two): the distinct-procedure modifier goes on the
/// column-two family's codes. Each row rests on a source:
///
/// - biopsy with premalignant destruction: the note's §2.6 example
///   (`11102, 17000-59`) and AAD "When modifier 59 is not enough" (2013),
///   which put the modifier on 17000/17003;
/// - excision or Mohs with a biopsy of a separate lesion: NCCI policy manual
///   chapter 1, as quoted by AAPC ("Bundled or separate biopsy depends on
///   circumstances"): the more extensive procedure is reported without a
///   modifier and the biopsy carries 59.
///
/// Pairs the note does not support (benign destruction with a biopsy,
/// repairs after Mohs) are left out rather than guessed.
const BUNDLED_PAIRS: [(Family, Family); 3] = [
    (Family::Biopsy, Family::DestructionPremalignant),
    (Family::Excision, Family::Biopsy),
    (Family::Mohs, Family::Biopsy),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Biopsy,
    DestructionPremalignant,
    Excision,
    Mohs,
}

/// Our short description of a code this engine can produce.
pub fn describe(code: &str) -> Option<&'static str> {
    let mut rows: Vec<CodeRow> = BIOPSY.iter().flat_map(|(_, p, a)| [*p, *a]).collect();
    rows.extend([
        DESTRUCTION_PREMALIGNANT_FIRST,
        DESTRUCTION_PREMALIGNANT_EACH,
        DESTRUCTION_PREMALIGNANT_15,
        DESTRUCTION_BENIGN_UP_TO_14,
        DESTRUCTION_BENIGN_15,
        MOHS_HEAD_FIRST,
        MOHS_HEAD_STAGE,
        MOHS_TRUNK_FIRST,
        MOHS_TRUNK_STAGE,
        MOHS_BLOCK,
        INJECTION_UP_TO_7,
        INJECTION_OVER_7,
        PHOTO_UVB,
        PHOTO_GOECKERMAN,
        PHOTO_PUVA,
        PHOTO_UNLISTED,
    ]);
    rows.extend(EXCIMER.iter().map(|(_, r)| *r));
    if let Some(found) = rows.iter().find(|r| r.code == code) {
        return Some(found.summary);
    }
    for (summary, codes) in EXCISION_BENIGN.iter().chain(EXCISION_MALIGNANT.iter()) {
        if codes.contains(&code) {
            return Some(summary);
        }
    }
    for bands in [
        &SIMPLE_BODY,
        &SIMPLE_FACE,
        &INTERMEDIATE_BODY,
        &INTERMEDIATE_NECK,
        &INTERMEDIATE_FACE,
    ] {
        if bands.bands.iter().any(|(_, c)| *c == code) {
            return Some(bands.summary);
        }
    }
    for complex in [
        &COMPLEX_TRUNK,
        &COMPLEX_SCALP,
        &COMPLEX_FOREHEAD,
        &COMPLEX_EYELIDS,
    ] {
        if [complex.small, complex.large, complex.add_on].contains(&code) {
            return Some(complex.summary);
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Arithmetic the tests check directly
// ---------------------------------------------------------------------------

/// Excised diameter: the lesion's greatest diameter plus the narrowest margin
/// on both sides (§2.3). Saturates rather than overflowing, since no real
/// measurement comes near `u32::MAX` millimetres and a panic would be worse.
pub fn excised_diameter_mm(lesion_diameter_mm: u32, margin_mm: u32) -> u32 {
    lesion_diameter_mm.saturating_add(margin_mm.saturating_mul(2))
}

/// The CPT band an excised diameter falls in.
pub fn excision_band(excised_mm: u32) -> ExcisionBand {
    EXCISION_BAND_EDGES_MM
        .iter()
        .find(|(edge, _)| excised_mm <= *edge)
        .map_or(ExcisionBand::Over4_0, |(_, band)| *band)
}

/// The excision code for a known behaviour, site group and excised diameter.
pub fn excision_code(malignant: bool, site: ExcisionSite, excised_mm: u32) -> &'static str {
    let table = if malignant {
        &EXCISION_MALIGNANT
    } else {
        &EXCISION_BENIGN
    };
    table[site_row(site)].1[excision_band(excised_mm) as usize]
}

fn site_row(site: ExcisionSite) -> usize {
    match site {
        ExcisionSite::TrunkArmsLegs => 0,
        ExcisionSite::ScalpNeckHandsFeetGenitalia => 1,
        ExcisionSite::FaceEarsEyelidsNoseLipsMucous => 2,
    }
}

/// The excimer laser code for psoriasis over `area_sq_cm` in total.
pub fn excimer_code(area_sq_cm: u32) -> &'static str {
    EXCIMER
        .iter()
        .find(|(edge, _)| edge.is_none_or(|edge| area_sq_cm <= edge))
        .map_or(PHOTO_UNLISTED.code, |(_, r)| r.code)
}

/// The group a repair of `class` at `site` is summed in, or `None` when CPT
/// has no group for it (a complex repair of a mucous membrane).
pub fn repair_group(class: RepairClass, site: RepairSite) -> Option<RepairGroup> {
    use RepairSite::*;
    let face = matches!(
        site,
        Forehead | Cheek | Chin | Mouth | Eyelid | Nose | Ear | Lip | MucousMembrane
    );
    Some(match class {
        RepairClass::Simple if face => RepairGroup::SimpleFace,
        RepairClass::Simple => RepairGroup::SimpleBodyLimbs,
        RepairClass::Intermediate if face => RepairGroup::IntermediateFace,
        RepairClass::Intermediate => match site {
            Neck | HandFoot | ExternalGenitalia => RepairGroup::IntermediateNeckHandsFeetGenitalia,
            _ => RepairGroup::IntermediateScalpTrunkLimbs,
        },
        RepairClass::Complex => match site {
            Trunk => RepairGroup::ComplexTrunk,
            Scalp | ArmLeg => RepairGroup::ComplexScalpArmsLegs,
            Forehead | Cheek | Chin | Mouth | Neck | Axilla | ExternalGenitalia | HandFoot => {
                RepairGroup::ComplexForeheadCheeksNeckHandsFeet
            }
            Eyelid | Nose | Ear | Lip => RepairGroup::ComplexEyelidsNoseEarsLips,
            MucousMembrane => return None,
        },
    })
}

/// Total repair length per group: the lengths of repairs in the same class
/// and the same group added together (§2.4). Repairs without a group are
/// left out; [`code_session`] holds them instead.
pub fn sum_repairs(repairs: &[(RepairClass, RepairSite, u32)]) -> BTreeMap<RepairGroup, u32> {
    let mut totals = BTreeMap::new();
    for (class, site, length_mm) in repairs {
        if let Some(group) = repair_group(*class, *site) {
            let total: &mut u32 = totals.entry(group).or_insert(0);
            *total = total.saturating_add(*length_mm);
        }
    }
    totals
}

/// The codes for one group's total repair length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairCoding {
    /// Position of the length band within the group's family, counting from
    /// zero; it never falls as the length grows.
    pub band: usize,
    /// The primary code, or `None` for a complex repair too short to have a
    /// complex code.
    pub primary: Option<&'static str>,
    /// A complex add-on code and its units, when the length passes 7.5 cm.
    pub add_on: Option<(&'static str, u32)>,
}

/// The code(s) for `total_mm` of repair in `group`.
pub fn repair_coding(group: RepairGroup, total_mm: u32) -> RepairCoding {
    let banded = |bands: &RepairBands| {
        let (band, code) = bands
            .bands
            .iter()
            .enumerate()
            .find(|(_, (edge, _))| edge.is_none_or(|edge| total_mm <= edge))
            .map_or((bands.bands.len(), None), |(i, (_, code))| (i, Some(*code)));
        RepairCoding {
            band,
            primary: code,
            add_on: None,
        }
    };
    let complex = |codes: &ComplexCodes| {
        if total_mm < COMPLEX_MIN_MM {
            RepairCoding {
                band: 0,
                primary: None,
                add_on: None,
            }
        } else if total_mm <= COMPLEX_SMALL_MAX_MM {
            RepairCoding {
                band: 1,
                primary: Some(codes.small),
                add_on: None,
            }
        } else {
            let extra = total_mm.saturating_sub(COMPLEX_LARGE_MAX_MM);
            let units = extra.div_ceil(COMPLEX_ADD_ON_STEP_MM);
            RepairCoding {
                band: 2,
                primary: Some(codes.large),
                add_on: (units > 0).then_some((codes.add_on, units)),
            }
        }
    };
    match group {
        RepairGroup::SimpleBodyLimbs => banded(&SIMPLE_BODY),
        RepairGroup::SimpleFace => banded(&SIMPLE_FACE),
        RepairGroup::IntermediateScalpTrunkLimbs => banded(&INTERMEDIATE_BODY),
        RepairGroup::IntermediateNeckHandsFeetGenitalia => banded(&INTERMEDIATE_NECK),
        RepairGroup::IntermediateFace => banded(&INTERMEDIATE_FACE),
        RepairGroup::ComplexTrunk => complex(&COMPLEX_TRUNK),
        RepairGroup::ComplexScalpArmsLegs => complex(&COMPLEX_SCALP),
        RepairGroup::ComplexForeheadCheeksNeckHandsFeet => complex(&COMPLEX_FOREHEAD),
        RepairGroup::ComplexEyelidsNoseEarsLips => complex(&COMPLEX_EYELIDS),
    }
}

// ---------------------------------------------------------------------------
// Labels for rationales
// ---------------------------------------------------------------------------

// Rationales are read by coders, so they use plain words rather than the
// Rust variant names.

impl BiopsyMethod {
    pub fn label(self) -> &'static str {
        match self {
            BiopsyMethod::Tangential => "tangential",
            BiopsyMethod::Punch => "punch",
            BiopsyMethod::Incisional => "incisional",
        }
    }
}

impl DestructionKind {
    pub fn label(self) -> &'static str {
        match self {
            DestructionKind::Premalignant => "premalignant",
            DestructionKind::BenignOther => "benign",
        }
    }
}

impl PhototherapyKind {
    pub fn label(self) -> &'static str {
        match self {
            PhototherapyKind::Uvb => "UVB phototherapy",
            PhototherapyKind::Goeckerman => "Goeckerman therapy (tar with UVB)",
            PhototherapyKind::Puva => "PUVA photochemotherapy",
            PhototherapyKind::Excimer { psoriasis: true } => "excimer laser for psoriasis",
            PhototherapyKind::Excimer { psoriasis: false } => {
                "excimer laser for a condition other than psoriasis"
            }
        }
    }
}

impl ExcisionSite {
    pub fn label(self) -> &'static str {
        match self {
            ExcisionSite::TrunkArmsLegs => "trunk/arms/legs",
            ExcisionSite::ScalpNeckHandsFeetGenitalia => "scalp/neck/hands/feet/genitalia",
            ExcisionSite::FaceEarsEyelidsNoseLipsMucous => {
                "face/ears/eyelids/nose/lips/mucous membrane"
            }
        }
    }
}

impl RepairClass {
    pub fn label(self) -> &'static str {
        match self {
            RepairClass::Simple => "simple",
            RepairClass::Intermediate => "intermediate",
            RepairClass::Complex => "complex",
        }
    }
}

impl RepairGroup {
    pub fn label(self) -> &'static str {
        match self {
            RepairGroup::SimpleBodyLimbs => {
                "simple: scalp/neck/axillae/genitalia/trunk/extremities incl. hands and feet"
            }
            RepairGroup::SimpleFace => "simple: face/ears/eyelids/nose/lips/mucous membranes",
            RepairGroup::IntermediateScalpTrunkLimbs => {
                "intermediate: scalp/axillae/trunk/extremities excl. hands and feet"
            }
            RepairGroup::IntermediateNeckHandsFeetGenitalia => {
                "intermediate: neck/hands/feet/external genitalia"
            }
            RepairGroup::IntermediateFace => {
                "intermediate: face/ears/eyelids/nose/lips/mucous membranes"
            }
            RepairGroup::ComplexTrunk => "complex: trunk",
            RepairGroup::ComplexScalpArmsLegs => "complex: scalp/arms/legs",
            RepairGroup::ComplexForeheadCheeksNeckHandsFeet => {
                "complex: forehead/cheeks/chin/mouth/neck/axillae/genitalia/hands/feet"
            }
            RepairGroup::ComplexEyelidsNoseEarsLips => "complex: eyelids/nose/ears/lips",
        }
    }
}

impl MohsSite {
    pub fn label(self) -> &'static str {
        match self {
            MohsSite::HeadNeckHandsFeetGenitalia => "head/neck/hands/feet/genitalia",
            MohsSite::TrunkArmsLegs => "trunk/arms/legs",
        }
    }
}

/// Millimetres written as centimetres with one decimal, as the CPT bands are.
fn cm(mm: u32) -> String {
    format!("{}.{} cm", mm / 10, mm % 10)
}

// ---------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------

/// The charge lines for one session.
///
/// Lines come in a fixed family order (E/M, biopsies, destructions,
/// injections, excisions, repairs, Mohs, phototherapy) so the same session always reads the same; the
/// claim builder orders lines by value when it writes the claim.
///
/// Fails when a row cannot describe a real procedure (a count, diameter,
/// length or block count of zero, a Mohs case without stages, or an excimer
/// session without its area), naming the row so the form can point at it.
pub fn code_session(
    session: &Session,
    payer: &PayerCodingSettings,
) -> Result<Vec<ChargeLine>, ValidationErrors> {
    validate(session)?;

    let mut biopsies: BTreeMap<BiopsyMethod, Vec<&str>> = BTreeMap::new();
    let mut destructions: BTreeMap<DestructionKind, u32> = BTreeMap::new();
    let mut excisions = Vec::new();
    let mut repairs: BTreeMap<RepairGroup, Vec<u32>> = BTreeMap::new();
    let mut ungrouped_repairs = Vec::new();
    let mut mohs = Vec::new();
    let mut injected_lesions: Option<u32> = None;
    // Areas are summed per kind because the excimer codes are chosen by the
    // total area treated in the session; the other kinds ignore them.
    let mut phototherapy: BTreeMap<PhototherapyKind, u32> = BTreeMap::new();
    for procedure in &session.procedures {
        match procedure {
            Procedure::Biopsy { method, site } => {
                biopsies.entry(*method).or_default().push(site.as_str());
            }
            Procedure::Destruction { kind, count } => {
                let total = destructions.entry(*kind).or_insert(0);
                *total = total.saturating_add(*count);
            }
            Procedure::Excision {
                malignant,
                site,
                lesion_diameter_mm,
                margin_mm,
            } => excisions.push((*malignant, *site, *lesion_diameter_mm, *margin_mm)),
            Procedure::Repair {
                class,
                site,
                length_mm,
            } => match repair_group(*class, *site) {
                Some(group) => repairs.entry(group).or_default().push(*length_mm),
                None => ungrouped_repairs.push((*class, *site, *length_mm)),
            },
            Procedure::Mohs { site, stages } => mohs.push((*site, stages.as_slice())),
            Procedure::IntralesionalInjection { lesions } => {
                injected_lesions = Some(injected_lesions.unwrap_or(0).saturating_add(*lesions));
            }
            Procedure::Phototherapy { kind, area_sq_cm } => {
                let total = phototherapy.entry(*kind).or_insert(0);
                *total = total.saturating_add(area_sq_cm.unwrap_or(0));
            }
        }
    }

    let distinct = payer.distinct_modifier.code();
    let present = |family: Family| match family {
        Family::Biopsy => !biopsies.is_empty(),
        Family::DestructionPremalignant => {
            destructions.contains_key(&DestructionKind::Premalignant)
        }
        Family::Excision => !excisions.is_empty(),
        Family::Mohs => !mohs.is_empty(),
    };
    // The column-one family each column-two family bundles into this session,
    // so the modifier's rationale can say what it separates the line from.
    let bundles_into = |family: Family| {
        BUNDLED_PAIRS
            .iter()
            .find(|(one, two)| *two == family && present(*one))
            .map(|(one, _)| *one)
    };

    let mut procedure_lines = Vec::new();
    procedure_lines.extend(biopsy_lines(
        &biopsies,
        bundles_into(Family::Biopsy),
        distinct,
    ));
    procedure_lines.extend(destruction_lines(
        &destructions,
        bundles_into(Family::DestructionPremalignant),
        distinct,
    ));
    procedure_lines.extend(injected_lesions.map(injection_line));
    procedure_lines.extend(excisions.iter().map(|e| excision_line(*e)));
    procedure_lines.extend(repair_lines(&repairs));
    procedure_lines.extend(ungrouped_repairs.iter().map(|(class, site, length)| {
        let mut line = ChargeLine::new(
            HELD_CODE,
            1,
            format!("{} repair of {} at {site:?}", class.label(), cm(*length)),
        );
        line.hold = Some(format!(
            "CPT has no {} repair group for {site:?}; a coder must choose the code",
            class.label()
        ));
        line
    }));
    for (index, (site, stages)) in mohs.iter().enumerate() {
        procedure_lines.extend(mohs_lines(*site, stages, index, distinct));
    }
    procedure_lines.extend(
        phototherapy
            .iter()
            .map(|(kind, area)| phototherapy_line(*kind, *area)),
    );

    let mut lines = Vec::new();
    if let Some(em) = session.separate_em {
        let mut line = ChargeLine::new(em.code(), 1, String::new());
        if procedure_lines.is_empty() {
            line.rationale = "Office visit with no procedure billed the same day".to_string();
        } else {
            line.modifiers.push("25");
            line.rationale = "Separately identifiable office visit on the day of a procedure: \
                              -25 goes on the E/M only"
                .to_string();
        }
        lines.push(line);
    }
    lines.extend(procedure_lines);
    Ok(lines)
}

fn validate(session: &Session) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (i, procedure) in session.procedures.iter().enumerate() {
        let field = |name: &str| format!("procedures[{i}].{name}");
        match procedure {
            Procedure::Biopsy { .. } => {}
            Procedure::Destruction { count, .. } => {
                if *count == 0 {
                    errors.add(
                        field("count"),
                        "Enter how many lesions were destroyed (at least 1)",
                    );
                }
            }
            Procedure::Excision {
                lesion_diameter_mm, ..
            } => {
                if *lesion_diameter_mm == 0 {
                    errors.add(
                        field("lesion_diameter_mm"),
                        "Enter the lesion's greatest diameter in millimetres, measured before excision",
                    );
                }
            }
            Procedure::Repair { length_mm, .. } => {
                if *length_mm == 0 {
                    errors.add(
                        field("length_mm"),
                        "Enter the repair length in millimetres (at least 1)",
                    );
                }
            }
            Procedure::Mohs { stages, .. } => {
                if stages.is_empty() {
                    errors.add(
                        field("stages"),
                        "Enter at least one Mohs stage with its block count",
                    );
                } else if stages.contains(&0) {
                    errors.add(
                        field("stages"),
                        "Every Mohs stage has at least one tissue block",
                    );
                }
            }
            Procedure::IntralesionalInjection { lesions } => {
                if *lesions == 0 {
                    errors.add(
                        field("lesions"),
                        "Enter how many lesions were injected (at least 1)",
                    );
                }
            }
            Procedure::Phototherapy {
                kind: PhototherapyKind::Excimer { .. },
                area_sq_cm,
            } => {
                if area_sq_cm.is_none_or(|area| area == 0) {
                    errors.add(
                        field("area_sq_cm"),
                        "Enter the total area the excimer laser treated in square centimetres \
                         (at least 1); the code depends on it",
                    );
                }
            }
            Procedure::Phototherapy { .. } => {}
        }
    }
    errors.into_result(())
}

fn with_distinct(
    mut line: ChargeLine,
    bundles_into: Option<Family>,
    distinct: &'static str,
) -> ChargeLine {
    if let Some(family) = bundles_into {
        line.modifiers.push(distinct);
        line.rationale.push_str(&format!(
            "; -{distinct}: a separate lesion from the {} billed today, which would otherwise bundle it",
            family_name(family)
        ));
    }
    line
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::Biopsy => "biopsy",
        Family::DestructionPremalignant => "premalignant destruction",
        Family::Excision => "excision",
        Family::Mohs => "Mohs surgery",
    }
}

fn biopsy_lines(
    biopsies: &BTreeMap<BiopsyMethod, Vec<&str>>,
    bundles_into: Option<Family>,
    distinct: &'static str,
) -> Vec<ChargeLine> {
    // The highest method present takes the one primary code of the session.
    let Some(primary_method) = biopsies.keys().next_back().copied() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (method, primary, add_on) in BIOPSY.iter().rev() {
        let Some(sites) = biopsies.get(method) else {
            continue;
        };
        let count = u32::try_from(sites.len()).unwrap_or(u32::MAX);
        let mut add_on_units = count;
        if *method == primary_method {
            add_on_units = count.saturating_sub(1);
            lines.push(ChargeLine::new(
                primary.code,
                1,
                format!(
                    "Primary: {} biopsy ({}); one primary biopsy code per session, for the \
                     highest technique performed (incisional > punch > tangential)",
                    method.label(),
                    sites.first().copied().unwrap_or_default()
                ),
            ));
        }
        if add_on_units > 0 {
            let skip = usize::from(*method == primary_method);
            let listed: Vec<&str> = sites.iter().skip(skip).copied().collect();
            lines.push(ChargeLine::new(
                add_on.code,
                add_on_units,
                format!(
                    "{add_on_units} further {} biopsy(ies) ({}) as the {} \
                     add-on, one unit each",
                    method.label(),
                    listed.join(", "),
                    method.label()
                ),
            ));
        }
    }
    lines
        .into_iter()
        .map(|line| with_distinct(line, bundles_into, distinct))
        .collect()
}

fn destruction_lines(
    destructions: &BTreeMap<DestructionKind, u32>,
    premalignant_bundles_into: Option<Family>,
    distinct: &'static str,
) -> Vec<ChargeLine> {
    let mut lines = Vec::new();
    if let Some(&n) = destructions.get(&DestructionKind::Premalignant) {
        let mut premalignant = Vec::new();
        if n >= DESTRUCTION_MANY {
            premalignant.push(ChargeLine::new(
                DESTRUCTION_PREMALIGNANT_15.code,
                1,
                format!(
                    "{n} premalignant lesions destroyed: 15 or more replaces 17000 + 17003 \
                     with one unit of 17004"
                ),
            ));
        } else {
            premalignant.push(ChargeLine::new(
                DESTRUCTION_PREMALIGNANT_FIRST.code,
                1,
                format!("{n} premalignant lesion(s) destroyed: 17000 for the first"),
            ));
            if n > 1 {
                premalignant.push(ChargeLine::new(
                    DESTRUCTION_PREMALIGNANT_EACH.code,
                    n - 1,
                    format!("Premalignant lesions 2 to {n}: one 17003 unit per lesion"),
                ));
            }
        }
        lines.extend(
            premalignant
                .into_iter()
                .map(|line| with_distinct(line, premalignant_bundles_into, distinct)),
        );
    }
    if let Some(&n) = destructions.get(&DestructionKind::BenignOther) {
        let (row, rule) = if n >= DESTRUCTION_MANY {
            (DESTRUCTION_BENIGN_15, "15 or more")
        } else {
            (DESTRUCTION_BENIGN_UP_TO_14, "up to 14")
        };
        lines.push(ChargeLine::new(
            row.code,
            1,
            format!(
                "{n} benign lesion(s) destroyed: {} covers {rule}, one unit per session",
                row.code
            ),
        ));
    }
    lines
}

fn excision_line(
    (malignant, site, lesion_mm, margin_mm): (Option<bool>, ExcisionSite, u32, u32),
) -> ChargeLine {
    let excised = excised_diameter_mm(lesion_mm, margin_mm);
    let arithmetic = format!(
        "excised diameter {} = {} lesion + 2 × {} margin; {}",
        cm(excised),
        cm(lesion_mm),
        cm(margin_mm),
        site.label()
    );
    match malignant {
        Some(malignant) => {
            let behaviour = if malignant { "malignant" } else { "benign" };
            ChargeLine::new(
                excision_code(malignant, site, excised),
                1,
                format!("{arithmetic}; {behaviour} per pathology"),
            )
        }
        None => {
            let mut line = ChargeLine::new(
                HELD_CODE,
                1,
                format!(
                    "{arithmetic}; {} if benign, {} if malignant",
                    excision_code(false, site, excised),
                    excision_code(true, site, excised)
                ),
            );
            line.hold = Some(
                "Pathology pending: excision behaviour comes from the path report, not suspicion"
                    .to_string(),
            );
            line
        }
    }
}

fn repair_lines(repairs: &BTreeMap<RepairGroup, Vec<u32>>) -> Vec<ChargeLine> {
    let mut lines = Vec::new();
    for (group, lengths) in repairs {
        let total = lengths.iter().fold(0u32, |sum, l| sum.saturating_add(*l));
        let parts: Vec<String> = lengths.iter().map(|l| cm(*l)).collect();
        let summed = if lengths.len() > 1 {
            format!(
                "{} = {} summed within {}",
                cm(total),
                parts.join(" + "),
                group.label()
            )
        } else {
            format!("{} in {}", cm(total), group.label())
        };
        let coding = repair_coding(*group, total);
        match coding.primary {
            Some(code) => {
                lines.push(ChargeLine::new(code, 1, format!("Repair {summed}")));
                if let Some((add_on, units)) = coding.add_on {
                    lines.push(ChargeLine::new(
                        add_on,
                        units,
                        format!(
                            "Repair {summed}: {} beyond 7.5 cm, one add-on unit per 5 cm or part",
                            cm(total.saturating_sub(COMPLEX_LARGE_MAX_MM))
                        ),
                    ));
                }
            }
            None => {
                let mut line = ChargeLine::new(HELD_CODE, 1, format!("Complex repair {summed}"));
                line.hold = Some(
                    "A complex repair of 1.0 cm or less has no complex code; code it as a \
                     simple or intermediate repair"
                        .to_string(),
                );
                lines.push(line);
            }
        }
    }
    lines
}

fn mohs_lines(
    site: MohsSite,
    stages: &[u32],
    case: usize,
    distinct: &'static str,
) -> Vec<ChargeLine> {
    let (first, stage) = match site {
        MohsSite::HeadNeckHandsFeetGenitalia => (MOHS_HEAD_FIRST, MOHS_HEAD_STAGE),
        MohsSite::TrunkArmsLegs => (MOHS_TRUNK_FIRST, MOHS_TRUNK_STAGE),
    };
    let mut lines = Vec::new();
    let mut first_line = ChargeLine::new(
        first.code,
        1,
        format!(
            "Mohs case {} at {}: first stage, up to {MOHS_BLOCKS_PER_STAGE} blocks",
            case + 1,
            site.label()
        ),
    );
    // A second Mohs lesion the same day would bundle into the first without
    // the distinct-procedure modifier (§2.5).
    if case > 0 {
        first_line.modifiers.push(distinct);
        first_line.rationale.push_str(&format!(
            "; -{distinct}: a separate lesion from the first Mohs case"
        ));
    }
    lines.push(first_line);
    let further = u32::try_from(stages.len().saturating_sub(1)).unwrap_or(u32::MAX);
    if further > 0 {
        lines.push(ChargeLine::new(
            stage.code,
            further,
            format!("Mohs case {}: {further} stage(s) after the first", case + 1),
        ));
    }
    let extra: Vec<u32> = stages
        .iter()
        .map(|b| b.saturating_sub(MOHS_BLOCKS_PER_STAGE))
        .collect();
    let extra_blocks = extra.iter().fold(0u32, |sum, b| sum.saturating_add(*b));
    if extra_blocks > 0 {
        let per_stage: Vec<String> = stages.iter().map(u32::to_string).collect();
        lines.push(ChargeLine::new(
            MOHS_BLOCK.code,
            extra_blocks,
            format!(
                "Mohs case {}: blocks per stage {}; {extra_blocks} block(s) beyond \
                 {MOHS_BLOCKS_PER_STAGE} in a stage, summed across stages",
                case + 1,
                per_stage.join(", ")
            ),
        ));
    }
    lines
}

fn injection_line(lesions: u32) -> ChargeLine {
    let (row, rule) = if lesions > INJECTION_SMALL_MAX {
        (INJECTION_OVER_7, "more than 7")
    } else {
        (INJECTION_UP_TO_7, "up to and including 7")
    };
    ChargeLine::new(
        row.code,
        1,
        format!(
            "{lesions} lesion(s) injected intralesionally: {} covers {rule}, one unit per session",
            row.code
        ),
    )
}

fn phototherapy_line(kind: PhototherapyKind, area_sq_cm: u32) -> ChargeLine {
    let once = "billed once per session";
    match kind {
        PhototherapyKind::Uvb => ChargeLine::new(
            PHOTO_UVB.code,
            1,
            format!("UVB actinotherapy: 96900, {once}"),
        ),
        PhototherapyKind::Goeckerman => ChargeLine::new(
            PHOTO_GOECKERMAN.code,
            1,
            format!("Tar or petrolatum with UVB: 96910, {once}"),
        ),
        PhototherapyKind::Puva => ChargeLine::new(
            PHOTO_PUVA.code,
            1,
            format!("Psoralen with UVA: 96912, {once}"),
        ),
        PhototherapyKind::Excimer { psoriasis: true } => {
            let code = excimer_code(area_sq_cm);
            ChargeLine::new(
                code,
                1,
                format!(
                    "Excimer laser for psoriasis over {area_sq_cm} sq cm in total: {code} \
                     (under 250, 250 to 500, over 500 sq cm), {once}"
                ),
            )
        }
        PhototherapyKind::Excimer { psoriasis: false } => ChargeLine::new(
            PHOTO_UNLISTED.code,
            1,
            format!(
                "Excimer laser over {area_sq_cm} sq cm for a condition other than psoriasis: \
                 96920 to 96922 are psoriasis-only since 2024, so the unlisted 96999 is used; \
                 check the payer's policy, since some (Aetna for vitiligo) require 96999 and \
                 others may not cover it"
            ),
        ),
    }
}
