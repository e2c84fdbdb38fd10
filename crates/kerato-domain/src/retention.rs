//! Retention, clinic side: the legal holds the privacy officer places
//! ([`Hold`]) and the input that places one.
//!
//! The schedule and its rules are shared with the vendor site and live in
//! `kerato_core::retention`; they are re-exported here.

use jiff::civil::Date;
use serde::Deserialize;

use crate::ValidationErrors;
use crate::ids::{LegalHoldId, OrganisationId, PatientId, UserId};
use crate::input::{ParseInput, non_blank};
pub use kerato_core::retention::*;

/// The longest reason a hold may give.
pub const MAX_HOLD_REASON: usize = 500;

/// A legal hold as the practice keeps it; its days are the practice's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: LegalHoldId,
    pub organisation_id: OrganisationId,
    /// `None` holds the whole practice.
    pub patient_id: Option<PatientId>,
    /// `None` holds every class.
    pub data_class: Option<DataClass>,
    pub reason: String,
    pub placed_on: Date,
    pub released_on: Option<Date>,
    pub placed_by: UserId,
}

impl Hold {
    /// The hold as the retention rules read it.
    pub fn rule(&self) -> LegalHold {
        LegalHold {
            reason: self.reason.clone(),
            placed_on: self.placed_on,
            released_on: self.released_on,
            classes: self.data_class.into_iter().collect(),
        }
    }
}

/// A hold as the privacy officer asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldInput {
    /// The chart held, or `None` for the whole practice.
    pub patient: Option<PatientId>,
    /// The class held, or `None` for every class.
    pub class: Option<DataClass>,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawHold {
    pub patient_id: String,
    pub data_class: String,
    pub reason: String,
}

impl ParseInput for HoldInput {
    type Raw = RawHold;

    fn parse(raw: RawHold) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient = non_blank(Some(&raw.patient_id)).and_then(|p| {
            p.parse::<PatientId>()
                .map_err(|_| {
                    e.add(
                        "patient_id",
                        "paste the chart's ID from its address, or leave it empty to hold the whole practice",
                    )
                })
                .ok()
        });
        let class = non_blank(Some(&raw.data_class)).and_then(|c| {
            c.parse::<DataClass>()
                .map_err(|m| e.add("data_class", m))
                .ok()
        });
        let reason = raw.reason.trim().to_string();
        let n = reason.chars().count();
        if n == 0 {
            e.add("reason", "say why the records are held (a case or matter)");
        } else if n > MAX_HOLD_REASON {
            e.add(
                "reason",
                format!("the reason is {n} characters long; the limit is {MAX_HOLD_REASON}"),
            );
        }
        e.into_result(Self {
            patient,
            class,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_names_every_bad_field_and_blank_means_all() {
        let e = HoldInput::parse(RawHold {
            patient_id: "chart 7".into(),
            data_class: "everything".into(),
            reason: String::new(),
        })
        .unwrap_err();
        let names: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["patient_id", "data_class", "reason"]);
        let all = HoldInput::parse(RawHold {
            reason: " subpoena 2026-117 ".into(),
            ..RawHold::default()
        })
        .unwrap();
        assert_eq!(
            all,
            HoldInput {
                patient: None,
                class: None,
                reason: "subpoena 2026-117".into()
            }
        );
    }
}
