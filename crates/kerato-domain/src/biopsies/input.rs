//! The biopsy forms' inputs: ordering a biopsy, and recording the next
//! step of its loop.

use jiff::civil::Date;

use super::{Diagnosis, NotifyChannel, SpecimenMethod};
use crate::ValidationErrors;
use crate::ids::LocationId;
use crate::input::{ParseInput, non_blank};

/// The longest anatomic site the log takes, in characters.
const MAX_SITE_CHARS: usize = 200;

/// A biopsy as ordered from a chart (the patient is the chart's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiopsyOrder {
    pub location: LocationId,
    /// The anatomic site, as the clinician names it.
    pub site: String,
    pub method: SpecimenMethod,
}

/// The order form's fields.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BiopsyOrderInput {
    pub location_id: String,
    pub site: String,
    /// tangential, punch, incisional or excisional.
    pub method: String,
}

impl ParseInput for BiopsyOrder {
    type Raw = BiopsyOrderInput;

    fn parse(raw: BiopsyOrderInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let location = raw
            .location_id
            .trim()
            .parse::<LocationId>()
            .map_err(|_| e.add("location_id", "choose the location"))
            .ok();
        let site = raw.site.trim();
        if site.is_empty() || site.chars().count() > MAX_SITE_CHARS {
            e.add(
                "site",
                format!("name the anatomic site (1–{MAX_SITE_CHARS} characters)"),
            );
        }
        let method = raw
            .method
            .trim()
            .parse::<SpecimenMethod>()
            .map_err(|_| {
                let all: Vec<&str> = SpecimenMethod::ALL.iter().map(|m| m.as_str()).collect();
                e.add("method", format!("choose one of {}", all.join(", ")));
            })
            .ok();
        match (location, method) {
            (Some(location), Some(method)) if e.is_empty() => Ok(BiopsyOrder {
                location,
                site: site.to_string(),
                method,
            }),
            _ => Err(e),
        }
    }
}

/// One step of the loop, as entered on the work queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BiopsyStep {
    Send,
    Result {
        diagnosis: Diagnosis,
        text: String,
        /// The day the report reached the practice, in the biopsy's
        /// location's time zone, if not today.
        received: Option<Date>,
    },
    Review,
    /// The patient was told, now, in this way.
    Notify {
        how: NotifyChannel,
    },
    Plan {
        text: String,
    },
    Close,
}

/// A step with the version of the biopsy the user acted on, so a step
/// taken on a stale page is refused rather than applied twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiopsyUpdate {
    pub version: i64,
    pub step: BiopsyStep,
}

/// The step form's fields; which of them count depends on `step`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BiopsyUpdateInput {
    /// The biopsy's version when the page was shown.
    pub version: String,
    /// send, result, review, notify, plan or close.
    pub step: String,
    pub diagnosis: String,
    /// The report's text (result) or the plan (plan).
    pub text: String,
    /// The day the report arrived as YYYY-MM-DD; empty for today.
    pub received: Option<String>,
    /// phone, portal, letter or in_person.
    pub how: String,
}

fn diagnosis(word: &str) -> Option<Diagnosis> {
    match word {
        "benign" => Some(Diagnosis::Benign),
        "atypical" => Some(Diagnosis::Atypical),
        "malignant" => Some(Diagnosis::Malignant),
        "nondiagnostic" => Some(Diagnosis::Nondiagnostic),
        _ => None,
    }
}

fn channel(word: &str) -> Option<NotifyChannel> {
    match word {
        "phone" => Some(NotifyChannel::Phone),
        "portal" => Some(NotifyChannel::Portal),
        "letter" => Some(NotifyChannel::Letter),
        "in_person" => Some(NotifyChannel::InPerson),
        _ => None,
    }
}

impl ParseInput for BiopsyUpdate {
    type Raw = BiopsyUpdateInput;

    fn parse(raw: BiopsyUpdateInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let version = raw
            .version
            .trim()
            .parse::<i64>()
            .map_err(|_| {
                e.add(
                    "version",
                    "the form is missing the biopsy's version; reload the page",
                )
            })
            .ok();
        let step = match raw.step.trim() {
            "send" => Some(BiopsyStep::Send),
            "result" => {
                let d = diagnosis(raw.diagnosis.trim());
                if d.is_none() {
                    e.add(
                        "diagnosis",
                        "choose benign, atypical, malignant or nondiagnostic",
                    );
                }
                let received = match non_blank(raw.received.as_deref()) {
                    None => Some(None),
                    Some(day) => day
                        .parse::<Date>()
                        .map_err(|_| {
                            e.add(
                                "received",
                                "enter the day the report arrived as YYYY-MM-DD, or leave it empty for today",
                            )
                        })
                        .ok()
                        .map(Some),
                };
                d.zip(received)
                    .map(|(diagnosis, received)| BiopsyStep::Result {
                        diagnosis,
                        text: raw.text.trim().to_string(),
                        received,
                    })
            }
            "review" => Some(BiopsyStep::Review),
            "notify" => {
                let how = channel(raw.how.trim());
                if how.is_none() {
                    e.add(
                        "how",
                        "say how the patient was told: phone, portal, letter or in person",
                    );
                }
                how.map(|how| BiopsyStep::Notify { how })
            }
            "plan" => Some(BiopsyStep::Plan {
                text: raw.text.trim().to_string(),
            }),
            "close" => Some(BiopsyStep::Close),
            _ => {
                e.add(
                    "step",
                    "choose the step to record: send, result, review, notify, plan or close",
                );
                None
            }
        };
        match (version, step) {
            (Some(version), Some(step)) if e.is_empty() => Ok(BiopsyUpdate { version, step }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn update(fields: &[(&str, &str)]) -> Result<BiopsyUpdate, ValidationErrors> {
        let mut map = serde_json::Map::new();
        for (k, v) in fields {
            map.insert((*k).into(), (*v).into());
        }
        let raw: BiopsyUpdateInput =
            serde_json::from_value(serde_json::Value::Object(map)).expect("raw");
        BiopsyUpdate::parse(raw)
    }

    #[test]
    fn every_problem_of_a_step_is_named() {
        let e = update(&[
            ("step", "result"),
            ("diagnosis", "odd"),
            ("received", "5/3"),
        ])
        .unwrap_err();
        for field in ["version", "diagnosis", "received"] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
        let e = update(&[("version", "2"), ("step", "notify"), ("how", "pigeon")]).unwrap_err();
        assert!(e.for_field("how").is_some());
        let e = update(&[("version", "2"), ("step", "skip")]).unwrap_err();
        assert!(e.for_field("step").is_some());
    }

    #[test]
    fn a_result_received_earlier_keeps_its_day() {
        let u = update(&[
            ("version", "3"),
            ("step", "result"),
            ("diagnosis", "malignant"),
            ("text", " BCC "),
            ("received", "2026-03-02"),
        ])
        .unwrap();
        assert_eq!(u.version, 3);
        assert_eq!(
            u.step,
            BiopsyStep::Result {
                diagnosis: Diagnosis::Malignant,
                text: "BCC".into(),
                received: Some(jiff::civil::date(2026, 3, 2)),
            }
        );
        let today = update(&[
            ("version", "1"),
            ("step", "result"),
            ("diagnosis", "benign"),
            ("received", " "),
        ])
        .unwrap();
        assert!(matches!(
            today.step,
            BiopsyStep::Result { received: None, .. }
        ));
    }

    #[test]
    fn an_order_names_each_wrong_field() {
        let e = BiopsyOrder::parse(BiopsyOrderInput {
            location_id: "nowhere".into(),
            site: " ".into(),
            method: "laser".into(),
        })
        .unwrap_err();
        for field in ["location_id", "site", "method"] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
    }

    proptest! {
        #[test]
        fn every_log_method_is_accepted_by_its_name(i in 0usize..4, site in "[a-z ]{1,40}") {
            let method = SpecimenMethod::ALL[i];
            let location = crate::ids::LocationId::new(crate::time::Timestamp::from_micros(1), [7; 10]);
            let order = BiopsyOrder::parse(BiopsyOrderInput {
                location_id: location.to_string(),
                site: format!("x{site}"),
                method: method.as_str().into(),
            });
            let order = order.expect("valid");
            prop_assert_eq!(order.method, method);
            prop_assert_eq!(order.location, location);
        }

        #[test]
        fn a_version_that_is_not_a_number_is_refused(v in "[^0-9]{1,8}") {
            prop_assert!(update(&[("version", v.as_str()), ("step", "send")]).is_err());
        }
    }
}
