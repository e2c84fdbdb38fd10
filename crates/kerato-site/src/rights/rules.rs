//! Rules of privacy requests: what is offered, deadlines, labels, the form's input.

use kerato_core::calendar::BusinessCalendar;
use kerato_core::input::ParseInput;
use kerato_core::rights_request::{
    self, Alarm, AlarmKind, RequestEvent, RequestState, RequestTimeline, RequestType,
};
use kerato_core::time::Timestamp;
use kerato_core::{ValidationErrors, phi_guard};

/// The request types the public form offers; the others of the engine
/// (restriction, accounting of disclosures, …) concern patient records,
/// which the site does not hold.
pub const OFFERED: &[RequestType] = &[
    RequestType::Access,
    RequestType::Correction,
    RequestType::Deletion,
    RequestType::MarketingOptOut,
    RequestType::DoNotSellShare,
];

/// How long a verification link works.
pub const VERIFY_HOURS: i64 = 48;

pub(crate) const HOUR_MICROS: i64 = 3_600_000_000;

/// The longest details text, in characters.
pub const MAX_DETAILS: usize = 2000;

/// The calendar the deadlines are counted on. The statement's regime
/// counts calendar days, so only the zone matters: UTC, because the site
/// has no zone of its own and a UTC date is the one staff and requester
/// both see on the status page.
pub(crate) fn calendar() -> BusinessCalendar {
    BusinessCalendar::federal(jiff::tz::TimeZone::UTC)
}

/// What the requester typed, kept to show the form again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct RightsInput {
    pub name: String,
    pub email: String,
    pub kind: String,
    pub details: String,
}

/// A checked request, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRights {
    pub name: String,
    pub email: String,
    pub kind: RequestType,
    pub details: Option<String>,
}

impl RightsInput {
    /// Every problem at once, by field.
    pub fn validate(&self) -> Result<ValidRights, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = crate::fields::text(&mut e, "name", "your name", &self.name, true, 100);
        let email = crate::fields::email(&mut e, "email", &self.email);
        let kind = self
            .kind
            .parse::<RequestType>()
            .ok()
            .filter(|k| OFFERED.contains(k));
        if kind.is_none() {
            e.add("kind", "choose the kind of request");
        }
        let details = crate::fields::text(
            &mut e,
            "details",
            "the details",
            &self.details,
            false,
            MAX_DETAILS,
        );
        match kind {
            Some(kind) if e.is_empty() => Ok(ValidRights {
                name,
                email,
                kind,
                details: (!details.is_empty()).then_some(details),
            }),
            _ => Err(e),
        }
    }
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    pub id: String,
    pub name: String,
    pub email: String,
    pub details: Option<String>,
    pub timeline: RequestTimeline,
}

/// A request as staff see it in the list, with its clock computed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub request: RightsRequest,
    pub state: RequestState,
    pub due_at: Timestamp,
    pub days_left: i64,
    pub overdue: bool,
}

/// How a state reads on the status page and in the staff list.
pub fn state_label(state: RequestState) -> &'static str {
    match state {
        RequestState::Received => "Received (waiting for e-mail verification)",
        RequestState::IdentityVerified => "E-mail verified",
        RequestState::InProgress => "In progress",
        RequestState::Extended => "Extended",
        RequestState::Fulfilled => "Fulfilled",
        RequestState::Denied => "Denied",
    }
}

/// How a request type reads to the requester, in the first person (the
/// engine's labels are written for staff).
pub fn request_label(kind: RequestType) -> &'static str {
    match kind {
        RequestType::Access => "A copy of my personal information",
        RequestType::Correction => "Correct my personal information",
        RequestType::Deletion => "Delete my personal information",
        RequestType::MarketingOptOut => "Stop marketing e-mail to me",
        RequestType::DoNotSellShare => "Do not sell or share my personal information",
        other => other.label(),
    }
}

pub(crate) fn date(t: Timestamp) -> String {
    t.to_jiff().strftime("%B %-d, %Y").to_string()
}

pub(crate) fn event_name(e: &RequestEvent) -> &'static str {
    match e {
        RequestEvent::ConfirmReceipt => "confirm_receipt",
        RequestEvent::VerifyIdentity => "verify_identity",
        RequestEvent::StartWork => "start_work",
        RequestEvent::Extend { .. } => "extend",
        RequestEvent::RecordExtensionNotice { .. } => "extension_notice",
        RequestEvent::Fulfil { .. } => "fulfil",
        RequestEvent::Deny { .. } => "deny",
    }
}

/// How long the requester's one-time download link works.
pub const DOWNLOAD_DAYS: i64 = 7;

/// What a stored request's details say once patient information is taken
/// out, and the summary of what was taken, if anything.
pub(crate) fn redact(details: Option<String>) -> (Option<String>, Option<String>) {
    match details {
        Some(d) => {
            let r = phi_guard::redact(&d);
            let summary = (!r.findings.is_empty()).then(|| phi_guard::summary(&r.findings));
            (Some(r.text), summary)
        }
        None => (None, None),
    }
}

/// The audit action that records a sent alarm.
pub(crate) const SENT: &str = "rights_request.alarm";

/// What an alarm says, in a subject line or on the staff home: never the
/// requester's name or address, which the privacy page shows to those
/// allowed to see it.
pub(crate) fn headline(alarm: &Alarm) -> String {
    let when = date(alarm.deadline);
    match alarm.kind {
        AlarmKind::DueSoon => format!("Privacy request due soon: answer by {when}"),
        AlarmKind::Overdue => format!("Privacy request overdue: it was due by {when}"),
        AlarmKind::ConfirmationOverdue => {
            format!("Privacy request not confirmed: confirmation was due by {when}")
        }
        AlarmKind::ExtensionNoticeMissing => {
            format!("Privacy request extended without notice: tell the requester by {when}")
        }
    }
}

/// A request with a standing alarm, as the staff home lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub request_id: String,
    pub headline: String,
    /// The kind of request, as staff read it.
    pub kind: &'static str,
    pub received: String,
}

pub(crate) fn standing(listed: &Listed, now: Timestamp) -> Vec<Alarm> {
    rights_request::alarms(&listed.request.timeline, now, &calendar())
}

pub(crate) fn attention(t: &RequestTimeline, alarm: &Alarm) -> Attention {
    Attention {
        request_id: t.id.to_string(),
        headline: headline(alarm),
        kind: t.request_type.label(),
        received: date(t.received_at),
    }
}

/// What a single-use link opens: its request's ID, or why it no longer
/// works. A link is valid through its expiry instant.
pub(crate) enum LinkState {
    Open(String),
    Used,
    Expired,
}

/// The form and the JSON body parse once into a checked value: the
/// text shape is [`RightsInput`], checked by its `validate`.
impl ParseInput for ValidRights {
    type Raw = RightsInput;

    fn parse(raw: RightsInput) -> Result<Self, ValidationErrors> {
        raw.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> RightsInput {
        RightsInput {
            name: "Ann Lee".into(),
            email: "ann@leeeye.example".into(),
            kind: "access".into(),
            details: String::new(),
        }
    }

    #[test]
    fn a_complete_request_is_valid() {
        let v = good().validate().unwrap();
        assert_eq!(v.kind, RequestType::Access);
        assert_eq!(v.details, None);
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = RightsInput {
            name: String::new(),
            email: "nope".into(),
            kind: "accounting_of_disclosures".into(),
            details: "y".repeat(MAX_DETAILS + 1),
        };
        let e = bad.validate().unwrap_err();
        for field in ["name", "email", "kind", "details"] {
            assert!(e.for_field(field).is_some(), "{field} not reported");
        }
    }

    #[test]
    fn details_lose_patient_information_and_say_what() {
        let (text, summary) = redact(Some("My SSN is 123-45-6789.".into()));
        assert!(!text.unwrap().contains("6789"));
        assert!(summary.unwrap().contains("Social Security"));
        assert_eq!(redact(Some("Please send my data".into())).1, None);
    }
}
