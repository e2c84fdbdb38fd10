//! The opt-in usage telemetry a clinic may send to the vendor site: one
//! report per day of aggregate counts and the software version.
//!
//! The schema has no free-text field by construction: every field is a
//! count, a date, a random installation ID or a version made of digits and
//! dots, and unknown fields are refused. A report therefore cannot carry a
//! name, a note or anything else typed by a person, so it can never carry
//! PHI. `tests` check this for every field.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::ValidationErrors;

/// The largest count a report may carry for a day; larger means a bug.
pub const MAX_COUNT: u32 = 1_000_000;

/// A day's counts of what the clinic did, never who it did it for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    pub appointments_booked: u32,
    pub patients_registered: u32,
    pub eye_exams_signed: u32,
    pub biopsies_logged: u32,
    pub prescriptions_issued: u32,
    pub active_users: u32,
}

impl Counts {
    /// The counts by name, in a fixed order, for storage and checks.
    pub fn named(&self) -> [(&'static str, u32); 6] {
        [
            ("appointments_booked", self.appointments_booked),
            ("patients_registered", self.patients_registered),
            ("eye_exams_signed", self.eye_exams_signed),
            ("biopsies_logged", self.biopsies_logged),
            ("prescriptions_issued", self.prescriptions_issued),
            ("active_users", self.active_users),
        ]
    }
}

/// One day's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// A random UUID the clinic makes once when telemetry is turned on; it
    /// names no practice, so reports cannot be tied to a customer unless
    /// the practice tells us.
    pub installation: uuid::Uuid,
    /// The Kerato version, `MAJOR.MINOR.PATCH`.
    pub version: String,
    /// The day counted (the clinic's UTC day).
    pub day: Date,
    pub counts: Counts,
}

/// Whether a version string is `MAJOR.MINOR.PATCH`, digits only.
pub fn is_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl Report {
    /// Every problem at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !is_version(&self.version) {
            e.add(
                "version",
                "send the version as MAJOR.MINOR.PATCH, digits only (e.g. 0.1.0)",
            );
        }
        for (name, n) in self.counts.named() {
            if n > MAX_COUNT {
                e.add(
                    format!("counts.{name}"),
                    format!("{n} is more than a clinic can do in a day (at most {MAX_COUNT})"),
                );
            }
        }
        e.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn report() -> Report {
        Report {
            installation: uuid::Uuid::from_bytes([7; 16]),
            version: "0.1.0".into(),
            day: jiff::civil::date(2026, 11, 26),
            counts: Counts {
                appointments_booked: 42,
                ..Counts::default()
            },
        }
    }

    /// The schema test: the serialised report has exactly these fields, and
    /// every string in it is an ID, a date or a version, never free text.
    #[test]
    fn the_schema_has_no_free_text_field() {
        let json = serde_json::to_value(report()).unwrap();
        let top: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(top, ["counts", "day", "installation", "version"]);
        let counts = json["counts"].as_object().unwrap();
        assert_eq!(counts.len(), Counts::default().named().len());
        assert!(
            counts.values().all(serde_json::Value::is_u64),
            "counts are numbers only"
        );
        assert!(uuid::Uuid::parse_str(json["installation"].as_str().unwrap()).is_ok());
        assert!(json["day"].as_str().unwrap().parse::<Date>().is_ok());
        assert!(is_version(json["version"].as_str().unwrap()));
    }

    #[test]
    fn unknown_fields_and_text_in_place_of_numbers_are_refused() {
        let mut json = serde_json::to_value(report()).unwrap();
        json["note"] = serde_json::json!("Jane Doe, DOB 3/3/1961");
        assert!(serde_json::from_value::<Report>(json).is_err());
        let mut json = serde_json::to_value(report()).unwrap();
        json["counts"]["comment"] = serde_json::json!("free text");
        assert!(serde_json::from_value::<Report>(json).is_err());
        let mut json = serde_json::to_value(report()).unwrap();
        json["counts"]["appointments_booked"] = serde_json::json!("42 for Jane Doe");
        assert!(serde_json::from_value::<Report>(json).is_err());
        let mut r = report();
        r.version = "0.1.0 (Dr Smith's laptop)".into();
        assert!(r.validate().unwrap_err().for_field("version").is_some());
        r.version = "0.1.0".into();
        r.counts.active_users = MAX_COUNT + 1;
        assert!(
            r.validate()
                .unwrap_err()
                .for_field("counts.active_users")
                .is_some()
        );
    }

    proptest! {
        #[test]
        fn only_digit_versions_pass(s in "\\PC{0,20}") {
            if is_version(&s) {
                prop_assert!(s.chars().all(|c| c.is_ascii_digit() || c == '.'));
            }
        }
    }
}
