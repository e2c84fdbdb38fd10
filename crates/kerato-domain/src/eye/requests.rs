//! Sellers' verification requests and agents' copy requests: the record,
//! where each stands on its business-hour clock, and the inputs that log
//! and answer one.

use crate::ValidationErrors;
use crate::calendar::BusinessCalendar;
use crate::eye::exam::MAX_REASON;
use crate::eye::ftc::{VerificationAnswer, agent_copy_deadline, verification_deadline};
use crate::ids::{LocationId, OrganisationId, PatientId, PrescriptionId, RxRequestId, UserId};
use crate::input::{ParseInput, non_blank};
use crate::time::Timestamp;

string_enum!(
    /// Who asks, and so which clock runs.
    RxRequestKind {
        Verification = "verification", "Seller verification (8 business hours)";
        AgentCopy = "agent_copy", "Copy for the patient's agent (40 business hours)";
    }
);

string_enum!(
    /// The prescriber's answer: to a verification `confirmed`, `corrected`
    /// or `invalid`; to an agent's request `sent`.
    RxRequestAnswer {
        Confirmed = "confirmed", "Confirmed";
        Corrected = "corrected", "Corrected";
        Invalid = "invalid", "Not valid";
        Sent = "sent", "Copy sent";
    }
);

string_enum!(
    /// Where a request stands at an instant.
    RxRequestStatus {
        Pending = "pending", "pending";
        Verified = "verified", "verified";
        Corrected = "corrected", "corrected";
        Invalid = "invalid", "invalid";
        PassivelyVerified = "passively_verified", "passively verified";
        Sent = "sent", "sent";
        Overdue = "overdue", "overdue";
    }
);

impl RxRequestKind {
    /// When a request of this kind received at `received_at` is due.
    pub fn deadline(self, received_at: Timestamp, calendar: &BusinessCalendar) -> Timestamp {
        match self {
            Self::Verification => verification_deadline(received_at, calendar),
            Self::AgentCopy => agent_copy_deadline(received_at, calendar),
        }
    }

    /// The answers a request of this kind takes.
    pub fn answers(self) -> &'static [RxRequestAnswer] {
        match self {
            Self::Verification => &[
                RxRequestAnswer::Confirmed,
                RxRequestAnswer::Corrected,
                RxRequestAnswer::Invalid,
            ],
            Self::AgentCopy => &[RxRequestAnswer::Sent],
        }
    }
}

/// A request's answer, with its note (the reason for `invalid`, how a copy
/// was sent), when and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxRequestAnswered {
    pub answer: RxRequestAnswer,
    pub note: String,
    pub at: Timestamp,
    pub by: UserId,
}

/// A request as logged from the fax, phone call or e-mail, with the
/// deadline fixed when it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxRequest {
    pub id: RxRequestId,
    pub organisation_id: OrganisationId,
    pub kind: RxRequestKind,
    pub requester: String,
    pub requester_contact: String,
    pub patient_name: String,
    pub patient_id: Option<PatientId>,
    pub prescription_id: Option<PrescriptionId>,
    pub details: String,
    pub received_at: Timestamp,
    pub due_at: Timestamp,
    pub answered: Option<RxRequestAnswered>,
}

impl RxRequest {
    /// `Some(true)` for an answer by the deadline, `Some(false)` for one
    /// after it, `None` while unanswered. The deadline fixed when the
    /// request arrived decides, whatever the calendar says now.
    pub fn answered_on_time(&self) -> Option<bool> {
        self.answered.as_ref().map(|a| a.at <= self.due_at)
    }

    /// Where the request stands at `now`: a verification not answered by
    /// its deadline is passively verified (16 CFR 315.5(c)), an agent's
    /// copy not sent by its deadline is overdue.
    pub fn status(&self, now: Timestamp) -> RxRequestStatus {
        let lapsed = now > self.due_at;
        match (self.kind, &self.answered) {
            (RxRequestKind::Verification, None) if lapsed => RxRequestStatus::PassivelyVerified,
            (RxRequestKind::Verification, Some(a)) if a.at > self.due_at => {
                RxRequestStatus::PassivelyVerified
            }
            (RxRequestKind::Verification, Some(a)) => match a.answer {
                RxRequestAnswer::Confirmed => RxRequestStatus::Verified,
                RxRequestAnswer::Corrected => RxRequestStatus::Corrected,
                _ => RxRequestStatus::Invalid,
            },
            (RxRequestKind::AgentCopy, Some(_)) => RxRequestStatus::Sent,
            (RxRequestKind::AgentCopy, None) if lapsed => RxRequestStatus::Overdue,
            (_, None) => RxRequestStatus::Pending,
        }
    }

    /// Business time left at `now` before the deadline, in minutes (0 once
    /// answered or passed).
    pub fn minutes_left(&self, now: Timestamp, calendar: &BusinessCalendar) -> i64 {
        if self.answered.is_none() && now < self.due_at {
            calendar.business_hours_between(now, self.due_at).as_mins()
        } else {
            0
        }
    }
}

/// A request as typed from the fax, phone call or e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxRequestInput {
    pub kind: RxRequestKind,
    pub location_id: LocationId,
    pub requester: String,
    pub requester_contact: String,
    pub patient_name: String,
    pub details: String,
    /// When the request arrived, if not now (a fax read in the morning).
    pub received_at: Option<Timestamp>,
}

/// The text shape of [`RxRequestInput`]; `received_at` is an RFC 3339
/// instant such as `2027-06-11T19:00:00Z`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RxRequestRaw {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub requester: String,
    #[serde(default)]
    pub requester_contact: String,
    #[serde(default)]
    pub patient_name: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub received_at: Option<String>,
}

impl ParseInput for RxRequestInput {
    type Raw = RxRequestRaw;

    fn parse(raw: RxRequestRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = raw
            .kind
            .trim()
            .parse::<RxRequestKind>()
            .map_err(|_| {
                e.add(
                    "kind",
                    "a request is a seller's verification or an agent's request for a copy",
                )
            })
            .ok();
        let location_id = raw
            .location_id
            .trim()
            .parse::<LocationId>()
            .map_err(|_| e.add("location_id", "choose the location the request is for"))
            .ok();
        let mut text = |field: &str, value: &str, max: usize| {
            let value = value.trim();
            let n = value.chars().count();
            if n == 0 || n > max {
                e.add(field, format!("required, at most {max} characters"));
            }
            value.to_string()
        };
        let requester = text("requester", &raw.requester, 200);
        let requester_contact = text("requester_contact", &raw.requester_contact, 200);
        let patient_name = text("patient_name", &raw.patient_name, 200);
        let details = text("details", &raw.details, 2000);
        let received_at = match non_blank(raw.received_at.as_deref()) {
            None => None,
            Some(at) => at
                .parse::<jiff::Timestamp>()
                .map(Timestamp::from_jiff)
                .map_err(|_| {
                    e.add(
                        "received_at",
                        "write when the request arrived as an instant with its offset, such as 2027-06-11T09:30:00-04:00",
                    )
                })
                .ok(),
        };
        match (kind, location_id) {
            (Some(kind), Some(location_id)) if e.is_empty() => Ok(Self {
                kind,
                location_id,
                requester,
                requester_contact,
                patient_name,
                details,
                received_at,
            }),
            _ => Err(e),
        }
    }
}

/// An answer to a request, with its note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxAnswerInput {
    pub answer: RxRequestAnswer,
    pub note: String,
}

/// The text shape of [`RxAnswerInput`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RxAnswerRaw {
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub note: Option<String>,
}

impl ParseInput for RxAnswerInput {
    type Raw = RxAnswerRaw;

    fn parse(raw: RxAnswerRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let answer = raw.answer.trim().parse::<RxRequestAnswer>().ok();
        if answer.is_none() {
            let all: Vec<&str> = RxRequestAnswer::ALL.iter().map(|a| a.as_str()).collect();
            e.add("answer", format!("answer with one of {}", all.join(", ")));
        }
        let note = non_blank(raw.note.as_deref()).unwrap_or("").to_string();
        if note.chars().count() > MAX_REASON {
            e.add("note", format!("at most {MAX_REASON} characters"));
        } else if answer == Some(RxRequestAnswer::Invalid) {
            // The rule requires the basis of an invalid answer (16 CFR 315.5).
            if let Err(m) = VerificationAnswer::invalid(&note) {
                e.add("note", m);
            }
        }
        match answer {
            Some(answer) if e.is_empty() => Ok(Self { answer, note }),
            _ => Err(e),
        }
    }
}
