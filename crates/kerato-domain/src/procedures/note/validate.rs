//! Each record checks itself, naming every field that is wrong.

use super::*;

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

pub(super) fn validate_biopsy(e: &mut ValidationErrors, r: &BiopsyRecord) {
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

pub(super) fn validate_anesthesia(e: &mut ValidationErrors, a: &Anesthesia) {
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

pub(super) fn lesion_count(e: &mut ValidationErrors, count: u32, done: &str) {
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

pub(super) fn validate_destruction(e: &mut ValidationErrors, r: &DestructionRecord) {
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

pub(super) fn validate_excision(e: &mut ValidationErrors, r: &ExcisionRecord) {
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

pub(super) fn validate_repair(e: &mut ValidationErrors, r: &RepairRecord) {
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

pub(super) fn validate_mohs(e: &mut ValidationErrors, r: &MohsRecord) {
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

pub(super) fn validate_injection(e: &mut ValidationErrors, r: &InjectionRecord) {
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

pub(super) fn validate_phototherapy(e: &mut ValidationErrors, r: &PhototherapyRecord) {
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
