//! The timers of the loop: which alert is due, for whom, and when.

use super::*;

/// Which step is late.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    NoResult,
    MalignantNotReviewed,
    ResultNotReviewed,
    PatientNotNotified,
}

impl AlertKind {
    pub const ALL: [AlertKind; 4] = [
        Self::NoResult,
        Self::MalignantNotReviewed,
        Self::ResultNotReviewed,
        Self::PatientNotNotified,
    ];

    /// The name used in alert keys; fixed, because stored keys must keep
    /// matching after a rename in code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoResult => "no_result",
            Self::MalignantNotReviewed => "malignant_not_reviewed",
            Self::ResultNotReviewed => "result_not_reviewed",
            Self::PatientNotNotified => "patient_not_notified",
        }
    }

    /// The state in which this timer runs; it stops once the biopsy moves
    /// past it.
    pub fn runs_in(self) -> BiopsyState {
        match self {
            Self::NoResult => BiopsyState::Sent,
            Self::MalignantNotReviewed | Self::ResultNotReviewed => BiopsyState::Resulted,
            Self::PatientNotNotified => BiopsyState::Reviewed,
        }
    }
}

/// Who an alert goes to. The order is the escalation order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The clinician who performed the biopsy (first level).
    ResponsibleClinician,
    /// The practice's medical director or supervising physician, once the
    /// clinician has let the alert stand for the escalation interval.
    MedicalDirector,
}

impl Recipient {
    pub const ALL: [Recipient; 2] = [Self::ResponsibleClinician, Self::MedicalDirector];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResponsibleClinician => "clinician",
            Self::MedicalDirector => "medical_director",
        }
    }
}

/// One alert that is due.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    pub biopsy: BiopsyId,
    pub kind: AlertKind,
    pub due_at: Timestamp,
    pub escalate_to: Recipient,
}

impl Alert {
    /// This alert's stable key; see [`alert_key`].
    pub fn key(&self) -> String {
        alert_key(self.biopsy, self.kind, self.escalate_to)
    }
}

/// The stable key of an alert: the same biopsy, kind and level always give
/// the same key, so the application stores the keys it has sent and never
/// sends one twice, however often it asks [`due_alerts`].
pub fn alert_key(biopsy: BiopsyId, kind: AlertKind, level: Recipient) -> String {
    format!("biopsy:{biopsy}:{}:{}", kind.as_str(), level.as_str())
}

/// The timer running in the biopsy's current state, if any: its kind and
/// when its first alert falls due.
pub fn running_timer(
    biopsy: &BiopsyTimeline,
    calendar: &BusinessCalendar,
) -> Option<(AlertKind, Timestamp)> {
    match biopsy.state() {
        BiopsyState::Sent => {
            let sent = biopsy.sent_at?;
            Some((
                AlertKind::NoResult,
                add_calendar_days(sent, NO_RESULT_DAYS, calendar),
            ))
        }
        BiopsyState::Resulted => {
            let result = biopsy.result.as_ref()?;
            let (kind, days) = if result.diagnosis == Diagnosis::Malignant {
                (
                    AlertKind::MalignantNotReviewed,
                    MALIGNANT_REVIEW_BUSINESS_DAYS,
                )
            } else {
                (AlertKind::ResultNotReviewed, RESULT_REVIEW_BUSINESS_DAYS)
            };
            Some((kind, calendar.add_business_days(result.at, days)))
        }
        BiopsyState::Reviewed => {
            let review = biopsy.review.as_ref()?;
            Some((
                AlertKind::PatientNotNotified,
                calendar.add_business_days(review.at, NOTIFY_BUSINESS_DAYS),
            ))
        }
        _ => None,
    }
}

/// The alerts due for `biopsy` at `now`: those of the timer running in its
/// current state whose due time has come, the clinician's first and the
/// medical director's once the escalation interval has also passed.
///
/// The answer depends only on the history and `now`, so it may be asked
/// as often as the application likes; [`Alert::key`] is what makes each
/// alert go out once. Alerts of earlier states never appear, because only
/// the current state's timer is considered: recording the late step is
/// what stops the alert.
pub fn due_alerts(
    biopsy: &BiopsyTimeline,
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> Vec<Alert> {
    let Some((kind, first_due)) = running_timer(biopsy, calendar) else {
        return Vec::new();
    };
    let escalation_due = calendar.add_business_days(first_due, ESCALATION_BUSINESS_DAYS);
    [
        (Recipient::ResponsibleClinician, first_due),
        (Recipient::MedicalDirector, escalation_due),
    ]
    .into_iter()
    .filter(|(_, due_at)| *due_at <= now)
    .map(|(escalate_to, due_at)| Alert {
        biopsy: biopsy.id,
        kind,
        due_at,
        escalate_to,
    })
    .collect()
}

/// The instant `days` calendar days after `from` in the calendar's zone,
/// so that "seven days" keeps the wall-clock time across a daylight saving
/// change. It saturates at the latest instant past the calendar's end.
pub(super) fn add_calendar_days(
    from: Timestamp,
    days: i64,
    calendar: &BusinessCalendar,
) -> Timestamp {
    from.to_jiff()
        .to_zoned_datetime(calendar.time_zone().clone())
        .checked_add(days.days())
        .map(|z| Timestamp::from_jiff(z.timestamp()))
        .unwrap_or(Timestamp::from_micros(i64::MAX))
}
