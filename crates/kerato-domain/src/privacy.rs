//! Disclosures of PHI and the accounting of them a patient is owed (45 CFR
//! 164.528), and the text rules the privacy program's forms share.

use jiff::civil::Date;
use serde::Deserialize;

use crate::ValidationErrors;
use crate::ids::{DisclosureId, PatientId, UserId};
use crate::input::ParseInput;
use crate::time::Timestamp;

/// How far back an accounting reaches: six years (164.528(a)).
pub const ACCOUNTING_YEARS: i16 = 6;

/// A required text field of at most `max` characters, trimmed; its problem
/// is added to `errors` under `field`, and the text is returned either way.
pub fn required(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, format!("{label} is required"));
    } else if v.chars().count() > max {
        errors.add(
            field,
            format!(
                "{label} is {} characters long; the limit is {max}",
                v.chars().count()
            ),
        );
    }
    v.to_string()
}

/// A patient's ID typed into a form field.
fn patient_field(errors: &mut ValidationErrors, field: &str, raw: &str) -> Option<PatientId> {
    raw.trim()
        .parse()
        .map_err(|_| {
            errors.add(
                field,
                "enter the patient's ID as shown on their chart (a UUID)",
            )
        })
        .ok()
}

/// One disclosure of a patient's information outside the practice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub id: DisclosureId,
    pub patient_id: PatientId,
    pub disclosed_at: Timestamp,
    pub recipient: String,
    pub purpose: String,
    /// What was disclosed.
    pub description: String,
    pub disclosed_by: UserId,
    pub created_at: Timestamp,
}

/// A disclosure as recorded by staff, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureInput {
    pub patient: PatientId,
    /// The day of the disclosure; it may not be after today, which the use
    /// case checks against its clock.
    pub disclosed_on: Date,
    pub recipient: String,
    pub purpose: String,
    pub description: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawDisclosure {
    pub patient: String,
    /// `YYYY-MM-DD`.
    pub disclosed_on: String,
    pub recipient: String,
    pub purpose: String,
    pub description: String,
}

impl ParseInput for DisclosureInput {
    type Raw = RawDisclosure;

    fn parse(raw: RawDisclosure) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient = patient_field(&mut e, "patient", &raw.patient);
        let disclosed_on = raw
            .disclosed_on
            .trim()
            .parse::<Date>()
            .map_err(|_| e.add("disclosed_on", "write the date as YYYY-MM-DD"))
            .ok();
        let recipient = required(&mut e, "recipient", "recipient", &raw.recipient, 200);
        let purpose = required(&mut e, "purpose", "purpose", &raw.purpose, 200);
        let description = required(&mut e, "description", "description", &raw.description, 2000);
        let (Some(patient), Some(disclosed_on)) = e.into_result((patient, disclosed_on))? else {
            return Err(ValidationErrors::single("patient", "choose the patient"));
        };
        Ok(Self {
            patient,
            disclosed_on,
            recipient,
            purpose,
            description,
        })
    }
}

/// Whose accounting of disclosures to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountingQuery {
    pub patient: PatientId,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawAccountingQuery {
    pub lookup: String,
}

impl ParseInput for AccountingQuery {
    type Raw = RawAccountingQuery;

    fn parse(raw: RawAccountingQuery) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient = patient_field(&mut e, "lookup", &raw.lookup);
        match e.into_result(patient)? {
            Some(patient) => Ok(Self { patient }),
            None => Err(ValidationErrors::single("lookup", "choose the patient")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(e: &ValidationErrors) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_disclosure_names_every_bad_field() {
        let e = DisclosureInput::parse(RawDisclosure {
            patient: "someone".into(),
            disclosed_on: "last week".into(),
            recipient: " ".into(),
            purpose: "p".repeat(201),
            description: String::new(),
        })
        .unwrap_err();
        assert_eq!(
            names(&e),
            [
                "patient",
                "disclosed_on",
                "recipient",
                "purpose",
                "description"
            ]
        );
        let patient = PatientId::new(Timestamp::from_micros(0), [1; 10]);
        let ok = DisclosureInput::parse(RawDisclosure {
            patient: format!(" {patient} "),
            disclosed_on: "2026-11-30".into(),
            recipient: " County health department ".into(),
            purpose: "Public health reporting".into(),
            description: "Immunisation record".into(),
        })
        .unwrap();
        assert_eq!(ok.patient, patient);
        assert_eq!(ok.recipient, "County health department");
        let lookup = AccountingQuery::parse(RawAccountingQuery {
            lookup: "nobody".into(),
        })
        .unwrap_err();
        assert_eq!(names(&lookup), ["lookup"]);
    }

    proptest! {
        #[test]
        fn required_text_is_trimmed_and_bounded(s in "\\PC{0,30}", max in 1usize..20) {
            let mut e = ValidationErrors::new();
            let v = required(&mut e, "f", "the field", &s, max);
            prop_assert_eq!(&v, s.trim());
            let n = v.chars().count();
            prop_assert_eq!(e.is_empty(), n >= 1 && n <= max);
        }
    }
}
