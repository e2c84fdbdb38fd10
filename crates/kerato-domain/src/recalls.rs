//! Recalls: what a practice brings patients back for, when each patient is
//! due, and how the outreach went.

use jiff::civil::Date;

use crate::ValidationErrors;
use crate::ids::{AppointmentId, OrganisationId, PatientId, RecallId, RecallTypeId, parse_field};
use crate::input::ParseInput;
use crate::input::non_blank;
use crate::patients::Channel;
use crate::scheduling::booking::{chosen, local_date};
use crate::tenancy::Specialty;
use crate::time::Timestamp;

/// A reason to bring patients back, every so many months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallType {
    pub id: RecallTypeId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub interval_months: i64,
    pub specialty: Option<Specialty>,
}

string_enum!(
    /// Where a recall stands.
    RecallStatus {
        Open = "open", "Open";
        Scheduled = "scheduled", "Scheduled";
        Done = "done", "Done";
        Cancelled = "cancelled", "Cancelled";
    }
);

string_enum!(
    /// How the last outreach attempt went; `None` before any.
    Outreach {
        None = "none", "Not contacted";
        MessageSent = "message_sent", "Message sent";
        CalledNoAnswer = "called_no_answer", "Called, no answer";
        LeftVoicemail = "left_voicemail", "Left voicemail";
        WillCallBack = "will_call_back", "Spoke, will call back";
        LetterSent = "letter_sent", "Letter sent";
        Declined = "declined", "Declined";
        Unreachable = "unreachable", "Unreachable";
    }
);

impl Outreach {
    /// What an attempt can come to: every state but `None`.
    pub fn outcomes() -> impl Iterator<Item = Outreach> {
        Self::ALL.iter().copied().filter(|o| *o != Self::None)
    }

    /// This, if it is what an attempt can come to.
    pub fn as_outcome(self) -> Result<Self, ValidationErrors> {
        if self == Self::None {
            return Err(ValidationErrors::single(
                "outcome",
                "choose an outcome from the list (e.g. called_no_answer, left_voicemail)",
            ));
        }
        Ok(self)
    }
}

/// An outreach attempt's outcome, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct OutreachRequest {
    pub outcome: String,
}

impl ParseInput for Outreach {
    type Raw = OutreachRequest;

    fn parse(raw: OutreachRequest) -> Result<Self, ValidationErrors> {
        raw.outcome
            .trim()
            .parse::<Outreach>()
            .unwrap_or(Outreach::None)
            .as_outcome()
    }
}

/// A patient to put on recall, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct RecallRequest {
    pub patient_id: String,
    pub recall_type_id: String,
    /// `YYYY-MM-DD`; one interval from today when blank.
    pub due_date: String,
}

/// A patient to put on recall, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallInput {
    pub patient_id: PatientId,
    pub recall_type_id: RecallTypeId,
    /// One interval from today when absent.
    pub due_date: Option<Date>,
}

impl ParseInput for RecallInput {
    type Raw = RecallRequest;

    fn parse(raw: RecallRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient_id = parse_field(&mut e, "patient_id", &raw.patient_id);
        let recall_type_id = chosen(
            &mut e,
            "recall_type_id",
            "a recall type",
            &raw.recall_type_id,
        );
        let due_date =
            non_blank(Some(&raw.due_date)).and_then(|d| local_date(&mut e, "due_date", d));
        match (patient_id, recall_type_id) {
            (Some(patient_id), Some(recall_type_id)) if e.is_empty() => Ok(Self {
                patient_id,
                recall_type_id,
                due_date,
            }),
            _ => Err(e),
        }
    }
}

/// The recall notices to send, as sent: those due by `until`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct NoticesRequest {
    pub until: String,
}

/// The recall notices to send: to every patient due by `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticesInput {
    pub until: Date,
}

impl ParseInput for NoticesInput {
    type Raw = NoticesRequest;

    fn parse(raw: NoticesRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let until = local_date(&mut e, "until", &raw.until);
        e.into_result(until)?
            .map(|until| Self { until })
            .ok_or_else(ValidationErrors::new)
    }
}

/// One patient's recall: when they are due, and how reaching them went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recall {
    pub id: RecallId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub recall_type_id: RecallTypeId,
    /// A local date.
    pub due_date: Date,
    pub status: RecallStatus,
    pub outreach: Outreach,
    pub outreach_attempts: i64,
    pub last_outreach_at: Option<Timestamp>,
    pub appointment_id: Option<AppointmentId>,
    pub version: i64,
}

/// A due-list line: the recall, the patient's name and contact, the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRecall {
    pub recall: Recall,
    pub last_name: String,
    pub first_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub reminder_channel: Channel,
    pub type_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outreach_outcomes_round_trip_and_exclude_none() {
        assert_eq!(Outreach::outcomes().count(), Outreach::ALL.len() - 1);
        for o in Outreach::ALL {
            assert_eq!(o.as_str().parse::<Outreach>(), Ok(*o));
        }
        assert!("phoned".parse::<Outreach>().is_err());
        let recall = |due: &str| {
            RecallInput::parse(RecallRequest {
                patient_id: "0190b4a4-7d3c-7cc1-8f1e-5d7a3f0b9c21".into(),
                recall_type_id: "0190b4a4-7d3c-7cc1-8f1e-5d7a3f0b9c21".into(),
                due_date: due.into(),
            })
        };
        assert_eq!(recall(" ").unwrap().due_date, None);
        assert_eq!(
            recall("2027-06-15").unwrap().due_date,
            Date::new(2027, 6, 15).ok()
        );
        assert_eq!(
            recall("15/06/2027").unwrap_err().errors[0].field,
            "due_date"
        );
        let sent = |o: &str| Outreach::parse(OutreachRequest { outcome: o.into() });
        assert_eq!(sent(" declined "), Ok(Outreach::Declined));
        for refused in ["none", "phoned", ""] {
            let e = sent(refused).unwrap_err();
            assert_eq!(e.errors[0].field, "outcome", "{refused}");
        }
    }
}
