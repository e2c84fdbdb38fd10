//! The alarms due for an open request, and the dashboard's order.

use super::{
    DUE_SOON_DAYS, RequestTimeline, confirmation_due_at, days_left, due_at, original_due_at,
};
use crate::calendar::BusinessCalendar;
use crate::ids::RightsRequestId;
use crate::time::Timestamp;

/// What an alarm is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// The deadline is [`DUE_SOON_DAYS`] days away or less.
    DueSoon,
    /// The deadline has passed and the request is still open.
    Overdue,
    /// A CCPA request's receipt was not confirmed in time.
    ConfirmationOverdue,
    /// The request was extended but the requester was not told yet; the
    /// extension does not count until they are.
    ExtensionNoticeMissing,
}

impl AlarmKind {
    /// The name used in alarm keys; fixed, because stored keys must keep
    /// matching after a rename in code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
            Self::ConfirmationOverdue => "confirmation_overdue",
            Self::ExtensionNoticeMissing => "extension_notice_missing",
        }
    }
}

/// One alarm that is due, with the deadline it is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alarm {
    pub request: RightsRequestId,
    pub kind: AlarmKind,
    pub deadline: Timestamp,
}

impl Alarm {
    /// This alarm's stable key; see [`alarm_key`].
    pub fn key(&self) -> String {
        alarm_key(self.request, self.kind, self.deadline)
    }
}

/// The stable key of an alarm. The deadline is part of it so that an
/// extension, which moves the deadline, gives a fresh "due soon" alarm
/// for the new date, while asking again about the same deadline gives the
/// same key and the application sends it once.
pub fn alarm_key(request: RightsRequestId, kind: AlarmKind, deadline: Timestamp) -> String {
    format!(
        "rights_request:{request}:{}:{}",
        kind.as_str(),
        deadline.as_micros()
    )
}

/// The alarms due for an open request at `now`; a closed request has none.
/// The answer depends only on the history and `now`, so it may be asked
/// as often as the application likes.
pub fn alarms(
    request: &RequestTimeline,
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> Vec<Alarm> {
    if request.state().is_closed() {
        return Vec::new();
    }
    let alarm = |kind, deadline| Alarm {
        request: request.id,
        kind,
        deadline,
    };
    let mut out = Vec::new();
    let due = due_at(request, calendar);
    if now > due {
        out.push(alarm(AlarmKind::Overdue, due));
    } else if days_left(request, now, calendar) <= DUE_SOON_DAYS {
        out.push(alarm(AlarmKind::DueSoon, due));
    }
    if request.confirmed_at.is_none()
        && let Some(confirm_by) = confirmation_due_at(request, calendar)
        && now > confirm_by
    {
        out.push(alarm(AlarmKind::ConfirmationOverdue, confirm_by));
    }
    if request
        .extension
        .as_ref()
        .is_some_and(|e| e.notice_sent_at.is_none())
    {
        out.push(alarm(
            AlarmKind::ExtensionNoticeMissing,
            original_due_at(request, calendar),
        ));
    }
    out
}

/// Requests in the order a dashboard shows them: open before closed, then
/// fewest days left (so overdue ones first, most overdue at the top), then
/// the earlier deadline, the earlier receipt and the ID, so the order is
/// total and stable between reads.
pub fn by_urgency<'a>(
    requests: &'a [RequestTimeline],
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> Vec<&'a RequestTimeline> {
    let mut keyed: Vec<_> = requests
        .iter()
        .map(|r| {
            (
                (
                    r.state().is_closed(),
                    days_left(r, now, calendar),
                    due_at(r, calendar),
                    r.received_at,
                    r.id,
                ),
                r,
            )
        })
        .collect();
    keyed.sort_by_key(|a| a.0);
    keyed.into_iter().map(|(_, r)| r).collect()
}
