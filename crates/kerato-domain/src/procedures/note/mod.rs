//! Procedure templates that write the note: one structured record per
//! procedure a dermatologist documents (biopsy, destruction, excision,
//! repair, Mohs, intralesional injection, phototherapy), each of which can
//! check itself, write its paragraph for the chart, and give the coding
//! engine its row.
//!
//! Writing the note from the same record the charge is coded from keeps the
//! two from disagreeing: a punch size, a lesion count or a repair length is
//! typed once, and what the payer is billed for is exactly what the chart
//! says was done (dermatology research note, §2 "structured procedure facts
//! per lesion" and §5).
//!
//! The note text is deterministic (the same record always writes the same
//! words), so it can be signed, compared and tested exactly.
//!
//! # Phototherapy doses
//!
//! [`check_dose`] keeps the running cumulative dose of a course and raises
//! the alerts the research note asks for (§1.5): near and at the configured
//! maximum, a step up larger than the protocol allows, and erythema after
//! the previous session. Every dose is in mJ/cm², PUVA included (1 J/cm² =
//! 1,000 mJ/cm²), so a course never mixes units.

use std::fmt;
use std::ops::RangeInclusive;

use crate::ValidationErrors;
use crate::procedures::coding::{
    BiopsyMethod, DestructionKind, EmCode, ExcisionSite, MohsSite, PhototherapyKind, Procedure,
    RepairClass, RepairSite, Session, excised_diameter_mm,
};

// ---------------------------------------------------------------------------
// Quantities and word sets
// ---------------------------------------------------------------------------

/// A quantity in tenths of its unit (0.5 mL is `Tenths(5)`): volumes and
/// concentrations need one decimal, and whole tenths keep arithmetic and
/// the note text exact where a float would not be.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Tenths(pub u32);

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&decimal(u64::from(self.0), 1))
    }
}

/// `value` with `places` implied decimals, without trailing zeros, so the
/// note reads "1 mL" and "0.5 mL" rather than "1.0 mL".
fn decimal(value: u64, places: u32) -> String {
    let scale = 10u64.pow(places);
    let (whole, frac) = (value / scale, value % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:0width$}", width = places as usize);
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

string_enum!(
    /// How deep a tangential biopsy went.
    TangentialDepth {
        Epidermis = "epidermis", "Epidermis";
        PapillaryDermis = "papillary_dermis", "Papillary dermis";
        ReticularDermis = "reticular_dermis", "Reticular dermis";
    }
);

string_enum!(
    /// How a lesion was destroyed.
    DestructionMethod {
        Cryotherapy = "cryotherapy", "Cryotherapy with liquid nitrogen";
        ElectrodesiccationCurettage = "electrodesiccation_curettage", "Electrodesiccation and curettage";
        Laser = "laser", "Laser";
        Chemical = "chemical", "Chemical cautery";
    }
);

string_enum!(
    /// An excised lesion's behaviour, from the pathology report once it
    /// arrives; the coding engine holds the charge while it is pending.
    ExcisionBehaviour {
        Benign = "benign", "Benign";
        Malignant = "malignant", "Malignant";
        Pending = "pending", "Pending";
    }
);

string_enum!(
    /// How an excision wound was closed. A layered or complex closure is
    /// its own repair record, because it is coded separately (§2.3).
    ExcisionClosure {
        Simple = "simple", "Simple closure, included in the excision";
        SeparateRepair = "separate_repair", "Layered or complex repair, documented in its own repair record";
        SecondIntention = "second_intention", "Left to heal by second intention";
    }
);

string_enum!(
    /// A suture's USP size.
    SutureSize {
        TwoZero = "2-0", "2-0";
        ThreeZero = "3-0", "3-0";
        FourZero = "4-0", "4-0";
        FiveZero = "5-0", "5-0";
        SixZero = "6-0", "6-0";
        SevenZero = "7-0", "7-0";
    }
);

string_enum!(
    /// Erythema seen at this visit from the previous session's exposure,
    /// on the usual 0 to 3 phototherapy scale.
    ErythemaGrade {
        Absent = "0", "0 (none)";
        Minimal = "1", "1 (minimal, barely perceptible)";
        Defined = "2", "2 (well defined)";
        Severe = "3", "3 (painful or blistering)";
    }
);

string_enum!(
    /// Fitzpatrick skin phototype.
    SkinType {
        TypeI = "I", "I";
        TypeII = "II", "II";
        TypeIII = "III", "III";
        TypeIV = "IV", "IV";
        TypeV = "V", "V";
        TypeVI = "VI", "VI";
    }
);

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// The local anaesthetic given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anesthesia {
    /// For example "1% lidocaine with epinephrine".
    pub agent: String,
    pub volume_ml: Tenths,
}

/// How bleeding was stopped after a biopsy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hemostasis {
    AluminiumChloride,
    Electrocautery,
    /// Sutures, which close a punch or incisional biopsy as well; a
    /// tangential biopsy is never sutured.
    Sutures {
        count: u32,
        /// Size and material, for example "4-0 nylon".
        material: String,
    },
}

/// A skin biopsy as documented.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BiopsyRecord {
    pub method: BiopsyMethod,
    /// The documented site, for example "left cheek".
    pub site: String,
    /// Punch diameter; required for a punch biopsy and only for one.
    pub punch_mm: Option<u32>,
    /// Depth; required for a tangential biopsy and only for one.
    pub depth: Option<TangentialDepth>,
    pub anesthesia: Anesthesia,
    pub hemostasis: Hemostasis,
    /// The specimen's label as the biopsy log issued it.
    pub specimen_id: String,
}

/// Destruction of premalignant or benign lesions at one site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DestructionRecord {
    pub kind: DestructionKind,
    pub method: DestructionMethod,
    pub site: String,
    pub lesion_count: u32,
    /// Required for cryotherapy and only for it.
    pub freeze_thaw_cycles: Option<u32>,
}

/// The excision of one lesion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExcisionRecord {
    pub behaviour: ExcisionBehaviour,
    /// The CPT site group the code is chosen by.
    pub site_group: ExcisionSite,
    pub site: String,
    /// Greatest clinical diameter, measured before excision.
    pub lesion_diameter_mm: u32,
    /// Narrowest margin taken around the lesion.
    pub margin_mm: u32,
    /// Where the orientation suture was placed (for example "12 o'clock"),
    /// if one was.
    pub orientation_suture: Option<String>,
    pub closure: ExcisionClosure,
    pub specimen_id: String,
}

/// The repair of one wound.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepairRecord {
    pub class: RepairClass,
    /// The site the coding engine derives the repair group from.
    pub site_group: RepairSite,
    pub site: String,
    pub length_mm: u32,
    /// The suture size of each layer, deepest first; the layer count is the
    /// length of the list.
    pub layers: Vec<SutureSize>,
}

/// One stage of a Mohs case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MohsStage {
    pub blocks: u32,
    pub margins_clear: bool,
    /// The stage's map in words: reference marks, ink colours, where tumour
    /// remained.
    pub map: String,
}

/// One Mohs case: one tumour, its stages and the final defect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MohsRecord {
    pub site_group: MohsSite,
    pub site: String,
    /// First stage first. Only the last stage may be clear, because a clear
    /// stage ends the case.
    pub stages: Vec<MohsStage>,
    /// Greatest dimension of the final defect.
    pub final_defect_mm: u32,
}

impl MohsRecord {
    /// Whether the last stage cleared the margins; an incomplete case is
    /// valid (the patient may have stopped), and its note says so.
    pub fn complete(&self) -> bool {
        self.stages.last().is_some_and(|s| s.margins_clear)
    }
}

/// Intralesional injection of one drug into one or more lesions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InjectionRecord {
    /// For example "triamcinolone acetonide".
    pub drug: String,
    pub concentration_mg_ml: Tenths,
    /// Total volume injected across all lesions.
    pub volume_ml: Tenths,
    pub lesion_count: u32,
    pub site: String,
}

/// One phototherapy session of a course.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhototherapyRecord {
    pub kind: PhototherapyKind,
    /// Area treated; required for the excimer laser, whose code depends on
    /// it.
    pub area_sq_cm: Option<u32>,
    /// The dose delivered, in mJ/cm² for every kind (PUVA's J/cm² × 1,000).
    pub dose_mj_cm2: u32,
    /// Erythema seen today from the previous session.
    pub erythema_since_last: ErythemaGrade,
    pub skin_type: Option<SkinType>,
    /// Exposure time, when the unit reports one.
    pub duration_s: Option<u32>,
}

/// One documented procedure, one variant per template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureRecord {
    Biopsy(BiopsyRecord),
    Destruction(DestructionRecord),
    Excision(ExcisionRecord),
    Repair(RepairRecord),
    Mohs(MohsRecord),
    Injection(InjectionRecord),
    Phototherapy(PhototherapyRecord),
}

// ---------------------------------------------------------------------------
// Bounds
// ---------------------------------------------------------------------------

// The bounds refuse figures no real procedure has, which are almost always
// typing errors or a value in the wrong unit; they are wide enough never to
// refuse a real case.

const TEXT_MAX: usize = 200;
const MAP_MAX: usize = 1000;
/// Punch tools are made from 2 to 8 mm.
const PUNCH_MM: RangeInclusive<u32> = 2..=8;
const ANESTHESIA_TENTHS_ML: RangeInclusive<u32> = 1..=500;
const BIOPSY_SUTURES: RangeInclusive<u32> = 1..=20;
const LESIONS: RangeInclusive<u32> = 1..=100;
const FREEZE_THAW: RangeInclusive<u32> = 1..=3;
const LESION_DIAMETER_MM: RangeInclusive<u32> = 1..=300;
const MARGIN_MM: RangeInclusive<u32> = 0..=30;
const REPAIR_LENGTH_MM: RangeInclusive<u32> = 1..=500;
const REPAIR_LAYERS: RangeInclusive<usize> = 1..=4;
const MOHS_STAGES: RangeInclusive<usize> = 1..=20;
const MOHS_BLOCKS: RangeInclusive<u32> = 1..=30;
const MOHS_DEFECT_MM: RangeInclusive<u32> = 1..=200;
const INJECTION_TENTHS_MG_ML: RangeInclusive<u32> = 1..=500;
const INJECTION_TENTHS_ML: RangeInclusive<u32> = 1..=100;
/// An adult's whole skin is about 18,000 sq cm.
const PHOTO_AREA_SQ_CM: RangeInclusive<u32> = 1..=20_000;
const PHOTO_DURATION_S: RangeInclusive<u32> = 1..=3600;

/// The largest single-session dose accepted for each kind, in mJ/cm². These
/// are ceilings against typing errors, not clinical maxima (the course's
/// protocol sets those): the usual UVB protocols cap a session at no more
/// than 5,000 even for the darkest skin types, PUVA sessions stay at or
/// below about 20 J/cm², and excimer doses, multiples of a plaque's minimal
/// erythema dose, stay below 10,000.
fn session_dose_max(kind: PhototherapyKind) -> u32 {
    match kind {
        PhototherapyKind::Uvb | PhototherapyKind::Goeckerman => 5_000,
        PhototherapyKind::Puva => 20_000,
        PhototherapyKind::Excimer { .. } => 10_000,
    }
}

/// Checks that a required text is present and not overlong.
fn text(e: &mut ValidationErrors, field: &str, value: &str, what: &str, max: usize) {
    let value = value.trim();
    if value.is_empty() {
        e.add(field, format!("Enter {what}"));
    } else if value.chars().count() > max {
        e.add(
            field,
            format!("Shorten this to at most {max} characters; it is {what}"),
        );
    }
}

/// Checks that a number lies in `range`; `message` says what to enter and
/// names the bounds.
fn bounded<T: PartialOrd>(
    e: &mut ValidationErrors,
    field: &str,
    value: T,
    range: &RangeInclusive<T>,
    message: String,
) {
    if !range.contains(&value) {
        e.add(field, message);
    }
}

mod dose;
mod text;
mod validate;

pub use dose::*;
pub use text::*;
