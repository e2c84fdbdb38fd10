//! The code tables: CPT codes by technique, site and band.

use super::*;

/// A code with our own short description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRow {
    pub code: &'static str,
    pub summary: &'static str,
}

pub(super) const fn row(code: &'static str, summary: &'static str) -> CodeRow {
    CodeRow { code, summary }
}

/// Biopsy codes as (primary, add-on) per method, in hierarchy order from
/// lowest to highest so the primary is the last method present.
pub(super) const BIOPSY: [(BiopsyMethod, CodeRow, CodeRow); 3] = [
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

pub(super) const DESTRUCTION_PREMALIGNANT_FIRST: CodeRow =
    row("17000", "Destroy premalignant lesion, first");
pub(super) const DESTRUCTION_PREMALIGNANT_EACH: CodeRow =
    row("17003", "Destroy premalignant lesions 2 to 14, each");
pub(super) const DESTRUCTION_PREMALIGNANT_15: CodeRow =
    row("17004", "Destroy premalignant lesions, 15 or more");
pub(super) const DESTRUCTION_BENIGN_UP_TO_14: CodeRow =
    row("17110", "Destroy benign lesions, up to 14");
pub(super) const DESTRUCTION_BENIGN_15: CodeRow =
    row("17111", "Destroy benign lesions, 15 or more");

/// Lesion count from which the single "15 or more" code replaces the per
/// lesion codes.
pub const DESTRUCTION_MANY: u32 = 15;

pub(super) const INJECTION_UP_TO_7: CodeRow =
    row("11900", "Intralesional injection, up to 7 lesions");
pub(super) const INJECTION_OVER_7: CodeRow =
    row("11901", "Intralesional injection, more than 7 lesions");

/// The most lesions 11900 covers; from one more, 11901 replaces it.
pub const INJECTION_SMALL_MAX: u32 = 7;

pub(super) const PHOTO_UVB: CodeRow = row("96900", "UV actinotherapy (UVB), per session");
pub(super) const PHOTO_GOECKERMAN: CodeRow =
    row("96910", "Tar or petrolatum with UVB (Goeckerman)");
pub(super) const PHOTO_PUVA: CodeRow = row("96912", "Psoralen with UVA (PUVA)");
pub(super) const PHOTO_UNLISTED: CodeRow = row("96999", "Unlisted dermatological service");

/// Excimer laser codes for psoriasis by total area treated: (inclusive upper
/// edge in sq cm, code), the last band open-ended. "Under 250" ends at 249
/// and "250 to 500" includes 500, so whole square centimetres fall on
/// exactly one band.
pub(super) const EXCIMER: [(Option<u32>, CodeRow); 3] = [
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
pub(super) const EXCISION_BAND_EDGES_MM: [(u32, ExcisionBand); 5] = [
    (5, ExcisionBand::UpTo0_5),
    (10, ExcisionBand::From0_6To1_0),
    (20, ExcisionBand::From1_1To2_0),
    (30, ExcisionBand::From2_1To3_0),
    (40, ExcisionBand::From3_1To4_0),
];

pub(super) const fn excision_row(
    summary: &'static str,
    codes: [&'static str; 6],
) -> (&'static str, [&'static str; 6]) {
    (summary, codes)
}

/// Benign excision codes by site group (rows) and diameter band (columns).
pub(super) const EXCISION_BENIGN: [(&str, [&str; 6]); 3] = [
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
pub(super) const EXCISION_MALIGNANT: [(&str, [&str; 6]); 3] = [
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
pub(super) struct RepairBands {
    pub(super) summary: &'static str,
    pub(super) bands: &'static [(Option<u32>, &'static str)],
}

pub(super) const SIMPLE_BODY: RepairBands = RepairBands {
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
pub(super) const SIMPLE_FACE: RepairBands = RepairBands {
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
pub(super) const INTERMEDIATE_BODY: RepairBands = RepairBands {
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
pub(super) const INTERMEDIATE_NECK: RepairBands = RepairBands {
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
pub(super) const INTERMEDIATE_FACE: RepairBands = RepairBands {
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
pub(super) struct ComplexCodes {
    pub(super) summary: &'static str,
    pub(super) small: &'static str,
    pub(super) large: &'static str,
    pub(super) add_on: &'static str,
}

pub(super) const COMPLEX_TRUNK: ComplexCodes = ComplexCodes {
    summary: "Complex repair, trunk",
    small: "13100",
    large: "13101",
    add_on: "13102",
};
pub(super) const COMPLEX_SCALP: ComplexCodes = ComplexCodes {
    summary: "Complex repair, scalp/arms/legs",
    small: "13120",
    large: "13121",
    add_on: "13122",
};
pub(super) const COMPLEX_FOREHEAD: ComplexCodes = ComplexCodes {
    summary: "Complex repair, forehead/cheeks/chin/mouth/neck/axillae/genitalia/hands/feet",
    small: "13131",
    large: "13132",
    add_on: "13133",
};
pub(super) const COMPLEX_EYELIDS: ComplexCodes = ComplexCodes {
    summary: "Complex repair, eyelids/nose/ears/lips",
    small: "13151",
    large: "13152",
    add_on: "13153",
};

/// Complex repairs of 1.0 cm or less have no complex code; CPT sends them to
/// the simple or intermediate codes.
pub(super) const COMPLEX_MIN_MM: u32 = 11;
pub(super) const COMPLEX_SMALL_MAX_MM: u32 = 25;
pub(super) const COMPLEX_LARGE_MAX_MM: u32 = 75;
pub(super) const COMPLEX_ADD_ON_STEP_MM: u32 = 50;

pub(super) const MOHS_HEAD_FIRST: CodeRow =
    row("17311", "Mohs, head/neck/hands/feet/genitalia, first stage");
pub(super) const MOHS_HEAD_STAGE: CodeRow = row(
    "17312",
    "Mohs, head/neck/hands/feet/genitalia, each further stage",
);
pub(super) const MOHS_TRUNK_FIRST: CodeRow = row("17313", "Mohs, trunk/arms/legs, first stage");
pub(super) const MOHS_TRUNK_STAGE: CodeRow =
    row("17314", "Mohs, trunk/arms/legs, each further stage");
pub(super) const MOHS_BLOCK: CodeRow = row("17315", "Mohs, each block beyond five in a stage");

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
pub(super) const BUNDLED_PAIRS: [(Family, Family); 3] = [
    (Family::Biopsy, Family::DestructionPremalignant),
    (Family::Excision, Family::Biopsy),
    (Family::Mohs, Family::Biopsy),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
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
