//! The procedure form's input: a procedure record typed on its template's
//! form, parsed once from the form's text, naming every field that is
//! wrong.

use serde::de::value::StrDeserializer;
use serde::de::{DeserializeOwned, IntoDeserializer};

use super::note::{
    Anesthesia, BiopsyRecord, DestructionRecord, ExcisionRecord, Hemostasis, InjectionRecord,
    MohsRecord, MohsStage, PhototherapyRecord, ProcedureRecord, RepairRecord, Tenths,
};
use crate::ValidationErrors;
use crate::ids::{LesionId, LocationId};
use crate::input::ParseInput;

/// A procedure as entered on a patient's chart: on which lesion, where,
/// and the record. The record's own rules ([`ProcedureRecord::validate`])
/// are checked when it is recorded, once the specimen ID is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProcedure {
    pub lesion: Option<LesionId>,
    /// Where it was done: the biopsy log's location and the service date's
    /// time zone.
    pub location: LocationId,
    pub record: ProcedureRecord,
    /// A clinician's reason to give a phototherapy dose that an alert
    /// blocks (the course maximum reached, or erythema of grade 3); it is
    /// written into the note.
    pub dose_override: Option<String>,
}

macro_rules! procedure_fields {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        /// The procedure form's fields as sent, all text; which of them
        /// count depends on `kind`. Vocabulary fields take the domain's
        /// words (`punch`, `premalignant`, `face_ears_eyelids_nose_lips`…).
        #[derive(Debug, Clone, Default, serde::Deserialize)]
        #[serde(default)]
        pub struct ProcedureFields {
            $($(#[$doc])* pub $name: String,)+
        }

        impl ProcedureFields {
            /// A field's text by its form name; "" for a name the form
            /// does not have.
            fn get(&self, name: &str) -> &str {
                match name {
                    $(stringify!($name) => &self.$name,)+
                    _ => "",
                }
            }
        }
    };
}

procedure_fields!(
    /// biopsy, destruction, excision, repair, mohs, injection or
    /// phototherapy.
    kind,
    location_id,
    /// One of the patient's active lesions, or empty.
    lesion_id,
    dose_override,
    site,
    method,
    punch_mm,
    depth,
    anesthesia,
    anesthesia_ml,
    hemostasis,
    suture_count,
    suture_material,
    destruction_kind,
    lesion_count,
    freeze_thaw_cycles,
    behaviour,
    site_group,
    lesion_mm,
    margin_mm,
    closure,
    orientation,
    class,
    length_mm,
    /// Comma-separated repair layers.
    layers,
    /// The blocks of each Mohs stage, comma-separated ("3, 2").
    stage_blocks,
    /// One map description per line, stage by stage.
    maps,
    /// "yes" when the last Mohs stage cleared the margins.
    cleared,
    final_defect_mm,
    drug,
    concentration,
    volume_ml,
    light,
    area_sq_cm,
    dose_mj_cm2,
    erythema,
    skin_type,
    duration_s,
);

/// Reads typed values out of the fields, collecting every problem so the
/// user sees them all at once.
struct Fields<'a> {
    raw: &'a ProcedureFields,
    errors: ValidationErrors,
}

impl Fields<'_> {
    fn text(&self, name: &str) -> String {
        self.raw.get(name).trim().to_string()
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|t| !t.is_empty())
    }

    /// A whole number, or 0 with an error naming the field.
    fn number(&mut self, name: &str, what: &str) -> u32 {
        self.optional_number(name, what).unwrap_or_else(|| {
            if self.errors.for_field(name).is_none() {
                self.errors.add(name, format!("enter the {what}"));
            }
            0
        })
    }

    fn optional_number(&mut self, name: &str, what: &str) -> Option<u32> {
        let text = self.text(name);
        if text.is_empty() {
            return None;
        }
        match text.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.add(
                    name,
                    format!("the {what} must be a whole number, such as 4 (got {text:?})"),
                );
                None
            }
        }
    }

    /// A quantity with at most one decimal, such as "0.5".
    fn tenths(&mut self, name: &str, what: &str) -> Tenths {
        let text = self.text(name);
        parse_tenths(&text).map(Tenths).unwrap_or_else(|| {
            self.errors.add(
                name,
                format!("enter the {what} as a number with at most one decimal, such as 0.5"),
            );
            Tenths(0)
        })
    }

    /// One of a vocabulary's words, through the domain's own names for it.
    fn word<T: DeserializeOwned>(&mut self, name: &str, what: &str) -> Option<T> {
        let text = self.text(name);
        let de: StrDeserializer<'_, serde::de::value::Error> = text.as_str().into_deserializer();
        match T::deserialize(de) {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors
                    .add(name, format!("choose the {what} from the list"));
                None
            }
        }
    }

    /// A vocabulary word that may be left empty.
    fn optional_word<T: DeserializeOwned>(&mut self, name: &str, what: &str) -> Option<T> {
        if self.text(name).is_empty() {
            None
        } else {
            self.word(name, what)
        }
    }
}

/// "0.5", "12", ".5" → tenths; at most one decimal.
fn parse_tenths(text: &str) -> Option<u32> {
    match text.split_once('.') {
        None => text.parse::<u32>().ok().and_then(|w| w.checked_mul(10)),
        Some((w, f)) if f.len() == 1 => {
            let whole = if w.is_empty() {
                Some(0)
            } else {
                w.parse::<u32>().ok()
            };
            whole
                .and_then(|w| w.checked_mul(10))
                .zip(f.parse::<u32>().ok())
                .and_then(|(w, f)| w.checked_add(f))
        }
        Some(_) => None,
    }
}

fn biopsy_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let method = f.word("method", "biopsy method");
    let punch_mm = f.optional_number("punch_mm", "punch size");
    let depth = f.optional_word("depth", "depth");
    let volume_ml = f.tenths("anesthesia_ml", "anaesthetic volume");
    let hemostasis = match f.text("hemostasis").as_str() {
        "aluminium_chloride" => Some(Hemostasis::AluminiumChloride),
        "electrocautery" => Some(Hemostasis::Electrocautery),
        "sutures" => Some(Hemostasis::Sutures {
            count: f.number("suture_count", "number of sutures"),
            material: f.text("suture_material"),
        }),
        _ => {
            f.errors
                .add("hemostasis", "choose how bleeding was stopped");
            None
        }
    };
    Some(ProcedureRecord::Biopsy(BiopsyRecord {
        method: method?,
        site: f.text("site"),
        punch_mm,
        depth,
        anesthesia: Anesthesia {
            agent: f.text("anesthesia"),
            volume_ml,
        },
        hemostasis: hemostasis?,
        specimen_id: String::new(),
    }))
}

fn destruction_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let kind = f.word("destruction_kind", "kind of lesion");
    let method = f.word("method", "method");
    let lesion_count = f.number("lesion_count", "number of lesions");
    let cycles = f.optional_number("freeze_thaw_cycles", "number of freeze-thaw cycles");
    Some(ProcedureRecord::Destruction(DestructionRecord {
        kind: kind?,
        method: method?,
        site: f.text("site"),
        lesion_count,
        freeze_thaw_cycles: cycles,
    }))
}

fn excision_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let behaviour = f.word("behaviour", "behaviour");
    let site_group = f.word("site_group", "site group");
    let lesion_diameter_mm = f.number("lesion_mm", "lesion diameter");
    let margin_mm = f.number("margin_mm", "margin");
    let closure = f.word("closure", "closure");
    Some(ProcedureRecord::Excision(ExcisionRecord {
        behaviour: behaviour?,
        site_group: site_group?,
        site: f.text("site"),
        lesion_diameter_mm,
        margin_mm,
        orientation_suture: f.optional_text("orientation"),
        closure: closure?,
        specimen_id: String::new(),
    }))
}

fn repair_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let class = f.word("class", "repair class");
    let site_group = f.word("site_group", "repair site");
    let length_mm = f.number("length_mm", "repair length");
    let layers: Vec<_> = f
        .text("layers")
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.parse())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e: String| {
            f.errors.add("layers", e);
            Vec::new()
        });
    Some(ProcedureRecord::Repair(RepairRecord {
        class: class?,
        site_group: site_group?,
        site: f.text("site"),
        length_mm,
        layers,
    }))
}

fn mohs_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let site_group = f.word("site_group", "Mohs site");
    let blocks: Vec<u32> = f
        .text("stage_blocks")
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|_| {
            f.errors.add(
                "stage_blocks",
                "list the blocks of each stage as whole numbers, such as 3, 2",
            );
            Vec::new()
        });
    let maps: Vec<String> = f
        .text("maps")
        .lines()
        .map(|l| l.trim().to_string())
        .collect();
    let cleared = f.text("cleared") == "yes";
    let count = blocks.len();
    let stages = blocks
        .into_iter()
        .enumerate()
        .map(|(i, blocks)| MohsStage {
            blocks,
            margins_clear: cleared && i + 1 == count,
            map: maps.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let final_defect_mm = f.number("final_defect_mm", "final defect size");
    Some(ProcedureRecord::Mohs(MohsRecord {
        site_group: site_group?,
        site: f.text("site"),
        stages,
        final_defect_mm,
    }))
}

fn injection_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let concentration_mg_ml = f.tenths("concentration", "concentration");
    let volume_ml = f.tenths("volume_ml", "volume");
    let lesion_count = f.number("lesion_count", "number of lesions");
    Some(ProcedureRecord::Injection(InjectionRecord {
        drug: f.text("drug"),
        concentration_mg_ml,
        volume_ml,
        lesion_count,
        site: f.text("site"),
    }))
}

fn phototherapy_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let kind = f.word("light", "kind of phototherapy");
    let area_sq_cm = f.optional_number("area_sq_cm", "area treated");
    let dose_mj_cm2 = f.number("dose_mj_cm2", "dose");
    let erythema = f.word("erythema", "erythema grade");
    let skin_type = f.optional_word("skin_type", "skin type");
    let duration_s = f.optional_number("duration_s", "exposure time");
    Some(ProcedureRecord::Phototherapy(PhototherapyRecord {
        kind: kind?,
        area_sq_cm,
        dose_mj_cm2,
        erythema_since_last: erythema?,
        skin_type,
        duration_s,
    }))
}

fn record_from(f: &mut Fields) -> Option<ProcedureRecord> {
    match f.text("kind").as_str() {
        "biopsy" => biopsy_record(f),
        "destruction" => destruction_record(f),
        "excision" => excision_record(f),
        "repair" => repair_record(f),
        "mohs" => mohs_record(f),
        "injection" => injection_record(f),
        "phototherapy" => phototherapy_record(f),
        _ => {
            f.errors.add("kind", "choose which procedure to record");
            None
        }
    }
}

impl ParseInput for NewProcedure {
    type Raw = ProcedureFields;

    fn parse(raw: ProcedureFields) -> Result<Self, ValidationErrors> {
        let mut f = Fields {
            raw: &raw,
            errors: ValidationErrors::new(),
        };
        let record = record_from(&mut f);
        let location = f.text("location_id").parse::<LocationId>().ok();
        if location.is_none() {
            f.errors
                .add("location_id", "choose where the procedure was done");
        }
        let lesion: Option<LesionId> = match f.text("lesion_id").as_str() {
            "" => None,
            text => match text.parse() {
                Ok(l) => Some(l),
                Err(_) => {
                    f.errors
                        .add("lesion_id", "choose one of the patient's lesions");
                    None
                }
            },
        };
        let dose_override = f.optional_text("dose_override");
        match (record, location) {
            (Some(record), Some(location)) if f.errors.is_empty() => Ok(NewProcedure {
                lesion,
                location,
                record,
                dose_override,
            }),
            _ => Err(f.errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(pairs: &[(&str, &str)]) -> ProcedureFields {
        let mut map = serde_json::Map::new();
        for (k, v) in pairs {
            map.insert((*k).into(), (*v).into());
        }
        serde_json::from_value(serde_json::Value::Object(map)).expect("fields")
    }

    #[test]
    fn a_punch_biopsy_parses_from_its_form() {
        let loc = LocationId::new(crate::time::Timestamp::from_micros(1), [1; 10]);
        let p = NewProcedure::parse(fields(&[
            ("kind", "biopsy"),
            ("location_id", &loc.to_string()),
            ("method", "punch"),
            ("site", " left cheek "),
            ("punch_mm", "4"),
            ("anesthesia", "1% lidocaine"),
            ("anesthesia_ml", "1.5"),
            ("hemostasis", "sutures"),
            ("suture_count", "2"),
            ("suture_material", "4-0 nylon"),
        ]))
        .unwrap();
        assert_eq!(p.location, loc);
        assert_eq!(p.lesion, None);
        let ProcedureRecord::Biopsy(b) = p.record else {
            panic!("a biopsy")
        };
        assert_eq!(b.site, "left cheek");
        assert_eq!(b.punch_mm, Some(4));
        assert_eq!(b.anesthesia.volume_ml, Tenths(15));
        assert_eq!(
            b.hemostasis,
            Hemostasis::Sutures {
                count: 2,
                material: "4-0 nylon".into()
            }
        );
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let e = NewProcedure::parse(fields(&[
            ("kind", "excision"),
            ("location_id", "x"),
            ("lesion_id", "y"),
            ("behaviour", "odd"),
            ("lesion_mm", "four"),
            ("closure", "glue"),
        ]))
        .unwrap_err();
        for field in [
            "location_id",
            "lesion_id",
            "behaviour",
            "site_group",
            "lesion_mm",
            "margin_mm",
            "closure",
        ] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
        let e = NewProcedure::parse(fields(&[("kind", "tattoo")])).unwrap_err();
        assert!(e.for_field("kind").is_some());
    }

    proptest! {
        #[test]
        fn tenths_round_trip_through_their_text(t in 0u32..100_000) {
            prop_assert_eq!(parse_tenths(&format!("{}.{}", t / 10, t % 10)), Some(t));
            if t % 10 == 0 {
                prop_assert_eq!(parse_tenths(&(t / 10).to_string()), Some(t));
            }
        }

        #[test]
        fn two_decimals_are_refused(w in 0u32..1000, f in 10u32..100) {
            prop_assert_eq!(parse_tenths(&format!("{w}.{f}")), None);
        }
    }
}
