//! Privacy rights requests and the legal clock of each regime: when a
//! request is due, whether it may be extended, how many days are left, and
//! which alarms are due.
//!
//! # Regimes
//!
//! | Regime | Respond within | Extension | Also | Source |
//! |---|---|---|---|---|
//! | [`Regime::Statement`] | 45 calendar days | once, +45 (90 in all) | | privacy statement §6 |
//! | [`Regime::HipaaAccess`] | 30 calendar days | once, +30 | | 45 CFR 164.524 |
//! | [`Regime::HipaaAmendment`] | 60 calendar days | once, +30 | | 45 CFR 164.526 |
//! | [`Regime::HipaaAccounting`] | 60 calendar days | once, +30 | | 45 CFR 164.528 |
//! | [`Regime::Ccpa`] | 45 calendar days | once, +45 (90 in all) | confirm receipt within 10 business days | 11 CCR 7021 |
//! | [`Regime::CcpaOptOut`] | 15 business days | none | | 11 CCR 7026(f) |
//! | [`Regime::Gdpr`] | 1 month | once, +2 months | | GDPR Art. 12(3) |
//!
//! The figures are those of the privacy research note (§2.2, §2.3). Every
//! extension needs a reason and a notice to the requester sent no later
//! than the original deadline: HIPAA asks for the written reason "within
//! the 30 days", CCPA for notice "within the first 45-day period", GDPR
//! "within one month of receipt", and the statement promises 90 days only
//! when "a request is complex", and the requester is told why.
//!
//! # How the days are counted (Kerato's choices)
//!
//! - Days are dates in the practice's time zone (the [`BusinessCalendar`]'s
//!   zone). The day of receipt does not count, and a request is due by the
//!   end of its last day: one received on 1 March with 30 days is due at
//!   the last instant of 31 March, local time. Counting whole dates, not
//!   24-hour periods, is what lets staff read a deadline as a date, and it
//!   keeps [`days_left`] falling by exactly one each local day even across
//!   a daylight saving change.
//! - GDPR months are calendar months: the same day number in the month
//!   after, or that month's last day when it has no such day. So 31
//!   January plus one month is 28 February (29 in a leap year), and 15
//!   March is due on 15 April. The EU rule on time limits (Regulation
//!   1182/71, Art. 3) also ends a month on the last day when the day is
//!   missing; it then moves a deadline that falls on a weekend or holiday
//!   to the next working day, which Kerato does not do, because the
//!   calendar does not know EU holidays and an earlier deadline can never
//!   be missed.
//! - An extension runs from the original deadline, not from receipt. For
//!   day counts the two are the same; for GDPR months the original
//!   deadline may already have been clamped to a short month's end (31
//!   January → 28 February → 28 April rather than 30 April), and the
//!   earlier date is the safe reading of "extended by two further months".
//! - The CCPA confirmation is due by the end of the tenth business day
//!   after the day of receipt, on the calendar's business days (weekdays,
//!   no federal holidays). A request received on a weekend, a holiday or
//!   after hours counts from the day it arrived, so hours of the day do
//!   not matter.
//! - An extension only moves the deadline once its notice is recorded as
//!   sent by the original deadline. Until then the original deadline
//!   stands and [`AlarmKind::ExtensionNoticeMissing`] is raised, because
//!   an extension nobody was told of does not exist for the requester.

use jiff::Span;
use jiff::civil::{Date, DateTime, Time};

use crate::calendar::BusinessCalendar;
use crate::ids::RightsRequestId;
use crate::time::Timestamp;

/// Days before a deadline from which the request is reported as due soon.
pub const DUE_SOON_DAYS: i64 = 7;

string_enum!(
    /// What the requester asks for.
    RequestType {
        Access = "access", "Access to (a copy of) their data";
        Correction = "correction", "Correction or amendment";
        Deletion = "deletion", "Deletion";
        MarketingOptOut = "marketing_opt_out", "Opt-out of marketing";
        DoNotSellShare = "do_not_sell_share", "Do not sell or share";
        Restriction = "restriction", "Restriction of use or disclosure";
        ConfidentialCommunications = "confidential_communications", "Confidential communications";
        AccountingOfDisclosures = "accounting_of_disclosures", "Accounting of disclosures";
    }
);

string_enum!(
    /// The law or promise whose clock a request runs on.
    Regime {
        Statement = "statement", "Our privacy statement (45 days, 90 when complex)";
        HipaaAccess = "hipaa_access", "HIPAA right of access (30 + 30 days)";
        HipaaAmendment = "hipaa_amendment", "HIPAA amendment (60 + 30 days)";
        HipaaAccounting = "hipaa_accounting", "HIPAA accounting of disclosures (60 + 30 days)";
        Ccpa = "ccpa", "CCPA/CPRA request to know, delete or correct (45 + 45 days)";
        CcpaOptOut = "ccpa_opt_out", "CCPA/CPRA opt-out or limit (15 business days)";
        Gdpr = "gdpr", "GDPR (1 month + 2 months)";
    }
);

string_enum!(
    /// Where the requester's rights come from.
    Jurisdiction {
        UnitedStates = "us", "United States (outside California)";
        California = "us_ca", "California";
        EuropeanUnion = "eu", "European Union or EEA";
    }
);

/// A length of time in the unit the law counts it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(i32),
    Months(i32),
    BusinessDays(u32),
}

/// A regime's clock as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegimeRule {
    pub respond_within: Period,
    /// The one extension allowed, if any.
    pub extension: Option<Period>,
    /// Business days within which receipt must be confirmed, if the regime
    /// asks for a confirmation.
    pub confirm_within_business_days: Option<u32>,
    pub citation: &'static str,
}

impl Regime {
    /// The clock of this regime.
    pub fn rule(self) -> RegimeRule {
        let rule = |respond_within, extension, citation| RegimeRule {
            respond_within,
            extension,
            confirm_within_business_days: None,
            citation,
        };
        match self {
            Self::Statement => rule(
                Period::Days(45),
                Some(Period::Days(45)),
                "privacy statement §6: \"within 45 days\", extended once \"to 90 days in all\" when a request is complex",
            ),
            Self::HipaaAccess => rule(
                Period::Days(30),
                Some(Period::Days(30)),
                "45 CFR 164.524(b)(2)",
            ),
            Self::HipaaAmendment => rule(
                Period::Days(60),
                Some(Period::Days(30)),
                "45 CFR 164.526(b)(2)",
            ),
            Self::HipaaAccounting => rule(
                Period::Days(60),
                Some(Period::Days(30)),
                "45 CFR 164.528(c)(1)",
            ),
            Self::Ccpa => RegimeRule {
                confirm_within_business_days: Some(10),
                ..rule(
                    Period::Days(45),
                    Some(Period::Days(45)),
                    "11 CCR 7021(a)-(b)",
                )
            },
            Self::CcpaOptOut => rule(Period::BusinessDays(15), None, "11 CCR 7026(f)"),
            Self::Gdpr => rule(
                Period::Months(1),
                Some(Period::Months(2)),
                "GDPR Art. 12(3)",
            ),
        }
    }
}

/// The regime whose clock a request should run on.
///
/// - **Patient PHI** follows HIPAA wherever the patient lives: CCPA
///   exempts PHI a covered entity collects (Cal. Civ. Code 1798.146), and
///   the research note (§2.3) says "PHI requests follow HIPAA's 30/60-day
///   clocks". Access, amendment and accounting have HIPAA clocks. HIPAA
///   sets no deadline for deletion, restriction, confidential
///   communications or opt-outs, so those run on the statement's 45 days
///   rather than on no clock at all. An EU patient of a US practice is
///   treated as a HIPAA patient; whether GDPR reaches such a practice is a
///   question for counsel.
/// - **Other personal information** runs on the jurisdiction's law when it
///   has one, and otherwise on the statement. The jurisdiction's clock is
///   the stricter for the first deadline in every case (CCPA's 45 days add
///   a confirmation; its opt-out's 15 business days and GDPR's month are
///   shorter than 45 days), which is why it wins. A CCPA opt-out or limit
///   (do not sell or share, marketing, restriction) runs on the 15
///   business days of 11 CCR 7026(f) and 7027; confidential communications
///   are no CCPA right and run on the statement.
pub fn regime_for(
    request_type: RequestType,
    is_patient_phi: bool,
    jurisdiction: Jurisdiction,
) -> Regime {
    use RequestType as T;
    if is_patient_phi {
        return match request_type {
            T::Access => Regime::HipaaAccess,
            T::Correction => Regime::HipaaAmendment,
            T::AccountingOfDisclosures => Regime::HipaaAccounting,
            T::Deletion
            | T::MarketingOptOut
            | T::DoNotSellShare
            | T::Restriction
            | T::ConfidentialCommunications => Regime::Statement,
        };
    }
    match jurisdiction {
        Jurisdiction::UnitedStates => Regime::Statement,
        Jurisdiction::EuropeanUnion => Regime::Gdpr,
        Jurisdiction::California => match request_type {
            T::Access | T::Correction | T::Deletion | T::AccountingOfDisclosures => Regime::Ccpa,
            T::MarketingOptOut | T::DoNotSellShare | T::Restriction => Regime::CcpaOptOut,
            T::ConfidentialCommunications => Regime::Statement,
        },
    }
}

// ---------------------------------------------------------------------------
// Timeline
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------

/// The first deadline, before any extension.
pub fn original_due_at(request: &RequestTimeline, calendar: &BusinessCalendar) -> Timestamp {
    end_of_day(original_due_date(request, calendar), calendar)
}

/// When the request must be answered: the extended deadline if the
/// extension's notice went out by the original deadline, else the original.
pub fn due_at(request: &RequestTimeline, calendar: &BusinessCalendar) -> Timestamp {
    end_of_day(due_date(request, calendar), calendar)
}

/// When receipt must have been confirmed, for a regime that asks for it.
pub fn confirmation_due_at(
    request: &RequestTimeline,
    calendar: &BusinessCalendar,
) -> Option<Timestamp> {
    let days = request.regime.rule().confirm_within_business_days?;
    let received = local_date(request.received_at, calendar);
    Some(end_of_day(
        add_period(received, Period::BusinessDays(days), calendar),
        calendar,
    ))
}

/// Whole days from `now`'s local date to the deadline's: 0 on the last
/// day, negative once overdue. Computed on each read, never stored.
pub fn days_left(request: &RequestTimeline, now: Timestamp, calendar: &BusinessCalendar) -> i64 {
    let today = local_date(now, calendar);
    today.duration_until(due_date(request, calendar)).as_hours() / 24
}

/// Whether an open request is past its deadline at `now`.
pub fn is_overdue(request: &RequestTimeline, now: Timestamp, calendar: &BusinessCalendar) -> bool {
    !request.state().is_closed() && now > due_at(request, calendar)
}

fn original_due_date(request: &RequestTimeline, calendar: &BusinessCalendar) -> Date {
    let received = local_date(request.received_at, calendar);
    add_period(received, request.regime.rule().respond_within, calendar)
}

fn due_date(request: &RequestTimeline, calendar: &BusinessCalendar) -> Date {
    let original = original_due_date(request, calendar);
    let original_end = end_of_day(original, calendar);
    match (&request.extension, request.regime.rule().extension) {
        (Some(extension), Some(period))
            if extension
                .notice_sent_at
                .is_some_and(|sent| sent <= original_end) =>
        {
            add_period(original, period, calendar)
        }
        _ => original,
    }
}

/// The date `period` after `from`, the day `from` itself not counted.
/// Past the calendar's last date it saturates there.
fn add_period(from: Date, period: Period, calendar: &BusinessCalendar) -> Date {
    match period {
        Period::Days(days) => from
            .checked_add(Span::new().days(days))
            .unwrap_or(Date::MAX),
        Period::Months(months) => from
            .checked_add(Span::new().months(months))
            .unwrap_or(Date::MAX),
        Period::BusinessDays(0) => from,
        Period::BusinessDays(days) => {
            // The calendar counts open days after an instant, rolling an
            // instant outside business hours to the next opening. Starting
            // from the first opening on or after `from`'s midnight makes
            // the count independent of the hour of receipt: when `from` is
            // open, that opening is on `from` and the count runs `days`
            // open days past it; when it is closed, the opening is the
            // first business day, which is itself day one.
            let first = calendar.add_business_hours(start_of_day(from, calendar), 0);
            let counted = if local_date(first, calendar) == from {
                days
            } else {
                days - 1
            };
            local_date(calendar.add_business_days(first, counted), calendar)
        }
    }
}

fn local_date(at: Timestamp, calendar: &BusinessCalendar) -> Date {
    at.to_jiff()
        .to_zoned_datetime(calendar.time_zone().clone())
        .date()
}

/// The first instant of `date` in the calendar's zone (after a gap if
/// midnight is skipped by a daylight saving change).
fn start_of_day(date: Date, calendar: &BusinessCalendar) -> Timestamp {
    calendar
        .time_zone()
        .to_timestamp(DateTime::from_parts(date, Time::midnight()))
        .map(Timestamp::from_jiff)
        .unwrap_or(Timestamp::from_micros(i64::MAX))
}

/// The last instant of `date` in the calendar's zone.
fn end_of_day(date: Date, calendar: &BusinessCalendar) -> Timestamp {
    match date.tomorrow() {
        Ok(next) => start_of_day(next, calendar).plus_micros(-1),
        Err(_) => Timestamp::from_micros(i64::MAX),
    }
}

// ---------------------------------------------------------------------------
// Alarms
// ---------------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, TestClock};
    use jiff::civil::date;
    use proptest::prelude::*;

    const DAY_SECS: i64 = 86_400;

    fn calendar() -> BusinessCalendar {
        BusinessCalendar::federal(jiff::tz::db().get("America/New_York").unwrap())
    }

    /// The instant of a wall-clock time in New York.
    fn ny(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
        let tz = jiff::tz::db().get("America/New_York").unwrap();
        Timestamp::from_jiff(
            date(y, m, d)
                .at(h, min, 0, 0)
                .to_zoned_datetime(tz)
                .unwrap()
                .timestamp(),
        )
    }

    /// The last instant of a New York date, which is how deadlines read.
    fn end_of(y: i16, m: i8, d: i8) -> Timestamp {
        end_of_day(date(y, m, d), &calendar())
    }

    fn id() -> RightsRequestId {
        RightsRequestId::new(Timestamp::from_micros(0), [7; 10])
    }

    fn request(regime: Regime, received: Timestamp) -> RequestTimeline {
        RequestTimeline::new(id(), RequestType::Access, regime, received)
    }

    fn step(r: &RequestTimeline, event: RequestEvent, now: Timestamp) -> RequestTimeline {
        advance(r, event, now, &calendar()).unwrap()
    }

    fn verified(regime: Regime, received: Timestamp) -> RequestTimeline {
        step(
            &request(regime, received),
            RequestEvent::VerifyIdentity,
            received,
        )
    }

    /// A request verified and extended with the notice sent at once.
    fn extended(regime: Regime, received: Timestamp, at: Timestamp) -> RequestTimeline {
        step(
            &verified(regime, received),
            RequestEvent::Extend {
                reason: "records are in three systems".into(),
                notice_sent_at: Some(at),
            },
            at,
        )
    }

    fn kinds(alarms: &[Alarm]) -> Vec<AlarmKind> {
        alarms.iter().map(|a| a.kind).collect()
    }

    /// Every regime's first and extended deadline for a request received
    /// at 10:00 on 3 March 2025 (a Monday), checked against a clock that
    /// walks to the deadline: no overdue alarm at its last instant, one a
    /// microsecond later.
    #[test]
    fn every_regime_has_its_deadline_and_extension() {
        let cal = calendar();
        let received = ny(2025, 3, 3, 10, 0);
        let cases = [
            (
                Regime::Statement,
                end_of(2025, 4, 17),
                Some(end_of(2025, 6, 1)),
            ),
            (
                Regime::HipaaAccess,
                end_of(2025, 4, 2),
                Some(end_of(2025, 5, 2)),
            ),
            (
                Regime::HipaaAmendment,
                end_of(2025, 5, 2),
                Some(end_of(2025, 6, 1)),
            ),
            (
                Regime::HipaaAccounting,
                end_of(2025, 5, 2),
                Some(end_of(2025, 6, 1)),
            ),
            (Regime::Ccpa, end_of(2025, 4, 17), Some(end_of(2025, 6, 1))),
            // Fifteen business days after Monday 3 March: 24 March.
            (Regime::CcpaOptOut, end_of(2025, 3, 24), None),
            (Regime::Gdpr, end_of(2025, 4, 3), Some(end_of(2025, 6, 3))),
        ];
        for (regime, first, second) in cases {
            let r = verified(regime, received);
            assert_eq!(due_at(&r, &cal), first, "{regime}");
            let clock = TestClock::new(first);
            assert!(
                !kinds(&alarms(&r, clock.now(), &cal)).contains(&AlarmKind::Overdue),
                "{regime}"
            );
            assert_eq!(days_left(&r, clock.now(), &cal), 0, "{regime}");
            clock.advance_micros(1);
            assert!(
                kinds(&alarms(&r, clock.now(), &cal)).contains(&AlarmKind::Overdue),
                "{regime}"
            );
            assert_eq!(days_left(&r, clock.now(), &cal), -1, "{regime}");

            let decided = ny(2025, 3, 10, 9, 0);
            let outcome = advance(
                &r,
                RequestEvent::Extend {
                    reason: "complex".into(),
                    notice_sent_at: Some(decided),
                },
                decided,
                &cal,
            );
            match second {
                Some(extended_due) => {
                    let e = outcome.unwrap();
                    assert_eq!(e.state(), RequestState::Extended);
                    assert_eq!(due_at(&e, &cal), extended_due, "{regime}");
                    assert_eq!(original_due_at(&e, &cal), first, "{regime}");
                    assert!(!is_overdue(&e, first.plus_micros(1), &cal), "{regime}");
                    assert!(
                        is_overdue(&e, extended_due.plus_micros(1), &cal),
                        "{regime}"
                    );
                }
                None => {
                    let err = outcome.unwrap_err();
                    assert!(err.contains("cannot be extended"), "{regime}: {err}");
                }
            }
        }
    }

    #[test]
    fn the_statement_promises_45_days_and_90_in_all() {
        let cal = calendar();
        let received = ny(2025, 1, 6, 12, 0);
        let r = verified(Regime::Statement, received);
        assert_eq!(days_left(&r, received, &cal), 45);
        let e = extended(Regime::Statement, received, ny(2025, 1, 7, 12, 0));
        assert_eq!(days_left(&e, received, &cal), 90);
    }

    /// GDPR months: 31 January plus a month is the last day of February,
    /// in a common and in a leap year, and the extension runs two months
    /// from that clamped date.
    #[test]
    fn gdpr_months_end_at_the_month_end() {
        let cal = calendar();
        let cases = [
            ((2025, 1, 31), (2025, 2, 28), (2025, 4, 28)),
            ((2024, 1, 31), (2024, 2, 29), (2024, 4, 29)),
            ((2025, 1, 30), (2025, 2, 28), (2025, 4, 28)),
            ((2025, 3, 15), (2025, 4, 15), (2025, 6, 15)),
            ((2025, 12, 31), (2026, 1, 31), (2026, 3, 31)),
            ((2025, 8, 31), (2025, 9, 30), (2025, 11, 30)),
        ];
        for ((y, m, d), (fy, fm, fd), (ey, em, ed)) in cases {
            let received = ny(y, m, d, 23, 30);
            let r = verified(Regime::Gdpr, received);
            assert_eq!(due_at(&r, &cal), end_of(fy, fm, fd), "received {y}-{m}-{d}");
            let e = extended(Regime::Gdpr, received, received);
            assert_eq!(due_at(&e, &cal), end_of(ey, em, ed), "received {y}-{m}-{d}");
        }
    }

    /// Labor Day weekend 2025: Monday 1 September is a federal holiday, so
    /// ten business days after Friday 29 August end on Monday 15 September,
    /// not Friday 12. A request arriving after hours on Friday, on the
    /// Saturday or on the holiday itself counts the same way.
    #[test]
    fn ccpa_confirmation_counts_business_days_across_a_holiday_weekend() {
        let cal = calendar();
        for received in [
            ny(2025, 8, 29, 10, 0),
            ny(2025, 8, 29, 20, 0),
            ny(2025, 8, 30, 11, 0),
            ny(2025, 9, 1, 9, 30),
        ] {
            let r = request(Regime::Ccpa, received);
            assert_eq!(
                confirmation_due_at(&r, &cal),
                Some(end_of(2025, 9, 15)),
                "{received}"
            );
        }
        // A request received on Tuesday 2 September counts from then.
        let r = request(Regime::Ccpa, ny(2025, 9, 2, 8, 0));
        assert_eq!(confirmation_due_at(&r, &cal), Some(end_of(2025, 9, 16)));
        // Other regimes ask for no confirmation.
        assert_eq!(
            confirmation_due_at(&request(Regime::Gdpr, ny(2025, 9, 2, 8, 0)), &cal),
            None
        );
    }

    #[test]
    fn ccpa_confirmation_alarm_fires_once_late_and_stops_when_confirmed() {
        let cal = calendar();
        let received = ny(2025, 8, 29, 10, 0);
        let r = request(Regime::Ccpa, received);
        let clock = TestClock::new(end_of(2025, 9, 15));
        assert!(!kinds(&alarms(&r, clock.now(), &cal)).contains(&AlarmKind::ConfirmationOverdue));
        clock.advance_secs(1);
        let late = alarms(&r, clock.now(), &cal);
        assert!(kinds(&late).contains(&AlarmKind::ConfirmationOverdue));
        clock.advance_secs(DAY_SECS);
        let later = alarms(&r, clock.now(), &cal);
        let key = |a: &[Alarm]| {
            a.iter()
                .find(|x| x.kind == AlarmKind::ConfirmationOverdue)
                .map(Alarm::key)
        };
        assert_eq!(key(&late), key(&later), "the same alarm keeps the same key");
        let confirmed = step(&r, RequestEvent::ConfirmReceipt, clock.now());
        assert!(
            !kinds(&alarms(&confirmed, clock.now(), &cal))
                .contains(&AlarmKind::ConfirmationOverdue)
        );
    }

    #[test]
    fn due_soon_starts_seven_days_out_and_an_extension_gives_a_new_key() {
        let cal = calendar();
        let received = ny(2025, 3, 3, 10, 0);
        let r = verified(Regime::HipaaAccess, received);
        // Due 2 April; seven days before is 26 March.
        assert!(alarms(&r, ny(2025, 3, 25, 23, 0), &cal).is_empty());
        let soon = alarms(&r, ny(2025, 3, 26, 0, 1), &cal);
        assert_eq!(kinds(&soon), [AlarmKind::DueSoon]);
        let e = step(
            &r,
            RequestEvent::Extend {
                reason: "records archived off site".into(),
                notice_sent_at: Some(ny(2025, 3, 27, 9, 0)),
            },
            ny(2025, 3, 27, 9, 0),
        );
        assert!(
            alarms(&e, ny(2025, 3, 27, 9, 0), &cal).is_empty(),
            "the new deadline is a month away"
        );
        let soon_again = alarms(&e, ny(2025, 4, 25, 9, 0), &cal);
        assert_eq!(kinds(&soon_again), [AlarmKind::DueSoon]);
        assert_ne!(soon[0].key(), soon_again[0].key());
        assert!(
            soon_again[0]
                .key()
                .starts_with(&format!("rights_request:{}:due_soon:", id()))
        );
    }

    #[test]
    fn an_extension_counts_only_once_its_notice_is_sent_in_time() {
        let cal = calendar();
        let received = ny(2025, 3, 3, 10, 0);
        let first = end_of(2025, 4, 2);
        let e = step(
            &verified(Regime::HipaaAccess, received),
            RequestEvent::Extend {
                reason: "records archived off site".into(),
                notice_sent_at: None,
            },
            ny(2025, 3, 20, 9, 0),
        );
        assert_eq!(due_at(&e, &cal), first, "no notice, no extension");
        let now = ny(2025, 3, 20, 9, 0);
        assert!(kinds(&alarms(&e, now, &cal)).contains(&AlarmKind::ExtensionNoticeMissing));

        let told = step(&e, RequestEvent::RecordExtensionNotice { at: now }, now);
        assert_eq!(due_at(&told, &cal), end_of(2025, 5, 2));
        assert!(!kinds(&alarms(&told, now, &cal)).contains(&AlarmKind::ExtensionNoticeMissing));

        // A notice sent after the original deadline is recorded, but the
        // extension it announces came too late to count.
        let late_at = first.plus_micros(1);
        let late = step(
            &e,
            RequestEvent::RecordExtensionNotice { at: late_at },
            late_at,
        );
        assert_eq!(due_at(&late, &cal), first);
        assert!(kinds(&alarms(&late, late_at, &cal)).contains(&AlarmKind::Overdue));
    }

    #[test]
    fn advance_refuses_steps_out_of_order() {
        let cal = calendar();
        let received = ny(2025, 3, 3, 10, 0);
        let later = ny(2025, 3, 4, 10, 0);
        let r = request(Regime::HipaaAccess, received);
        let refused = |r: &RequestTimeline, event: RequestEvent, now: Timestamp, needle: &str| {
            let err = advance(r, event, now, &cal).unwrap_err();
            assert!(err.contains(needle), "{err}");
        };
        refused(
            &r,
            RequestEvent::Fulfil {
                summary: "sent".into(),
            },
            later,
            "verify the requester's identity",
        );
        refused(
            &r,
            RequestEvent::StartWork,
            later,
            "verify the requester's identity",
        );
        refused(
            &r,
            RequestEvent::Extend {
                reason: "x".into(),
                notice_sent_at: None,
            },
            later,
            "verify the requester's identity",
        );
        refused(
            &r,
            RequestEvent::RecordExtensionNotice { at: later },
            later,
            "extend the request before",
        );
        refused(
            &r,
            RequestEvent::Deny {
                reason: "  ".into(),
            },
            later,
            "reason for the denial",
        );
        refused(
            &r,
            RequestEvent::VerifyIdentity,
            received.plus_micros(-1),
            "before the previous step",
        );

        let v = step(&r, RequestEvent::VerifyIdentity, later);
        assert_eq!(v.state(), RequestState::IdentityVerified);
        refused(
            &v,
            RequestEvent::VerifyIdentity,
            later,
            "already been verified",
        );
        refused(
            &v,
            RequestEvent::Fulfil {
                summary: " ".into(),
            },
            later,
            "summary",
        );
        refused(
            &v,
            RequestEvent::Extend {
                reason: "".into(),
                notice_sent_at: None,
            },
            later,
            "why the request needs more time",
        );
        refused(
            &v,
            RequestEvent::Extend {
                reason: "big".into(),
                notice_sent_at: Some(ny(2025, 3, 5, 0, 0)),
            },
            later,
            "in the future",
        );
        refused(
            &v,
            RequestEvent::Extend {
                reason: "big".into(),
                notice_sent_at: None,
            },
            end_of(2025, 4, 2).plus_micros(1),
            "original deadline",
        );

        let w = step(&v, RequestEvent::StartWork, later);
        assert_eq!(w.state(), RequestState::InProgress);
        refused(&w, RequestEvent::StartWork, later, "already started");
        let e = step(
            &w,
            RequestEvent::Extend {
                reason: "big".into(),
                notice_sent_at: Some(later),
            },
            later,
        );
        refused(
            &e,
            RequestEvent::Extend {
                reason: "again".into(),
                notice_sent_at: None,
            },
            later,
            "only one extension",
        );
        refused(
            &e,
            RequestEvent::RecordExtensionNotice { at: later },
            later,
            "already recorded",
        );

        let done = step(
            &e,
            RequestEvent::Fulfil {
                summary: "copy sent by portal".into(),
            },
            later,
        );
        assert_eq!(done.state(), RequestState::Fulfilled);
        refused(&done, RequestEvent::ConfirmReceipt, later, "is closed");
        assert!(
            alarms(&done, end_of(2026, 1, 1), &cal).is_empty(),
            "a closed request raises nothing"
        );
        assert!(!is_overdue(&done, end_of(2026, 1, 1), &cal));

        let denied = step(
            &r,
            RequestEvent::Deny {
                reason: "identity could not be verified".into(),
            },
            later,
        );
        assert_eq!(denied.state(), RequestState::Denied);
        refused(
            &denied,
            RequestEvent::VerifyIdentity,
            later,
            "denied and is closed",
        );
    }

    #[test]
    fn regime_for_picks_hipaa_for_phi_and_the_local_law_otherwise() {
        use Jurisdiction as J;
        use RequestType as T;
        let cases = [
            (T::Access, true, J::California, Regime::HipaaAccess),
            (
                T::Correction,
                true,
                J::EuropeanUnion,
                Regime::HipaaAmendment,
            ),
            (
                T::AccountingOfDisclosures,
                true,
                J::UnitedStates,
                Regime::HipaaAccounting,
            ),
            (T::Deletion, true, J::California, Regime::Statement),
            (T::Access, false, J::California, Regime::Ccpa),
            (T::DoNotSellShare, false, J::California, Regime::CcpaOptOut),
            (T::MarketingOptOut, false, J::California, Regime::CcpaOptOut),
            (
                T::ConfidentialCommunications,
                false,
                J::California,
                Regime::Statement,
            ),
            (T::Deletion, false, J::EuropeanUnion, Regime::Gdpr),
            (T::Access, false, J::UnitedStates, Regime::Statement),
        ];
        for (t, phi, j, expected) in cases {
            assert_eq!(regime_for(t, phi, j), expected, "{t} phi={phi} {j}");
        }
    }

    /// For non-PHI, the chosen regime's first deadline is never later than
    /// the statement's, which is what "the strictest applies" promises.
    #[test]
    fn the_local_law_is_never_laxer_than_the_statement() {
        let cal = calendar();
        let received = ny(2025, 7, 31, 10, 0);
        let statement = due_at(&request(Regime::Statement, received), &cal);
        for t in RequestType::ALL {
            for j in Jurisdiction::ALL {
                let regime = regime_for(*t, false, *j);
                assert!(
                    due_at(&request(regime, received), &cal) <= statement,
                    "{t} {j}"
                );
            }
        }
    }

    #[test]
    fn dashboard_shows_overdue_first_then_fewest_days_left() {
        let cal = calendar();
        let now = ny(2025, 5, 1, 12, 0);
        let mk = |n: u8, regime, received| RequestTimeline {
            id: RightsRequestId::new(Timestamp::from_micros(0), [n; 10]),
            ..request(regime, received)
        };
        let overdue_a_lot = mk(1, Regime::HipaaAccess, ny(2025, 3, 1, 9, 0));
        let overdue_a_bit = mk(2, Regime::HipaaAccess, ny(2025, 3, 30, 9, 0));
        let soon = mk(3, Regime::HipaaAccess, ny(2025, 4, 5, 9, 0));
        let later = mk(4, Regime::Statement, ny(2025, 4, 5, 9, 0));
        let closed = step(
            &mk(5, Regime::HipaaAccess, ny(2025, 2, 1, 9, 0)),
            RequestEvent::Deny {
                reason: "not our record".into(),
            },
            ny(2025, 2, 2, 9, 0),
        );
        let all = [
            later.clone(),
            closed.clone(),
            soon.clone(),
            overdue_a_bit.clone(),
            overdue_a_lot.clone(),
        ];
        let order: Vec<RightsRequestId> =
            by_urgency(&all, now, &cal).iter().map(|r| r.id).collect();
        assert_eq!(
            order,
            [
                overdue_a_lot.id,
                overdue_a_bit.id,
                soon.id,
                later.id,
                closed.id
            ]
        );
    }

    fn any_regime() -> impl Strategy<Value = Regime> {
        proptest::sample::select(Regime::ALL.to_vec())
    }

    /// Instants from 2020 to 2035.
    fn any_instant() -> impl Strategy<Value = Timestamp> {
        (1_577_836_800i64..2_082_758_400).prop_map(|s| Timestamp::from_micros(s * 1_000_000))
    }

    proptest! {
        #[test]
        fn a_deadline_is_never_before_receipt(regime in any_regime(), received in any_instant()) {
            let cal = calendar();
            let r = request(regime, received);
            prop_assert!(due_at(&r, &cal) > received);
            prop_assert!(days_left(&r, received, &cal) >= 15);
            if let Some(confirm) = confirmation_due_at(&r, &cal) {
                prop_assert!(confirm > received);
                prop_assert!(confirm < due_at(&r, &cal));
            }
        }

        #[test]
        fn an_extension_never_shortens_a_deadline(
            regime in any_regime(),
            received in any_instant(),
            after_hours in 0i64..(30 * 24),
        ) {
            let cal = calendar();
            let v = verified(regime, received);
            let at = received.plus_micros(after_hours * 3_600_000_000);
            let event = RequestEvent::Extend { reason: "complex".into(), notice_sent_at: Some(at) };
            match advance(&v, event, at, &cal) {
                Ok(e) => {
                    prop_assert!(due_at(&e, &cal) > due_at(&v, &cal));
                    prop_assert_eq!(original_due_at(&e, &cal), due_at(&v, &cal));
                }
                Err(_) => prop_assert!(regime.rule().extension.is_none() || at > due_at(&v, &cal)),
            }
        }

        /// One local day later, one day fewer left, across daylight saving
        /// changes and past the deadline.
        #[test]
        fn days_left_falls_by_one_each_day(regime in any_regime(), received in any_instant(), after in 0i64..200) {
            let cal = calendar();
            let r = request(regime, received);
            let tz = cal.time_zone().clone();
            let day = |n: i64| {
                Timestamp::from_jiff(
                    received.to_jiff().to_zoned_datetime(tz.clone()).checked_add(Span::new().days(n)).unwrap().timestamp(),
                )
            };
            prop_assert_eq!(days_left(&r, day(after), &cal) - 1, days_left(&r, day(after + 1), &cal));
        }
    }
}
