//! A request's timeline: its states, the events that move it, and the
//! rules of each step.

use super::{Regime, RequestType, due_at, original_due_at};
use crate::calendar::BusinessCalendar;
use crate::ids::RightsRequestId;
use crate::time::Timestamp;

/// Where a request stands; the order of the variants is the order of the
/// steps, so `a < b` means `a` comes first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Received,
    IdentityVerified,
    InProgress,
    Extended,
    Fulfilled,
    Denied,
}

impl RequestState {
    /// The state as stored beside the timeline and shown in lists.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::IdentityVerified => "identity_verified",
            Self::InProgress => "in_progress",
            Self::Extended => "extended",
            Self::Fulfilled => "fulfilled",
            Self::Denied => "denied",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Self::Fulfilled | Self::Denied)
    }
}

/// The one extension of a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extension {
    pub at: Timestamp,
    pub reason: String,
    /// When the requester was told of the extension and its reason.
    pub notice_sent_at: Option<Timestamp>,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Fulfilled { at: Timestamp, summary: String },
    Denied { at: Timestamp, reason: String },
}

impl Outcome {
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Fulfilled { at, .. } | Self::Denied { at, .. } => *at,
        }
    }
}

/// Something that happened to a request, which [`advance`] records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RequestEvent {
    /// Receipt was confirmed to the requester (CCPA asks for it within 10
    /// business days; other regimes welcome it).
    ConfirmReceipt,
    /// The requester proved who they are.
    VerifyIdentity,
    /// Someone started gathering or changing the data.
    StartWork,
    /// The deadline is extended once, for `reason`; `notice_sent_at` is
    /// when the requester was told, if that has happened.
    Extend {
        reason: String,
        notice_sent_at: Option<Timestamp>,
    },
    /// The requester was told of the extension at `at`.
    RecordExtensionNotice {
        at: Timestamp,
    },
    Fulfil {
        summary: String,
    },
    Deny {
        reason: String,
    },
}

/// One request's history: each step with the instant it was recorded. The
/// state is derived from which steps are present, so the history and the
/// state can never disagree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestTimeline {
    pub id: RightsRequestId,
    pub request_type: RequestType,
    pub regime: Regime,
    pub received_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub identity_verified_at: Option<Timestamp>,
    pub in_progress_at: Option<Timestamp>,
    pub extension: Option<Extension>,
    pub outcome: Option<Outcome>,
}

impl RequestTimeline {
    /// A request just received.
    pub fn new(
        id: RightsRequestId,
        request_type: RequestType,
        regime: Regime,
        received_at: Timestamp,
    ) -> Self {
        Self {
            id,
            request_type,
            regime,
            received_at,
            confirmed_at: None,
            identity_verified_at: None,
            in_progress_at: None,
            extension: None,
            outcome: None,
        }
    }

    /// The furthest step recorded.
    pub fn state(&self) -> RequestState {
        match &self.outcome {
            Some(Outcome::Fulfilled { .. }) => RequestState::Fulfilled,
            Some(Outcome::Denied { .. }) => RequestState::Denied,
            None if self.extension.is_some() => RequestState::Extended,
            None if self.in_progress_at.is_some() => RequestState::InProgress,
            None if self.identity_verified_at.is_some() => RequestState::IdentityVerified,
            None => RequestState::Received,
        }
    }

    /// When the latest step was recorded, which the next step may not
    /// precede.
    fn last_step_at(&self) -> Timestamp {
        [
            Some(self.received_at),
            self.confirmed_at,
            self.identity_verified_at,
            self.in_progress_at,
            self.extension.as_ref().map(|e| e.at),
            self.outcome.as_ref().map(Outcome::at),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.received_at)
    }
}

/// Records `event` at `now` and returns the request's new history, or says
/// why the event cannot happen.
///
/// Steps go forward in order and in time. Identity must be verified before
/// work starts, before an extension and before fulfilment; a denial may
/// come at any open step (an identity that cannot be verified is a reason to
/// deny). The one extension must come before the original deadline, which
/// is why this needs the calendar.
pub fn advance(
    current: &RequestTimeline,
    event: RequestEvent,
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> Result<RequestTimeline, String> {
    use RequestState as S;
    let state = current.state();
    if state.is_closed() {
        return Err(format!(
            "this request was {} and is closed; record a new request if the person asks again",
            if state == S::Fulfilled {
                "fulfilled"
            } else {
                "denied"
            }
        ));
    }
    let last = current.last_step_at();
    if now < last {
        return Err(format!(
            "this step cannot be recorded at {now}, before the previous step ({last})"
        ));
    }
    let mut next = current.clone();
    match event {
        RequestEvent::ConfirmReceipt => {
            if current.confirmed_at.is_some() {
                return Err("receipt of this request has already been confirmed".into());
            }
            next.confirmed_at = Some(now);
        }
        RequestEvent::VerifyIdentity => {
            if state != S::Received {
                return Err("the requester's identity has already been verified".into());
            }
            next.identity_verified_at = Some(now);
        }
        RequestEvent::StartWork => match state {
            S::Received => {
                return Err("verify the requester's identity before working on the request".into());
            }
            S::IdentityVerified => next.in_progress_at = Some(now),
            _ => return Err("work on this request has already started".into()),
        },
        RequestEvent::Extend {
            reason,
            notice_sent_at,
        } => {
            if current.regime.rule().extension.is_none() {
                return Err(format!(
                    "a {} request cannot be extended; answer it by {}",
                    current.regime.label(),
                    due_at(current, calendar)
                ));
            }
            match state {
                S::Received => {
                    return Err(
                        "verify the requester's identity before extending the request".into(),
                    );
                }
                S::Extended => {
                    return Err("this request has already been extended once; the law allows only one extension".into());
                }
                _ => {}
            }
            let original = original_due_at(current, calendar);
            if now > original {
                return Err(format!(
                    "the original deadline ({original}) has passed; an extension must be taken and told to the requester before it"
                ));
            }
            let reason = required(
                &reason,
                "enter why the request needs more time (the requester must be told the reason)",
            )?;
            if let Some(at) = notice_sent_at {
                check_notice(at, current.received_at, now)?;
            }
            next.extension = Some(Extension {
                at: now,
                reason,
                notice_sent_at,
            });
        }
        RequestEvent::RecordExtensionNotice { at } => {
            let Some(extension) = current.extension.as_ref() else {
                return Err("extend the request before recording the extension notice".into());
            };
            if extension.notice_sent_at.is_some() {
                return Err("the extension notice is already recorded".into());
            }
            check_notice(at, current.received_at, now)?;
            next.extension = Some(Extension {
                notice_sent_at: Some(at),
                ..extension.clone()
            });
        }
        RequestEvent::Fulfil { summary } => {
            if state == S::Received {
                return Err("verify the requester's identity before fulfilling the request; data must not go to someone who may not be the person".into());
            }
            let summary = required(
                &summary,
                "enter a summary of what was done (what was sent, changed or deleted)",
            )?;
            next.outcome = Some(Outcome::Fulfilled { at: now, summary });
        }
        RequestEvent::Deny { reason } => {
            let reason = required(
                &reason,
                "enter the reason for the denial; the requester must be told why",
            )?;
            next.outcome = Some(Outcome::Denied { at: now, reason });
        }
    }
    Ok(next)
}

fn required(text: &str, message: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err(message.into())
    } else {
        Ok(text.to_string())
    }
}

fn check_notice(at: Timestamp, received_at: Timestamp, now: Timestamp) -> Result<(), String> {
    if at > now {
        return Err(
            "the notice time is in the future; record the notice once it has been sent".into(),
        );
    }
    if at < received_at {
        return Err(format!(
            "the notice time ({at}) is before the request was received ({received_at})"
        ));
    }
    Ok(())
}
