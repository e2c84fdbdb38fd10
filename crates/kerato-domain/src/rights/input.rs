//! The rights area's inputs, parsed once from a form or a JSON body: a new
//! request, a step the privacy officer records, and a patient's statement
//! of disagreement.

use jiff::civil::Date;
use serde::Deserialize;

use super::{Jurisdiction, RequestType};
use crate::ValidationErrors;
use crate::identity::normalise_email;
use crate::ids::{OrganisationId, PatientId};
use crate::input::{ParseInput, non_blank};
use crate::privacy::required;

/// The longest description of a request.
const MAX_DETAILS: usize = 4000;
/// The longest note on how an identity was checked.
const MAX_IDENTITY_NOTE: usize = 500;

/// A request as the requester (or the privacy officer) typed it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInput {
    /// The practice named by the public form's link; `None` on a server
    /// with one practice. Ignored when staff enter a request.
    pub practice: Option<OrganisationId>,
    pub request_type: RequestType,
    pub jurisdiction: Jurisdiction,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Date,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub details: String,
}

impl RequestInput {
    /// The name the request is kept under.
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// The request form's fields as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawRequest {
    pub practice: String,
    pub request_type: String,
    /// `us`, `us_ca` or `eu`; empty is `us`.
    pub jurisdiction: String,
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub email: String,
    pub phone: String,
    pub details: String,
}

/// The practice a public form's link names, if it names one.
pub fn practice_of_link(raw: &str) -> Result<Option<OrganisationId>, ValidationErrors> {
    match raw.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| {
            ValidationErrors::single(
                "practice",
                "this link names no practice of this server; open the form from the link your practice gave you",
            )
        }),
    }
}

/// Whether a phone number is written with what a phone number has.
fn phone_ok(phone: &str) -> bool {
    phone.chars().count() <= 30
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

impl ParseInput for RequestInput {
    type Raw = RawRequest;

    fn parse(raw: RawRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let practice = practice_of_link(&raw.practice)
            .map_err(|errors| {
                for f in errors.errors {
                    e.add(f.field, f.message);
                }
            })
            .ok()
            .flatten();
        let request_type = raw
            .request_type
            .trim()
            .parse::<RequestType>()
            .map_err(|m| e.add("request_type", m))
            .ok();
        let jurisdiction = match raw.jurisdiction.trim() {
            "" => Some(Jurisdiction::UnitedStates),
            j => j
                .parse::<Jurisdiction>()
                .map_err(|m| e.add("jurisdiction", m))
                .ok(),
        };
        let first_name = required(&mut e, "first_name", "the first name", &raw.first_name, 100);
        let last_name = required(&mut e, "last_name", "the last name", &raw.last_name, 100);
        let date_of_birth = match raw.date_of_birth.trim() {
            "" => {
                e.add(
                    "date_of_birth",
                    "the date of birth is needed to find the record; write it as YYYY-MM-DD",
                );
                None
            }
            d => d
                .parse::<Date>()
                .map_err(|_| e.add("date_of_birth", "write the date of birth as YYYY-MM-DD"))
                .ok(),
        };
        let email = non_blank(Some(&raw.email))
            .and_then(|raw| normalise_email(raw).map_err(|m| e.add("email", m)).ok());
        let phone = non_blank(Some(&raw.phone)).map(str::to_string);
        if phone.as_deref().is_some_and(|p| !phone_ok(p)) {
            e.add(
                "phone",
                "a phone number has digits, spaces, + - ( ) and at most 30 characters",
            );
        }
        if email.is_none() && phone.is_none() && e.for_field("email").is_none() {
            e.add(
                "email",
                "give an e-mail address or a phone number, so we can answer the request",
            );
        }
        let details = raw.details.trim().to_string();
        if details.chars().count() > MAX_DETAILS {
            e.add(
                "details",
                format!("describe the request in at most {MAX_DETAILS} characters"),
            );
        }
        let (Some(request_type), Some(jurisdiction), Some(date_of_birth)) =
            e.into_result((request_type, jurisdiction, date_of_birth))?
        else {
            return Err(ValidationErrors::single(
                "request_type",
                "choose what the request is for",
            ));
        };
        Ok(Self {
            practice,
            request_type,
            jurisdiction,
            first_name,
            last_name,
            date_of_birth,
            email,
            phone,
            details,
        })
    }
}

/// A step the privacy officer records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestStep {
    /// The requester proved who they are, and this is their chart.
    VerifyIdentity {
        patient: PatientId,
        /// How the identity was checked, e.g. photo ID at the desk.
        note: String,
    },
    StartWork,
    Extend {
        reason: String,
    },
    Fulfil {
        summary: String,
    },
    Deny {
        reason: String,
    },
}

/// A step with the version of the request it was chosen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInput {
    pub version: i64,
    pub step: RequestStep,
}

/// The step form's fields as sent; each step uses the ones it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawStep {
    /// `verify`, `start`, `extend`, `fulfil` or `deny`.
    pub step: String,
    pub version: String,
    pub patient_id: String,
    pub identity_note: String,
    pub reason: String,
    pub summary: String,
}

impl ParseInput for StepInput {
    type Raw = RawStep;

    fn parse(raw: RawStep) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let version = raw
            .version
            .trim()
            .parse::<i64>()
            .map_err(|_| {
                e.add(
                    "version",
                    "the form is missing the request's version; reload the page",
                )
            })
            .ok();
        let step = match raw.step.trim() {
            "verify" => {
                let patient = raw
                    .patient_id
                    .trim()
                    .parse::<PatientId>()
                    .map_err(|_| e.add("patient_id", "choose the requester's chart from the list"))
                    .ok();
                let note = raw.identity_note.trim();
                if note.is_empty() || note.chars().count() > MAX_IDENTITY_NOTE {
                    e.add(
                        "identity_note",
                        format!(
                            "say how the identity was checked (1–{MAX_IDENTITY_NOTE} characters), e.g. photo ID at the desk"
                        ),
                    );
                }
                patient.map(|patient| RequestStep::VerifyIdentity {
                    patient,
                    note: note.to_string(),
                })
            }
            "start" => Some(RequestStep::StartWork),
            "extend" => Some(RequestStep::Extend {
                reason: raw.reason.trim().to_string(),
            }),
            "fulfil" => Some(RequestStep::Fulfil {
                summary: raw.summary.trim().to_string(),
            }),
            "deny" => Some(RequestStep::Deny {
                reason: raw.reason.trim().to_string(),
            }),
            _ => {
                e.add("step", "choose the step to record");
                None
            }
        };
        let (Some(version), Some(step)) = e.into_result((version, step))? else {
            return Err(ValidationErrors::single(
                "step",
                "choose the step to record",
            ));
        };
        Ok(Self { version, step })
    }
}

/// The longest statement of disagreement.
const MAX_STATEMENT: usize = 4000;

/// A patient's statement of disagreement with a denied amendment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisagreementInput {
    pub statement: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawDisagreement {
    pub statement: String,
}

impl ParseInput for DisagreementInput {
    type Raw = RawDisagreement;

    fn parse(raw: RawDisagreement) -> Result<Self, ValidationErrors> {
        let statement = raw.statement.trim();
        if statement.is_empty() || statement.chars().count() > MAX_STATEMENT {
            return Err(ValidationErrors::single(
                "statement",
                format!(
                    "paste the patient's statement of disagreement (1–{MAX_STATEMENT} characters)"
                ),
            ));
        }
        Ok(Self {
            statement: statement.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw() -> RawRequest {
        RawRequest {
            request_type: "access".into(),
            first_name: "Jane".into(),
            last_name: "Roe".into(),
            date_of_birth: "1980-01-31".into(),
            email: "Jane@Example.net".into(),
            ..RawRequest::default()
        }
    }

    fn fields(e: &ValidationErrors) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_good_request_parses_with_its_defaults() {
        let r = RequestInput::parse(raw()).unwrap();
        assert_eq!(r.practice, None);
        assert_eq!(r.request_type, RequestType::Access);
        assert_eq!(r.jurisdiction, Jurisdiction::UnitedStates);
        assert_eq!(r.name(), "Jane Roe");
        assert_eq!(r.date_of_birth, jiff::civil::date(1980, 1, 31));
        assert_eq!(r.email.as_deref(), Some("jane@example.net"));
        assert_eq!(r.phone, None);
    }

    #[test]
    fn every_problem_of_a_request_is_named_at_once() {
        let e = RequestInput::parse(RawRequest {
            practice: "not-an-id".into(),
            request_type: "everything".into(),
            jurisdiction: "mars".into(),
            first_name: "x".repeat(101),
            last_name: " ".into(),
            date_of_birth: "yesterday".into(),
            email: String::new(),
            phone: "call me".into(),
            details: "d".repeat(4001),
        })
        .unwrap_err();
        assert_eq!(
            fields(&e),
            [
                "practice",
                "request_type",
                "jurisdiction",
                "first_name",
                "last_name",
                "date_of_birth",
                "phone",
                "details"
            ]
        );
        // A phone number alone is a way to answer.
        let by_phone = RequestInput::parse(RawRequest {
            email: String::new(),
            phone: "+1 (555) 010-0000".into(),
            ..raw()
        })
        .unwrap();
        assert_eq!(by_phone.phone.as_deref(), Some("+1 (555) 010-0000"));
        // Neither: the e-mail field says to give one.
        let neither = RequestInput::parse(RawRequest {
            email: String::new(),
            ..raw()
        })
        .unwrap_err();
        assert_eq!(fields(&neither), ["email"]);
    }

    #[test]
    fn each_step_takes_its_own_fields() {
        let step = |s: &str| RawStep {
            step: s.into(),
            version: "3".into(),
            ..RawStep::default()
        };
        assert_eq!(
            StepInput::parse(step("start")).unwrap(),
            StepInput {
                version: 3,
                step: RequestStep::StartWork
            }
        );
        let e = StepInput::parse(step("verify")).unwrap_err();
        assert_eq!(fields(&e), ["patient_id", "identity_note"]);
        let e = StepInput::parse(RawStep {
            version: String::new(),
            ..step("dance")
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["version", "step"]);
        let patient = PatientId::new(crate::time::Timestamp::from_micros(0), [3; 10]);
        let verified = StepInput::parse(RawStep {
            patient_id: patient.to_string(),
            identity_note: " photo ID at the desk ".into(),
            ..step("verify")
        })
        .unwrap();
        assert_eq!(
            verified.step,
            RequestStep::VerifyIdentity {
                patient,
                note: "photo ID at the desk".into()
            }
        );
    }

    proptest! {
        #[test]
        fn a_statement_is_kept_trimmed_or_refused_by_its_length(s in "\\PC{0,4100}") {
            let parsed = DisagreementInput::parse(RawDisagreement { statement: s.clone() });
            let n = s.trim().chars().count();
            match parsed {
                Ok(d) => {
                    prop_assert!((1..=MAX_STATEMENT).contains(&n));
                    prop_assert_eq!(d.statement, s.trim());
                }
                Err(e) => {
                    prop_assert!(n == 0 || n > MAX_STATEMENT);
                    prop_assert_eq!(fields(&e), vec!["statement"]);
                }
            }
        }

        #[test]
        fn a_phone_number_is_accepted_exactly_when_it_is_phone_like(p in "[0-9 +().a-z-]{1,40}") {
            let parsed = RequestInput::parse(RawRequest { phone: p.clone(), email: String::new(), ..raw() });
            let trimmed = p.trim();
            let ok = trimmed.is_empty() || (trimmed.chars().count() <= 30 && trimmed.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)));
            match parsed {
                Ok(r) => { prop_assert!(ok && !trimmed.is_empty()); prop_assert_eq!(r.phone.as_deref(), Some(trimmed)); }
                Err(e) => prop_assert!(!ok || trimmed.is_empty(), "{:?}", e),
            }
        }
    }
}
