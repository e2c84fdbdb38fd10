//! Recalls: what a practice brings patients back for, when each patient is
//! due, and how the outreach went.

use jiff::civil::Date;

use crate::ValidationErrors;
use crate::ids::{AppointmentId, OrganisationId, PatientId, RecallId, RecallTypeId};
use crate::input::ParseInput;
use crate::patients::Channel;
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
        let sent = |o: &str| Outreach::parse(OutreachRequest { outcome: o.into() });
        assert_eq!(sent(" declined "), Ok(Outreach::Declined));
        for refused in ["none", "phoned", ""] {
            let e = sent(refused).unwrap_err();
            assert_eq!(e.errors[0].field, "outcome", "{refused}");
        }
    }
}
