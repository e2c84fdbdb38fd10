//! The paragraph each record writes for the chart, and the row it gives the coding engine.

use super::*;

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
pub(super) fn count(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

pub(super) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

pub(super) fn biopsy_note(r: &BiopsyRecord) -> String {
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

pub(super) fn destruction_note(r: &DestructionRecord) -> String {
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

pub(super) fn excision_note(r: &ExcisionRecord) -> String {
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
pub(super) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

pub(super) fn repair_note(r: &RepairRecord) -> String {
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

pub(super) fn mohs_note(r: &MohsRecord) -> String {
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

pub(super) fn injection_note(r: &InjectionRecord) -> String {
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

pub(super) fn phototherapy_note(r: &PhototherapyRecord) -> String {
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
