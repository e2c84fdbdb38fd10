//! The arithmetic the tests check directly (diameters, bands, repair sums), and the plain words rationales use.

use super::*;

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

pub(super) fn site_row(site: ExcisionSite) -> usize {
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
pub(super) fn cm(mm: u32) -> String {
    format!("{}.{} cm", mm / 10, mm % 10)
}
