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
use crate::derm_coding::{
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

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

impl ProcedureRecord {
    /// Every problem with the record, each under its field's name (nested
    /// fields as `anesthesia.volume_ml`, `stages[1].margins_clear`).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        match self {
            ProcedureRecord::Biopsy(r) => validate_biopsy(&mut e, r),
            ProcedureRecord::Destruction(r) => validate_destruction(&mut e, r),
            ProcedureRecord::Excision(r) => validate_excision(&mut e, r),
            ProcedureRecord::Repair(r) => validate_repair(&mut e, r),
            ProcedureRecord::Mohs(r) => validate_mohs(&mut e, r),
            ProcedureRecord::Injection(r) => validate_injection(&mut e, r),
            ProcedureRecord::Phototherapy(r) => validate_phototherapy(&mut e, r),
        }
        e.into_result(())
    }
}

fn validate_biopsy(e: &mut ValidationErrors, r: &BiopsyRecord) {
    text(
        e,
        "site",
        &r.site,
        "the biopsy site, e.g. \"left cheek\"",
        TEXT_MAX,
    );
    match (r.method, r.punch_mm) {
        (BiopsyMethod::Punch, None) => e.add(
            "punch_mm",
            format!(
                "Enter the punch size in millimetres ({} to {})",
                PUNCH_MM.start(),
                PUNCH_MM.end()
            ),
        ),
        (BiopsyMethod::Punch, Some(mm)) => bounded(
            e,
            "punch_mm",
            mm,
            &PUNCH_MM,
            format!(
                "A punch is {} to {} mm across; enter the tool's size in millimetres",
                PUNCH_MM.start(),
                PUNCH_MM.end()
            ),
        ),
        (_, Some(_)) => e.add(
            "punch_mm",
            "Only a punch biopsy has a punch size; clear it or change the method to punch",
        ),
        (_, None) => {}
    }
    match (r.method, r.depth) {
        (BiopsyMethod::Tangential, None) => e.add(
            "depth",
            "Enter how deep the tangential biopsy went (epidermis, papillary or reticular dermis)",
        ),
        (BiopsyMethod::Tangential, Some(_)) | (_, None) => {}
        (_, Some(_)) => e.add(
            "depth",
            "A punch or incisional biopsy is full thickness; the depth is only for a tangential biopsy",
        ),
    }
    validate_anesthesia(e, &r.anesthesia);
    if let Hemostasis::Sutures { count, material } = &r.hemostasis {
        if r.method == BiopsyMethod::Tangential {
            e.add(
                "hemostasis",
                "A tangential biopsy is not sutured; choose aluminium chloride or electrocautery",
            );
        }
        bounded(
            e,
            "hemostasis.count",
            *count,
            &BIOPSY_SUTURES,
            format!(
                "Enter how many sutures were placed ({} to {})",
                BIOPSY_SUTURES.start(),
                BIOPSY_SUTURES.end()
            ),
        );
        text(
            e,
            "hemostasis.material",
            material,
            "the suture size and material, e.g. \"4-0 nylon\"",
            TEXT_MAX,
        );
    }
    text(
        e,
        "specimen_id",
        &r.specimen_id,
        "the specimen label from the biopsy log",
        TEXT_MAX,
    );
}

fn validate_anesthesia(e: &mut ValidationErrors, a: &Anesthesia) {
    text(
        e,
        "anesthesia.agent",
        &a.agent,
        "the anaesthetic, e.g. \"1% lidocaine with epinephrine\"",
        TEXT_MAX,
    );
    bounded(
        e,
        "anesthesia.volume_ml",
        a.volume_ml.0,
        &ANESTHESIA_TENTHS_ML,
        format!(
            "Enter the volume of anaesthetic in mL, from {} to {}",
            Tenths(*ANESTHESIA_TENTHS_ML.start()),
            Tenths(*ANESTHESIA_TENTHS_ML.end())
        ),
    );
}

fn lesion_count(e: &mut ValidationErrors, count: u32, done: &str) {
    bounded(
        e,
        "lesion_count",
        count,
        &LESIONS,
        format!(
            "Enter how many lesions were {done}, from {} to {}; record more as a second entry",
            LESIONS.start(),
            LESIONS.end()
        ),
    );
}

fn validate_destruction(e: &mut ValidationErrors, r: &DestructionRecord) {
    text(
        e,
        "site",
        &r.site,
        "the treated site, e.g. \"scalp\"",
        TEXT_MAX,
    );
    lesion_count(e, r.lesion_count, "destroyed");
    match (r.method, r.freeze_thaw_cycles) {
        (DestructionMethod::Cryotherapy, None) => e.add(
            "freeze_thaw_cycles",
            format!(
                "Enter the freeze-thaw cycles of the cryotherapy ({} to {})",
                FREEZE_THAW.start(),
                FREEZE_THAW.end()
            ),
        ),
        (DestructionMethod::Cryotherapy, Some(cycles)) => bounded(
            e,
            "freeze_thaw_cycles",
            cycles,
            &FREEZE_THAW,
            format!(
                "Cryotherapy uses {} to {} freeze-thaw cycles; enter the number given",
                FREEZE_THAW.start(),
                FREEZE_THAW.end()
            ),
        ),
        (_, Some(_)) => e.add(
            "freeze_thaw_cycles",
            "Freeze-thaw cycles are only for cryotherapy; clear them or change the method",
        ),
        (_, None) => {}
    }
}

fn validate_excision(e: &mut ValidationErrors, r: &ExcisionRecord) {
    text(
        e,
        "site",
        &r.site,
        "the excision site, e.g. \"left upper back\"",
        TEXT_MAX,
    );
    bounded(
        e,
        "lesion_diameter_mm",
        r.lesion_diameter_mm,
        &LESION_DIAMETER_MM,
        format!(
            "Enter the lesion's greatest diameter in millimetres, measured before excision \
             ({} to {})",
            LESION_DIAMETER_MM.start(),
            LESION_DIAMETER_MM.end()
        ),
    );
    bounded(
        e,
        "margin_mm",
        r.margin_mm,
        &MARGIN_MM,
        format!(
            "Enter the narrowest margin in millimetres ({} to {})",
            MARGIN_MM.start(),
            MARGIN_MM.end()
        ),
    );
    if let Some(at) = &r.orientation_suture {
        text(
            e,
            "orientation_suture",
            at,
            "where the orientation suture was placed, e.g. \"12 o'clock\", or leave it out",
            TEXT_MAX,
        );
    }
    text(
        e,
        "specimen_id",
        &r.specimen_id,
        "the specimen label from the biopsy log",
        TEXT_MAX,
    );
}

fn validate_repair(e: &mut ValidationErrors, r: &RepairRecord) {
    text(
        e,
        "site",
        &r.site,
        "the repair site, e.g. \"left cheek\"",
        TEXT_MAX,
    );
    bounded(
        e,
        "length_mm",
        r.length_mm,
        &REPAIR_LENGTH_MM,
        format!(
            "Enter the repair length in millimetres ({} to {})",
            REPAIR_LENGTH_MM.start(),
            REPAIR_LENGTH_MM.end()
        ),
    );
    if !REPAIR_LAYERS.contains(&r.layers.len()) {
        e.add(
            "layers",
            format!(
                "Enter the suture size of each layer, deepest first ({} to {} layers)",
                REPAIR_LAYERS.start(),
                REPAIR_LAYERS.end()
            ),
        );
    } else if r.class == RepairClass::Simple && r.layers.len() > 1 {
        // A closure in more than one layer is by definition at least an
        // intermediate repair (§2.4), so this is a misclassification.
        e.add(
            "layers",
            "A simple repair is closed in one layer; a layered closure is an intermediate repair",
        );
    }
}

fn validate_mohs(e: &mut ValidationErrors, r: &MohsRecord) {
    text(
        e,
        "site",
        &r.site,
        "the tumour site, e.g. \"right nasal ala\"",
        TEXT_MAX,
    );
    if !MOHS_STAGES.contains(&r.stages.len()) {
        e.add(
            "stages",
            format!(
                "Enter each Mohs stage, first stage first ({} to {} stages)",
                MOHS_STAGES.start(),
                MOHS_STAGES.end()
            ),
        );
    }
    let last = r.stages.len().saturating_sub(1);
    for (i, stage) in r.stages.iter().enumerate() {
        bounded(
            e,
            &format!("stages[{i}].blocks"),
            stage.blocks,
            &MOHS_BLOCKS,
            format!(
                "Enter the tissue blocks of stage {} ({} to {})",
                i + 1,
                MOHS_BLOCKS.start(),
                MOHS_BLOCKS.end()
            ),
        );
        text(
            e,
            &format!("stages[{i}].map"),
            &stage.map,
            "the stage's map: reference marks, ink colours and where tumour remained",
            MAP_MAX,
        );
        if stage.margins_clear && i < last {
            e.add(
                format!("stages[{i}].margins_clear"),
                format!(
                    "Stage {} is marked clear but stage {} follows it; a clear stage ends the \
                     case, so mark this stage not clear or remove the later stages",
                    i + 1,
                    i + 2
                ),
            );
        }
    }
    bounded(
        e,
        "final_defect_mm",
        r.final_defect_mm,
        &MOHS_DEFECT_MM,
        format!(
            "Enter the final defect's greatest dimension in millimetres ({} to {})",
            MOHS_DEFECT_MM.start(),
            MOHS_DEFECT_MM.end()
        ),
    );
}

fn validate_injection(e: &mut ValidationErrors, r: &InjectionRecord) {
    text(
        e,
        "drug",
        &r.drug,
        "the drug injected, e.g. \"triamcinolone acetonide\"",
        TEXT_MAX,
    );
    text(
        e,
        "site",
        &r.site,
        "the injected site, e.g. \"left earlobe keloid\"",
        TEXT_MAX,
    );
    bounded(
        e,
        "concentration_mg_ml",
        r.concentration_mg_ml.0,
        &INJECTION_TENTHS_MG_ML,
        format!(
            "Enter the concentration in mg/mL, from {} to {} (triamcinolone is 2.5 to 40)",
            Tenths(*INJECTION_TENTHS_MG_ML.start()),
            Tenths(*INJECTION_TENTHS_MG_ML.end())
        ),
    );
    bounded(
        e,
        "volume_ml",
        r.volume_ml.0,
        &INJECTION_TENTHS_ML,
        format!(
            "Enter the total volume injected in mL, from {} to {}",
            Tenths(*INJECTION_TENTHS_ML.start()),
            Tenths(*INJECTION_TENTHS_ML.end())
        ),
    );
    lesion_count(e, r.lesion_count, "injected");
}

fn validate_phototherapy(e: &mut ValidationErrors, r: &PhototherapyRecord) {
    let max = session_dose_max(r.kind);
    let unit_hint = if r.kind == PhototherapyKind::Puva {
        " (PUVA doses in J/cm² × 1,000)"
    } else {
        ""
    };
    bounded(
        e,
        "dose_mj_cm2",
        r.dose_mj_cm2,
        &(1..=max),
        format!(
            "Enter the dose in mJ/cm²{unit_hint}, from 1 to {max} for {}; a larger figure is \
             almost always a typing error or a dose in the wrong unit",
            r.kind.label()
        ),
    );
    match (r.kind, r.area_sq_cm) {
        (PhototherapyKind::Excimer { .. }, None) => e.add(
            "area_sq_cm",
            "Enter the area the excimer laser treated in square centimetres; the code depends on it",
        ),
        (_, Some(area)) => bounded(
            e,
            "area_sq_cm",
            area,
            &PHOTO_AREA_SQ_CM,
            format!(
                "Enter the treated area in square centimetres, from {} to {} (about an \
                 adult's whole skin)",
                PHOTO_AREA_SQ_CM.start(),
                PHOTO_AREA_SQ_CM.end()
            ),
        ),
        (_, None) => {}
    }
    if let Some(seconds) = r.duration_s {
        bounded(
            e,
            "duration_s",
            seconds,
            &PHOTO_DURATION_S,
            format!(
                "Enter the exposure time in seconds, from {} to {} (one hour), or leave it out",
                PHOTO_DURATION_S.start(),
                PHOTO_DURATION_S.end()
            ),
        );
    }
}

// ---------------------------------------------------------------------------
// Note text
// ---------------------------------------------------------------------------

impl ProcedureRecord {
    /// The paragraph for the chart. Free text is trimmed but otherwise
    /// written as entered.
    pub fn note_text(&self) -> String {
        match self {
            ProcedureRecord::Biopsy(r) => biopsy_note(r),
            ProcedureRecord::Destruction(r) => destruction_note(r),
            ProcedureRecord::Excision(r) => excision_note(r),
            ProcedureRecord::Repair(r) => repair_note(r),
            ProcedureRecord::Mohs(r) => mohs_note(r),
            ProcedureRecord::Injection(r) => injection_note(r),
            ProcedureRecord::Phototherapy(r) => phototherapy_note(r),
        }
    }
}

/// "1 lesion", "3 lesions".
fn count(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn biopsy_note(r: &BiopsyRecord) -> String {
    let site = r.site.trim();
    let first = match r.method {
        BiopsyMethod::Punch => match r.punch_mm {
            Some(mm) => format!("Punch biopsy, {mm} mm, of {site}."),
            None => format!("Punch biopsy of {site}."),
        },
        BiopsyMethod::Tangential => match r.depth {
            Some(depth) => format!(
                "Tangential (shave) biopsy to the {} of {site}.",
                depth.label().to_lowercase()
            ),
            None => format!("Tangential (shave) biopsy of {site}."),
        },
        BiopsyMethod::Incisional => format!("Incisional biopsy of {site}."),
    };
    let hemostasis = match &r.hemostasis {
        Hemostasis::AluminiumChloride => "Hemostasis: aluminium chloride.".to_string(),
        Hemostasis::Electrocautery => "Hemostasis: electrocautery.".to_string(),
        Hemostasis::Sutures { count: n, material } => format!(
            "Hemostasis and closure: {} of {}.",
            count(*n, "suture", "sutures"),
            material.trim()
        ),
    };
    format!(
        "{first} Anesthesia: {} mL of {}. {hemostasis} Specimen {} sent to pathology.",
        r.anesthesia.volume_ml,
        r.anesthesia.agent.trim(),
        r.specimen_id.trim()
    )
}

fn destruction_note(r: &DestructionRecord) -> String {
    let lesions = count(
        r.lesion_count,
        &format!("{} lesion", r.kind.label()),
        &format!("{} lesions", r.kind.label()),
    );
    let cycles = r
        .freeze_thaw_cycles
        .map(|n| format!(", {}", count(n, "freeze-thaw cycle", "freeze-thaw cycles")))
        .unwrap_or_default();
    format!(
        "Destruction of {lesions} of {} by {}{cycles}.",
        r.site.trim(),
        r.method.label().to_lowercase()
    )
}

fn excision_note(r: &ExcisionRecord) -> String {
    let excised = excised_diameter_mm(r.lesion_diameter_mm, r.margin_mm);
    let orientation = r
        .orientation_suture
        .as_deref()
        .map(|at| format!(" Orientation suture at {}.", at.trim()))
        .unwrap_or_default();
    format!(
        "Excision of lesion of {} ({}): lesion {} mm with {} mm margins, excised diameter {excised} \
         mm.{orientation} Closure: {}. Specimen {} sent to pathology. Pathology: {}.",
        r.site.trim(),
        r.site_group.label(),
        r.lesion_diameter_mm,
        r.margin_mm,
        lower_first(r.closure.label()),
        r.specimen_id.trim(),
        r.behaviour.label().to_lowercase()
    )
}

/// A label in the middle of a sentence: only the first letter lowered, so
/// abbreviations inside it keep their capitals.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

fn repair_note(r: &RepairRecord) -> String {
    let sizes: Vec<&str> = r.layers.iter().map(|s| s.as_str()).collect();
    let layers = u32::try_from(r.layers.len()).unwrap_or(u32::MAX);
    let deepest = if r.layers.len() > 1 {
        ", deepest first"
    } else {
        ""
    };
    format!(
        "{} repair of {}, {} mm long, closed in {} (sutures {}{deepest}).",
        capitalised(r.class.label()),
        r.site.trim(),
        r.length_mm,
        count(layers, "layer", "layers"),
        sizes.join(", ")
    )
}

fn mohs_note(r: &MohsRecord) -> String {
    let mut parts = vec![format!(
        "Mohs micrographic surgery of {} ({}).",
        r.site.trim(),
        r.site_group.label()
    )];
    for (i, stage) in r.stages.iter().enumerate() {
        parts.push(format!(
            "Stage {}: {}, margins {}; map: {}.",
            i + 1,
            count(stage.blocks, "block", "blocks"),
            if stage.margins_clear {
                "clear"
            } else {
                "involved"
            },
            stage.map.trim().trim_end_matches('.')
        ));
    }
    parts.push(format!("Final defect {} mm.", r.final_defect_mm));
    let n = r.stages.len();
    parts.push(if r.complete() {
        format!("Margins clear after stage {n}: Mohs complete.")
    } else {
        format!("Margins still involved after stage {n}: Mohs incomplete.")
    });
    parts.join(" ")
}

fn injection_note(r: &InjectionRecord) -> String {
    // Tenths times tenths gives hundredths of a milligram, exactly.
    let total_mg = u64::from(r.concentration_mg_ml.0) * u64::from(r.volume_ml.0);
    format!(
        "Intralesional injection of {} {} mg/mL, {} mL in total ({} mg), into {} of {}.",
        r.drug.trim(),
        r.concentration_mg_ml,
        r.volume_ml,
        decimal(total_mg, 2),
        count(r.lesion_count, "lesion", "lesions"),
        r.site.trim()
    )
}

fn phototherapy_note(r: &PhototherapyRecord) -> String {
    let mut first = capitalised(r.kind.label());
    if let Some(area) = r.area_sq_cm {
        first.push_str(&format!(" over {area} sq cm"));
    }
    first.push_str(&format!(", {} mJ/cm²", r.dose_mj_cm2));
    if r.kind == PhototherapyKind::Puva {
        // PUVA is prescribed in J/cm², so the familiar unit is shown beside
        // the stored one.
        first.push_str(&format!(
            " ({} J/cm²)",
            decimal(u64::from(r.dose_mj_cm2), 3)
        ));
    }
    if let Some(seconds) = r.duration_s {
        first.push_str(&format!(", {} min {} s", seconds / 60, seconds % 60));
    }
    let skin = r
        .skin_type
        .map(|t| format!(" Skin type {}.", t.label()))
        .unwrap_or_default();
    format!(
        "{first}.{skin} Erythema since the previous session: grade {}.",
        r.erythema_since_last.label()
    )
}

// ---------------------------------------------------------------------------
// Coding
// ---------------------------------------------------------------------------

impl ProcedureRecord {
    /// The coding engine's row for this record.
    pub fn coding(&self) -> Procedure {
        match self {
            ProcedureRecord::Biopsy(r) => Procedure::Biopsy {
                method: r.method,
                site: r.site.trim().to_string(),
            },
            ProcedureRecord::Destruction(r) => Procedure::Destruction {
                kind: r.kind,
                count: r.lesion_count,
            },
            ProcedureRecord::Excision(r) => Procedure::Excision {
                malignant: match r.behaviour {
                    ExcisionBehaviour::Benign => Some(false),
                    ExcisionBehaviour::Malignant => Some(true),
                    ExcisionBehaviour::Pending => None,
                },
                site: r.site_group,
                lesion_diameter_mm: r.lesion_diameter_mm,
                margin_mm: r.margin_mm,
            },
            ProcedureRecord::Repair(r) => Procedure::Repair {
                class: r.class,
                site: r.site_group,
                length_mm: r.length_mm,
            },
            ProcedureRecord::Mohs(r) => Procedure::Mohs {
                site: r.site_group,
                stages: r.stages.iter().map(|s| s.blocks).collect(),
            },
            ProcedureRecord::Injection(r) => Procedure::IntralesionalInjection {
                lesions: r.lesion_count,
            },
            ProcedureRecord::Phototherapy(r) => Procedure::Phototherapy {
                kind: r.kind,
                area_sq_cm: r.area_sq_cm,
            },
        }
    }
}

/// The coding session for a visit's records, after validating every record;
/// errors are named `records[i].field` so a form can point at the record.
pub fn session_from_records(
    records: &[ProcedureRecord],
    separate_em: Option<EmCode>,
) -> Result<Session, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (i, record) in records.iter().enumerate() {
        if let Err(found) = record.validate() {
            for error in found.errors {
                errors.add(format!("records[{i}].{}", error.field), error.message);
            }
        }
    }
    errors.into_result(Session {
        procedures: records.iter().map(ProcedureRecord::coding).collect(),
        separate_em,
    })
}

// ---------------------------------------------------------------------------
// Phototherapy cumulative dose
// ---------------------------------------------------------------------------

/// A course's configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhototherapyLimits {
    /// The course's maximum cumulative dose; reaching it blocks the session
    /// until a clinician decides.
    pub max_cumulative_mj_cm2: u64,
    /// The share of the maximum (for example 80) from which each session
    /// warns that the maximum is near.
    pub warn_at_percent: u32,
    /// The largest step up from the previous session's dose the protocol
    /// allows, in percent (for example 20).
    pub max_increase_percent: u32,
}

/// Something the clinician must see before giving a dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseAlert {
    /// The cumulative dose has reached the warning share of the maximum.
    NearMaximum {
        cumulative_mj_cm2: u64,
        max_mj_cm2: u64,
        percent: u64,
    },
    /// The cumulative dose has reached or passed the maximum.
    MaximumReached {
        cumulative_mj_cm2: u64,
        max_mj_cm2: u64,
    },
    /// The dose rose more over the previous session than the protocol
    /// allows.
    IncreaseTooLarge {
        previous_mj_cm2: u32,
        new_mj_cm2: u32,
        /// The increase rounded up, so it is never shown as within the
        /// limit when it is not.
        increase_percent: u64,
        allowed_percent: u32,
    },
    /// The previous session left erythema of grade 2 or more.
    Erythema { grade: ErythemaGrade },
}

impl DoseAlert {
    /// Whether the session should not go ahead without a clinician's
    /// decision, rather than merely being warned about.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            DoseAlert::MaximumReached { .. }
                | DoseAlert::Erythema {
                    grade: ErythemaGrade::Severe
                }
        )
    }

    /// What happened and what to do, in a sentence for the clinician.
    pub fn message(&self) -> String {
        match self {
            DoseAlert::NearMaximum {
                cumulative_mj_cm2,
                max_mj_cm2,
                percent,
            } => format!(
                "Cumulative dose {cumulative_mj_cm2} mJ/cm² is {percent}% of the course maximum \
                 {max_mj_cm2} mJ/cm²; plan the end of the course"
            ),
            DoseAlert::MaximumReached {
                cumulative_mj_cm2,
                max_mj_cm2,
            } => format!(
                "Cumulative dose {cumulative_mj_cm2} mJ/cm² reaches the course maximum \
                 {max_mj_cm2} mJ/cm²; do not treat until a clinician reviews the course"
            ),
            DoseAlert::IncreaseTooLarge {
                previous_mj_cm2,
                new_mj_cm2,
                increase_percent,
                allowed_percent,
            } => format!(
                "The dose rises {increase_percent}% from {previous_mj_cm2} to {new_mj_cm2} mJ/cm², \
                 more than the {allowed_percent}% step the protocol allows; check the dose"
            ),
            DoseAlert::Erythema { grade } => {
                let advice = if *grade == ErythemaGrade::Severe {
                    "withhold treatment until it settles, then resume at a reduced dose"
                } else {
                    "hold the dose or reduce it; do not raise it"
                };
                format!(
                    "Erythema grade {} after the previous session: {advice}",
                    grade.label()
                )
            }
        }
    }
}

/// The course's cumulative dose with a new session, and the alerts for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseCheck {
    pub cumulative_mj_cm2: u64,
    pub alerts: Vec<DoseAlert>,
}

/// Adds `new_dose_mj_cm2` to the doses of the course's earlier sessions
/// (oldest first) and checks it against `limits`.
///
/// The maximum alerts fire on every session whose total is at or past the
/// threshold, not only the one that crosses it, because a course that goes
/// on past its maximum needs the warning each time. `NearMaximum` and
/// `MaximumReached` never come together: the second replaces the first.
pub fn check_dose(
    prior_doses_mj_cm2: &[u32],
    new_dose_mj_cm2: u32,
    erythema_since_last: ErythemaGrade,
    limits: &PhototherapyLimits,
) -> DoseCheck {
    // A u64 total of u32 doses cannot overflow in any real course (it
    // would take four billion sessions of the largest dose), so the sum is
    // exact; the final add saturates only to rule out a panic.
    let cumulative = prior_doses_mj_cm2
        .iter()
        .map(|d| u64::from(*d))
        .sum::<u64>()
        .saturating_add(u64::from(new_dose_mj_cm2));
    let max = limits.max_cumulative_mj_cm2;
    let mut alerts = Vec::new();
    if cumulative >= max {
        alerts.push(DoseAlert::MaximumReached {
            cumulative_mj_cm2: cumulative,
            max_mj_cm2: max,
        });
    } else if u128::from(cumulative) * 100 >= u128::from(max) * u128::from(limits.warn_at_percent) {
        // `max` is above `cumulative` here, so it is not zero.
        alerts.push(DoseAlert::NearMaximum {
            cumulative_mj_cm2: cumulative,
            max_mj_cm2: max,
            percent: cumulative.saturating_mul(100) / max,
        });
    }
    if let Some(&previous) = prior_doses_mj_cm2.last() {
        let (prev, new) = (u64::from(previous), u64::from(new_dose_mj_cm2));
        if prev > 0 && new > prev {
            let rise = (new - prev) * 100;
            if rise > prev * u64::from(limits.max_increase_percent) {
                alerts.push(DoseAlert::IncreaseTooLarge {
                    previous_mj_cm2: previous,
                    new_mj_cm2: new_dose_mj_cm2,
                    increase_percent: rise.div_ceil(prev),
                    allowed_percent: limits.max_increase_percent,
                });
            }
        }
    }
    if erythema_since_last >= ErythemaGrade::Defined {
        alerts.push(DoseAlert::Erythema {
            grade: erythema_since_last,
        });
    }
    DoseCheck {
        cumulative_mj_cm2: cumulative,
        alerts,
    }
}
