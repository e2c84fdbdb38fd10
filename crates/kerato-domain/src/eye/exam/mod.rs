//! The eye exam as structured data: templates, their sections, and the
//! typed fields of each section, validated with the optical types.
//!
//! A section is stored as a map of field keys to canonical text
//! (`od.sphere` → `-2.25`). Each section's fields are declared once in
//! [`Section::fields`]; validation, the entry form (its tab order runs
//! OD then OS, field by field) and the printed record all follow that one
//! declaration, so a field cannot be shown but not checked. Each kind of
//! refraction is its own section, so a manifest is never mistaken for an
//! autorefraction or a final (dispensed) prescription.

use std::collections::BTreeMap;
use std::fmt;

use crate::ValidationErrors;
use crate::eye::optics::{Eye, RefractionInput, Step};

mod input;
mod record;
mod values;

pub use input::{AmendInput, AmendRaw, MAX_REASON, SectionEntry, StartExamInput, StartExamRaw};
pub use record::{Amendment, Exam, ExamStatus, SavedSection};
use values::canonical;

/// The largest section a client may send, in bytes of field text; a bound
/// on what one careless paste can put in the record.
pub const MAX_TEXT: usize = 4000;

macro_rules! sections {
    ($($variant:ident = $key:literal, $label:literal;)+) => {
        /// One section of an exam.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Section { $($variant),+ }

        impl Section {
            pub const ALL: &'static [Section] = &[$(Section::$variant),+];

            pub fn key(self) -> &'static str {
                match self { $(Section::$variant => $key),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $(Section::$variant => $label),+ }
            }

            pub fn parse(key: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|s| s.key() == key).ok_or_else(|| {
                    format!("{:?} is not an exam section", key.chars().take(40).collect::<String>())
                })
            }
        }
    };
}

sections! {
    History = "history", "History";
    Acuity = "acuity", "Visual acuity";
    Lensometry = "lensometry", "Lensometry (current glasses)";
    Autorefraction = "autorefraction", "Autorefraction";
    Retinoscopy = "retinoscopy", "Retinoscopy";
    Manifest = "manifest", "Manifest refraction";
    Cycloplegic = "cycloplegic", "Cycloplegic refraction";
    Final = "final", "Final (dispensed) refraction";
    ContactLens = "contact_lens", "Contact lens fit";
    OverRefraction = "over_refraction", "Over-refraction";
    Keratometry = "keratometry", "Keratometry";
    Pupils = "pupils", "Pupils";
    Iop = "iop", "Intraocular pressure";
    Motility = "motility", "Motility";
    SlitLamp = "slit_lamp", "Slit lamp";
    Dilation = "dilation", "Dilation";
    Fundus = "fundus", "Fundus";
    Assessment = "assessment", "Assessment and plan";
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What a field holds and how its text is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Sphere,
    Cylinder,
    Axis,
    Add,
    /// Prism amount and base (`2 BI`, `1.5 BU`, `3 @ 45`).
    Prism,
    /// Pupillary distance, binocular (`63`) or right/left (`32/31.5`).
    Pd,
    Acuity,
    /// Intraocular pressure, whole mmHg.
    Pressure,
    /// Cup-to-disc ratio, 0.0–1.0 in hundredths.
    CupDisc,
    /// Corneal power in diopters (keratometry), 30–60 D.
    Keratometry,
    /// Base curve in millimetres, 7.0–10.0.
    BaseCurve,
    /// Lens diameter in millimetres, 8.0–24.0.
    Diameter,
    /// A clock time, HH:MM.
    Clock,
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// ICD-10-CM codes, comma separated.
    Diagnoses,
    /// Free text up to a length.
    Text(usize),
}

/// One field of a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    /// Entered once per eye (`od.name`, `os.name`).
    pub per_eye: bool,
}

const fn eye(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        kind,
        per_eye: true,
    }
}

const fn one(name: &'static str, label: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        label,
        kind,
        per_eye: false,
    }
}

const NOTES: Field = one("notes", "Notes", FieldKind::Text(MAX_TEXT));

const REFRACTION: &[Field] = &[
    eye("sphere", "Sphere", FieldKind::Sphere),
    eye("cylinder", "Cylinder", FieldKind::Cylinder),
    eye("axis", "Axis", FieldKind::Axis),
    eye("add", "Add", FieldKind::Add),
    eye("prism", "Prism", FieldKind::Prism),
    eye("va", "VA", FieldKind::Acuity),
    one("pd", "PD (mm)", FieldKind::Pd),
    NOTES,
];

const IOP_METHODS: &[&str] = &["goldmann", "icare", "non_contact", "tono_pen", "perkins"];
const REPLACEMENT: &[&str] = &["daily", "two_weeks", "monthly", "quarterly", "yearly"];

impl Section {
    /// The section's fields in entry order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Section::History => {
                const F: &[Field] = &[
                    one("chief_complaint", "Chief complaint", FieldKind::Text(1000)),
                    one(
                        "history",
                        "History of present illness",
                        FieldKind::Text(MAX_TEXT),
                    ),
                    one("medications", "Medications", FieldKind::Text(MAX_TEXT)),
                ];
                F
            }
            Section::Acuity => {
                const F: &[Field] = &[
                    eye("distance_sc", "Distance sc", FieldKind::Acuity),
                    eye("distance_cc", "Distance cc", FieldKind::Acuity),
                    eye("pinhole", "Pinhole", FieldKind::Acuity),
                    eye("near_cc", "Near cc", FieldKind::Acuity),
                    NOTES,
                ];
                F
            }
            Section::Lensometry
            | Section::Autorefraction
            | Section::Retinoscopy
            | Section::Manifest
            | Section::Cycloplegic
            | Section::Final
            | Section::OverRefraction => REFRACTION,
            Section::ContactLens => {
                const F: &[Field] = &[
                    eye("brand", "Brand", FieldKind::Text(80)),
                    eye("base_curve", "Base curve", FieldKind::BaseCurve),
                    eye("diameter", "Diameter", FieldKind::Diameter),
                    eye("sphere", "Sphere", FieldKind::Sphere),
                    eye("cylinder", "Cylinder", FieldKind::Cylinder),
                    eye("axis", "Axis", FieldKind::Axis),
                    eye("add", "Add", FieldKind::Add),
                    one("replacement", "Replacement", FieldKind::Choice(REPLACEMENT)),
                    one("quantity", "Quantity", FieldKind::Text(40)),
                    NOTES,
                ];
                F
            }
            Section::Keratometry => {
                const F: &[Field] = &[
                    eye("k1", "K1 (D)", FieldKind::Keratometry),
                    eye("k2", "K2 (D)", FieldKind::Keratometry),
                    eye("k_axis", "K1 axis", FieldKind::Axis),
                ];
                F
            }
            Section::Pupils => {
                const F: &[Field] = &[
                    eye("pupil", "Pupil", FieldKind::Text(200)),
                    one("apd", "APD", FieldKind::Choice(&["none", "od", "os"])),
                ];
                F
            }
            Section::Iop => {
                const F: &[Field] = &[
                    eye("pressure", "IOP (mmHg)", FieldKind::Pressure),
                    one("method", "Method", FieldKind::Choice(IOP_METHODS)),
                    one("time", "Time", FieldKind::Clock),
                ];
                F
            }
            Section::Motility => {
                const F: &[Field] = &[one("motility", "Motility", FieldKind::Text(1000))];
                F
            }
            Section::SlitLamp => {
                const F: &[Field] = &[
                    eye("lids", "Lids and lashes", FieldKind::Text(500)),
                    eye("conjunctiva", "Conjunctiva", FieldKind::Text(500)),
                    eye("cornea", "Cornea", FieldKind::Text(500)),
                    eye("anterior_chamber", "Anterior chamber", FieldKind::Text(500)),
                    eye("iris", "Iris", FieldKind::Text(500)),
                    eye("lens", "Lens", FieldKind::Text(500)),
                ];
                F
            }
            Section::Dilation => {
                const F: &[Field] = &[
                    one("agent", "Agent", FieldKind::Text(200)),
                    one("time", "Time", FieldKind::Clock),
                ];
                F
            }
            Section::Fundus => {
                const F: &[Field] = &[
                    eye("cup_disc", "C/D", FieldKind::CupDisc),
                    eye("macula", "Macula", FieldKind::Text(500)),
                    eye("vessels", "Vessels", FieldKind::Text(500)),
                    eye("periphery", "Periphery", FieldKind::Text(500)),
                ];
                F
            }
            Section::Assessment => {
                const F: &[Field] = &[
                    one("diagnoses", "Diagnoses (ICD-10-CM)", FieldKind::Diagnoses),
                    one("assessment", "Assessment", FieldKind::Text(MAX_TEXT)),
                    one("plan", "Plan", FieldKind::Text(MAX_TEXT)),
                ];
                F
            }
        }
    }

    /// Whether the section is a refraction (sphere, cylinder, axis per eye).
    pub fn is_refraction(self) -> bool {
        self.fields() == REFRACTION
    }

    /// The keys this section accepts, in entry order: OD's, then OS's, then
    /// the section's own.
    pub fn keys(self) -> Vec<(String, &'static Field, Option<Eye>)> {
        let mut keys = Vec::new();
        for e in Eye::BOTH {
            for f in self.fields().iter().filter(|f| f.per_eye) {
                keys.push((
                    format!("{}.{}", e.abbreviation().to_lowercase(), f.name),
                    f,
                    Some(e),
                ));
            }
        }
        for f in self.fields().iter().filter(|f| !f.per_eye) {
            keys.push((f.name.to_string(), f, None));
        }
        keys
    }
}

/// A section's values by key, as stored: canonical text, blanks left out.
pub type SectionData = BTreeMap<String, String>;

/// Checks every value of `input` against `section`'s fields and returns the
/// canonical data, or every problem, each under its key.
pub fn validate_section(
    section: Section,
    input: &BTreeMap<String, String>,
) -> Result<SectionData, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let keys = section.keys();
    for k in input.keys() {
        if !keys.iter().any(|(key, _, _)| key == k) {
            errors.add(
                k.chars().take(60).collect::<String>(),
                format!("{} has no field {k:?}", section.label()),
            );
        }
    }
    let mut out = SectionData::new();
    for (key, field, _) in &keys {
        let Some(raw) = input.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        match canonical(field.kind, raw) {
            Ok(text) => {
                out.insert(key.clone(), text);
            }
            Err(m) => errors.add(key.clone(), format!("{}: {m}", field.label)),
        }
    }
    if section.is_refraction() || section == Section::ContactLens {
        for e in Eye::BOTH {
            let p = e.abbreviation().to_lowercase();
            let get = |f: &str| input.get(&format!("{p}.{f}")).cloned().unwrap_or_default();
            let typed = RefractionInput {
                sphere: get("sphere"),
                cylinder: get("cylinder"),
                axis: get("axis"),
            };
            let any = !typed.sphere.trim().is_empty()
                || !typed.cylinder.trim().is_empty()
                || !typed.axis.trim().is_empty();
            if !any {
                continue;
            }
            if let Err(e) = typed.validate(Step::Quarter) {
                for fe in e.errors {
                    let key = format!("{p}.{}", fe.field);
                    if errors.for_field(&key).is_none() {
                        errors.add(key, fe.message);
                    }
                }
            }
        }
    }
    errors.into_result(out)
}

macro_rules! templates {
    ($($variant:ident = $key:literal, $label:literal, [$($s:ident),+];)+) => {
        /// Which sections an exam offers, by kind of visit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Template { $($variant),+ }

        impl Template {
            pub const ALL: &'static [Template] = &[$(Template::$variant),+];

            pub fn key(self) -> &'static str {
                match self { $(Template::$variant => $key),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $(Template::$variant => $label),+ }
            }

            pub fn sections(self) -> &'static [Section] {
                match self { $(Template::$variant => &[$(Section::$s),+]),+ }
            }

            pub fn parse(key: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|t| t.key() == key).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|t| t.key()).collect();
                    format!("choose a template: {}", all.join(", "))
                })
            }
        }
    };
}

templates! {
    Comprehensive = "comprehensive", "Comprehensive eye exam",
        [History, Acuity, Lensometry, Autorefraction, Retinoscopy, Manifest, Cycloplegic, Final,
         Keratometry, Pupils, Iop, Motility, SlitLamp, Dilation, Fundus, Assessment];
    ContactLensFit = "contact_lens", "Contact lens exam",
        [History, Acuity, Autorefraction, Manifest, Keratometry, ContactLens, OverRefraction,
         Final, SlitLamp, Assessment];
    MedicalFollowUp = "medical", "Medical follow-up",
        [History, Acuity, Pupils, Iop, SlitLamp, Dilation, Fundus, Assessment];
    Glaucoma = "glaucoma", "Glaucoma follow-up",
        [History, Acuity, Pupils, Iop, SlitLamp, Fundus, Assessment];
    PostOp = "post_op", "Post-operative visit",
        [History, Acuity, Manifest, Iop, SlitLamp, Fundus, Assessment];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn a_manifest_is_stored_in_canonical_form() {
        let data = validate_section(
            Section::Manifest,
            &input(&[
                ("od.sphere", "-225"),
                ("od.cylinder", "-.5"),
                ("od.axis", "0"),
                ("os.sphere", "pl"),
                ("od.va", "20/20-1"),
                ("os.add", "+2"),
                ("od.prism", "2 bi"),
                ("pd", "32/31.5"),
            ]),
        )
        .unwrap();
        assert_eq!(data["od.sphere"], "-2.25");
        assert_eq!(data["od.cylinder"], "-0.50");
        assert_eq!(data["od.axis"], "180");
        assert_eq!(data["os.sphere"], "plano");
        assert_eq!(data["os.add"], "+2.00");
        assert_eq!(data["od.va"], "20/20-1");
        assert!(data["od.prism"].starts_with("2.00"), "{}", data["od.prism"]);
        assert_eq!(data["pd"], "32.0/31.5");
    }

    #[test]
    fn every_problem_is_named_under_its_key() {
        let e = validate_section(
            Section::Manifest,
            &input(&[
                ("od.sphere", "-2.13"),
                ("os.sphere", "-1.00"),
                ("os.cylinder", "-1.25"),
                ("bogus", "1"),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            e.for_field("od.sphere"),
            Some("Sphere: sphere -2.13 is not in 0.25 D steps")
        );
        assert_eq!(
            e.for_field("os.axis"),
            Some("axis is required when cylinder is -1.25")
        );
        assert!(e.for_field("bogus").is_some());
    }

    #[test]
    fn other_fields_are_checked_by_kind() {
        let e = validate_section(
            Section::Iop,
            &input(&[
                ("od.pressure", "95"),
                ("method", "thumb"),
                ("time", "25:00"),
            ]),
        )
        .unwrap_err();
        assert_eq!(e.errors.len(), 3, "{e:?}");
        let ok = validate_section(
            Section::Fundus,
            &input(&[("od.cup_disc", ".3"), ("os.cup_disc", "0.45")]),
        )
        .unwrap();
        assert_eq!(ok["od.cup_disc"], "0.30");
        let dx = validate_section(
            Section::Assessment,
            &input(&[("diagnoses", "h52.13, H40.1131 h52.13")]),
        )
        .unwrap();
        assert_eq!(dx["diagnoses"], "H52.13, H40.1131");
        assert!(
            validate_section(Section::Assessment, &input(&[("diagnoses", "glaucoma")])).is_err()
        );
    }

    #[test]
    fn the_tab_order_runs_od_then_os() {
        let keys: Vec<String> = Section::Final.keys().into_iter().map(|k| k.0).collect();
        assert_eq!(&keys[..2], ["od.sphere", "od.cylinder"]);
        assert_eq!(keys[6], "os.sphere");
        assert_eq!(keys.last().map(String::as_str), Some("notes"));
    }

    #[test]
    fn every_template_has_an_assessment_and_parses_back() {
        for t in Template::ALL {
            assert!(t.sections().contains(&Section::Assessment));
            assert_eq!(Template::parse(t.key()), Ok(*t));
        }
        for s in Section::ALL {
            assert_eq!(Section::parse(s.key()), Ok(*s));
        }
    }
}
