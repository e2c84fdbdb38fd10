//! FTC rules for eye-care prescriptions: the business-hour clock of the
//! Contact Lens Rule, where a seller's verification request stands, how
//! long a prescription runs in each state, and how long release
//! confirmations are kept.
//!
//! # Sources
//!
//! - **Business hour** (16 CFR 315.2, text read in an eCFR mirror): "an
//!   hour between 9 a.m. and 5 p.m., during a weekday (Monday through
//!   Friday), excluding Federal holidays", counted "based on the time zone
//!   of the prescriber". A seller may also count the prescriber's regular
//!   Saturday hours if it actually knows them, and then must state them in
//!   its request (16 CFR 315.5(b)). A request received outside business
//!   hours starts counting "at 9 a.m. on the next weekday that is not a
//!   Federal holiday" (or at the start of those Saturday hours).
//! - **Passive verification**: a prescription is verified if the prescriber
//!   confirms it, corrects it, or "fails to communicate with the seller
//!   within eight (8) business hours" (16 CFR 315.5(c); 15 U.S.C. 7603). A
//!   prescriber who says the prescription is inaccurate, expired or
//!   otherwise invalid must say why (16 CFR 315.5).
//! - **Copy for the patient's agent**: within forty business hours of the
//!   request (16 CFR 315.3(a)(3), added by the 2020 amendments, 85 FR
//!   50668).
//! - **Expiry of a contact lens prescription** (16 CFR 315.6; 15 U.S.C.
//!   7604): the state's period when it is at least one year, otherwise not
//!   less than one year after the issue date, unless the prescriber's
//!   documented medical judgment sets a shorter date. The eyeglass rule
//!   (16 CFR 456) sets no expiry at all; states do.
//! - **Retention**: confirmations of prescription release are kept at least
//!   three years (16 CFR 456.4(b) for eyeglasses since 2024; 16 CFR 315.3
//!   for contact lenses since 2020), as are consent records (16 CFR
//!   456.3(c)) and the reasons for a short contact lens expiry (16 CFR
//!   315.6(b)(2)).
//! - **Federal holidays**: the eleven legal public holidays of 5 U.S.C.
//!   6103(a), observed on the Friday before when they fall on a Saturday
//!   and on the Monday after when they fall on a Sunday, as OPM applies
//!   them to a Monday-to-Friday week.
//!
//! State rows come from the eye-care research note (§3.3) and cite the
//! statute each one rests on; they are data, so a new state is one row.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use crate::time::Timestamp;

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// Business hours a prescriber has to answer a seller's verification
/// request before the prescription counts as verified (16 CFR 315.5(c)(3)).
pub const VERIFICATION_HOURS: u32 = 8;

/// Business hours a prescriber has to send a copy of a contact lens
/// prescription to the patient's designated agent (16 CFR 315.3(a)(3)).
pub const AGENT_COPY_HOURS: u32 = 40;

// ---------------------------------------------------------------------------
// Federal holidays
// ---------------------------------------------------------------------------

/// The first year Juneteenth was a legal public holiday (Pub. L. 117-17,
/// signed 17 June 2021).
const JUNETEENTH_FIRST_YEAR: i16 = 2021;

/// The federal holidays observed in `year`, with their statutory names, in
/// date order.
///
/// Each date is the day off for federal employees on a Monday-to-Friday
/// week: a holiday on a Saturday is observed the Friday before, one on a
/// Sunday the Monday after (5 U.S.C. 6103(b)). The list holds the dates
/// that fall *in* `year`, which is what a deadline clock needs: when New
/// Year's Day falls on a Saturday (1 January 2028), it is observed on
/// Friday 31 December of the year before, so that year lists twelve dates
/// (2027) and the next one ten (2028).
///
/// Juneteenth counts from 2021, when it became a legal holiday. The other
/// ten are applied to every year, which is right from 1986 on (the first
/// Martin Luther King Jr. Day) and is all a deadline clock needs.
pub fn us_federal_holidays_named(year: i16) -> Vec<(Date, &'static str)> {
    let mut out: Vec<(Date, &'static str)> = legal_holidays(year)
        .into_iter()
        .filter_map(|(date, name)| Some((observed(date)?, name)))
        .filter(|(date, _)| date.year() == year)
        .collect();
    // Next year's New Year's Day lands in this year when it is a Saturday.
    if let Some(next) = year.checked_add(1)
        && let Ok(new_year) = Date::new(next, 1, 1)
        && let Some(day_off) = observed(new_year)
        && day_off.year() == year
    {
        out.push((day_off, "New Year's Day"));
    }
    out.sort_by_key(|(date, _)| *date);
    out
}

/// The dates of [`us_federal_holidays_named`], without the names.
pub fn us_federal_holidays(year: i16) -> Vec<Date> {
    us_federal_holidays_named(year)
        .into_iter()
        .map(|(date, _)| date)
        .collect()
}

/// Whether `date` is the observed day of a federal holiday.
pub fn is_us_federal_holiday(date: Date) -> bool {
    us_federal_holidays_named(date.year())
        .iter()
        .any(|(d, _)| *d == date)
}

/// The legal public holidays of 5 U.S.C. 6103(a) on their actual dates.
/// A date the calendar cannot hold (only at the ends of its range) is left
/// out rather than guessed.
fn legal_holidays(year: i16) -> Vec<(Date, &'static str)> {
    let fixed = |month, day| Date::new(year, month, day).ok();
    let nth = |month, n, weekday| {
        Date::new(year, month, 1)
            .and_then(|first| first.nth_weekday_of_month(n, weekday))
            .ok()
    };
    let mut list = vec![
        (fixed(1, 1), "New Year's Day"),
        (
            nth(1, 3, Weekday::Monday),
            "Birthday of Martin Luther King, Jr.",
        ),
        (nth(2, 3, Weekday::Monday), "Washington's Birthday"),
        (nth(5, -1, Weekday::Monday), "Memorial Day"),
        (fixed(7, 4), "Independence Day"),
        (nth(9, 1, Weekday::Monday), "Labor Day"),
        (nth(10, 2, Weekday::Monday), "Columbus Day"),
        (fixed(11, 11), "Veterans Day"),
        (nth(11, 4, Weekday::Thursday), "Thanksgiving Day"),
        (fixed(12, 25), "Christmas Day"),
    ];
    if year >= JUNETEENTH_FIRST_YEAR {
        list.push((fixed(6, 19), "Juneteenth National Independence Day"));
    }
    list.into_iter()
        .filter_map(|(date, name)| Some((date?, name)))
        .collect()
}

/// The weekday on which a holiday falling on `date` is observed.
fn observed(date: Date) -> Option<Date> {
    match date.weekday() {
        Weekday::Saturday => date.yesterday().ok(),
        Weekday::Sunday => date.tomorrow().ok(),
        _ => Some(date),
    }
}

/// The federal holidays of one year at a time, so that a walk over many
/// days computes each year's list once instead of once a day.
#[derive(Debug, Default)]
struct YearHolidays {
    year: Option<i16>,
    dates: Vec<Date>,
}

impl YearHolidays {
    fn contains(&mut self, date: Date) -> bool {
        if self.year != Some(date.year()) {
            self.year = Some(date.year());
            self.dates = us_federal_holidays(date.year());
        }
        self.dates.contains(&date)
    }
}

// ---------------------------------------------------------------------------
// Business-hours clock
// ---------------------------------------------------------------------------

/// When a prescriber's business hours run, in the prescriber's time zone.
///
/// The clock works in the zone's civil time: each day's window is the
/// local opening and closing time turned into instants, so a deadline that
/// crosses a daylight saving change still counts eight hours of the
/// prescriber's day. Windows never cross midnight.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    time_zone: TimeZone,
    open: Time,
    close: Time,
    /// Regular Saturday hours, which only count when the seller opts in
    /// and knows them (16 CFR 315.2); none by default.
    saturday: Option<(Time, Time)>,
    /// Whether the federal holidays of 5 U.S.C. 6103 are closed days, on
    /// top of `holidays`.
    federal_rule: bool,
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    /// The Contact Lens Rule's calendar: 9 a.m. to 5 p.m. Monday to Friday
    /// in the prescriber's zone, closed on federal holidays, which are
    /// computed by rule for any year.
    pub fn federal(time_zone: TimeZone) -> Self {
        Self {
            time_zone,
            open: Time::constant(9, 0, 0, 0),
            close: Time::constant(17, 0, 0, 0),
            saturday: None,
            federal_rule: true,
            holidays: BTreeSet::new(),
        }
    }

    /// A calendar with its own hours and exactly the given closed days (no
    /// federal holidays unless listed), for deadlines that are not the
    /// FTC's. Times must be whole minutes, so that a deadline is exact to
    /// the microsecond in which instants are stored.
    pub fn new(
        time_zone: TimeZone,
        open: Time,
        close: Time,
        holidays: BTreeSet<Date>,
    ) -> Result<Self, String> {
        check_hours("business hours", open, close)?;
        Ok(Self {
            time_zone,
            open,
            close,
            saturday: None,
            federal_rule: false,
            holidays,
        })
    }

    /// Also counts regular Saturday hours, as a seller may when it knows
    /// them and states them in its request (16 CFR 315.5(b)).
    pub fn with_saturday_hours(mut self, open: Time, close: Time) -> Result<Self, String> {
        check_hours("Saturday hours", open, close)?;
        self.saturday = Some((open, close));
        Ok(self)
    }

    /// Also closes on `dates`: a day given to federal employees by
    /// executive order, say, which no rule can foresee.
    pub fn with_extra_holidays(mut self, dates: impl IntoIterator<Item = Date>) -> Self {
        self.holidays.extend(dates);
        self
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    pub fn open(&self) -> Time {
        self.open
    }

    pub fn close(&self) -> Time {
        self.close
    }

    pub fn saturday_hours(&self) -> Option<(Time, Time)> {
        self.saturday
    }

    /// Whether `date` is a closed day: a listed holiday or, on the federal
    /// calendar, the observed day of a federal holiday.
    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays.contains(&date) || (self.federal_rule && is_us_federal_holiday(date))
    }

    /// The instant `hours` business hours after `from`.
    ///
    /// A start outside business hours counts from the next opening, and a
    /// start inside a window counts the rest of that window, so partial
    /// hours count. The result is the instant the last hour ends, which
    /// may be a closing time (a request received at 9:00 on a Monday is
    /// due at 17:00 that day, not at 9:00 on Tuesday). With `hours` zero
    /// it is the instant counting starts. Past the last date the calendar
    /// holds it saturates at the latest instant.
    pub fn add_business_hours(&self, from: Timestamp, hours: u32) -> Timestamp {
        let mut remaining = i64::from(hours).saturating_mul(MICROS_PER_HOUR);
        let from_us = from.as_micros();
        let mut day = self.local_date(from);
        // An amount that not even every remaining day at its longest could
        // hold saturates at once, rather than after walking millions of
        // days to the calendar's end.
        let days_left = day.duration_until(Date::MAX).as_hours() / 24 + 1;
        if remaining / self.longest_day_micros() > days_left {
            return latest_instant();
        }
        let mut federal = YearHolidays::default();
        loop {
            if let Some((open, close)) = self.window(day, &mut federal)
                && close > from_us
            {
                let start = open.max(from_us);
                let available = close - start;
                if remaining <= available {
                    return Timestamp::from_micros(start + remaining);
                }
                remaining -= available;
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => return latest_instant(),
            }
        }
    }

    /// The instant `days` business days after `from`: the same point of
    /// the business window, that many open days later.
    ///
    /// Clinical follow-up deadlines ("reviewed within two business days")
    /// are counted in whole open days rather than in hours, so a result
    /// filed at 16:00 on a Friday is due at 16:00 on the second open day
    /// after it. Counting starts as in [`Self::add_business_hours`]: a
    /// start outside business hours counts from the next opening, so a
    /// result filed on Saturday is due at opening time `days` open days
    /// after Monday's opening. A target day with a shorter window (a
    /// Saturday) ends the deadline at its closing time at the latest. Past
    /// the last date the calendar holds it saturates at the latest instant.
    pub fn add_business_days(&self, from: Timestamp, days: u32) -> Timestamp {
        let start = self.add_business_hours(from, 0);
        let mut federal = YearHolidays::default();
        let mut day = self.local_date(start);
        let Some((open, _)) = self.window(day, &mut federal) else {
            // The first business instant always lies in an open window;
            // only the saturated end of the calendar has none.
            return latest_instant();
        };
        let into_window = start.as_micros() - open;
        // An open day needs at least one calendar day, so more open days
        // than calendar days left cannot fit; saturate at once instead of
        // walking to the calendar's end.
        let days_left = day.duration_until(Date::MAX).as_hours() / 24;
        if i64::from(days) > days_left {
            return latest_instant();
        }
        let mut remaining = days;
        while remaining > 0 {
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => return latest_instant(),
            }
            if self.window(day, &mut federal).is_some() {
                remaining -= 1;
            }
        }
        match self.window(day, &mut federal) {
            Some((open, close)) => Timestamp::from_micros((open + into_window).min(close)),
            None => latest_instant(),
        }
    }

    /// How much business time lies between `from` and `to`; negative when
    /// `to` is earlier, so that `between(a, b) + between(b, c)` is always
    /// `between(a, c)`.
    pub fn business_hours_between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to < from {
            return -self.business_hours_between(to, from);
        }
        let (a, b) = (from.as_micros(), to.as_micros());
        let last = self.local_date(to);
        let mut day = self.local_date(from);
        let mut total: i64 = 0;
        let mut federal = YearHolidays::default();
        while day <= last {
            if let Some((open, close)) = self.window(day, &mut federal) {
                let (start, end) = (open.max(a), close.min(b));
                if end > start {
                    total = total.saturating_add(end - start);
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        SignedDuration::from_micros(total)
    }

    /// More business time than any one day can hold: the longest window
    /// plus three hours, more than any daylight saving change repeats.
    fn longest_day_micros(&self) -> i64 {
        let minutes = |t: Time| i64::from(t.hour()) * 60 + i64::from(t.minute());
        let span = |(open, close): (Time, Time)| minutes(close) - minutes(open);
        let longest = span((self.open, self.close)).max(self.saturday.map_or(0, span));
        (longest + 3 * 60) * 60_000_000
    }

    fn local_date(&self, at: Timestamp) -> Date {
        at.to_jiff()
            .to_zoned_datetime(self.time_zone.clone())
            .date()
    }

    /// The business window of `date` as microsecond instants, if it has
    /// one. A bound that falls in a DST gap moves to after the gap and one
    /// in a repeated hour takes the first occurrence (jiff's "compatible"
    /// choice); a window the change would leave empty is no window.
    fn window(&self, date: Date, federal: &mut YearHolidays) -> Option<(i64, i64)> {
        let (open, close) = match date.weekday() {
            Weekday::Sunday => return None,
            Weekday::Saturday => self.saturday?,
            _ => (self.open, self.close),
        };
        if self.holidays.contains(&date) || (self.federal_rule && federal.contains(date)) {
            return None;
        }
        let instant = |time| {
            self.time_zone
                .to_timestamp(DateTime::from_parts(date, time))
                .ok()
                .map(|ts| ts.as_microsecond())
        };
        let (open, close) = (instant(open)?, instant(close)?);
        (open < close).then_some((open, close))
    }
}

/// The latest instant a [`Timestamp`] can round-trip through jiff. jiff's
/// own maximum carries nanoseconds past the last whole second that its
/// microsecond constructor accepts, so a deadline saturated at it would
/// read back as a wrong date.
fn latest_instant() -> Timestamp {
    Timestamp::from_micros(jiff::Timestamp::MAX.as_second().saturating_mul(1_000_000))
}

fn check_hours(what: &str, open: Time, close: Time) -> Result<(), String> {
    let whole_minute = |t: Time| t.second() == 0 && t.subsec_nanosecond() == 0;
    if !whole_minute(open) || !whole_minute(close) {
        return Err(format!("{what} must start and end on a whole minute"));
    }
    if close <= open {
        return Err(format!(
            "{what} must close after they open (they cannot run past midnight)"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Verification requests
// ---------------------------------------------------------------------------

/// What the prescriber told the seller about a verification request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum VerificationAnswer {
    /// The prescription is accurate as the seller gave it.
    Confirmed,
    /// It was inaccurate and the prescriber sent the accurate one, which
    /// makes it verified (16 CFR 315.5).
    Corrected,
    /// It is inaccurate, expired or otherwise invalid, for the stated
    /// reason; the seller must not fill it.
    Invalid { reason: String },
}

impl VerificationAnswer {
    /// An invalid answer with its reason, which the rule requires: the
    /// prescriber "shall specify the basis" (16 CFR 315.5).
    pub fn invalid(reason: &str) -> Result<Self, String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(
                "say why the prescription is not valid (inaccurate, expired, or another reason); the seller must be told the basis".into(),
            );
        }
        Ok(Self::Invalid {
            reason: reason.to_string(),
        })
    }
}

/// Where a verification request stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VerificationOutcome {
    /// Not answered, and the deadline has not passed.
    Pending,
    /// Confirmed by the prescriber before the deadline.
    Verified,
    /// Corrected by the prescriber before the deadline.
    Corrected,
    /// Declared invalid by the prescriber before the deadline.
    Invalid { reason: String },
    /// The deadline passed without an answer, or the answer came late: the
    /// seller may fill the prescription as it gave it.
    PassivelyVerified,
}

impl VerificationOutcome {
    /// Whether the seller may fill the prescription.
    pub fn is_verified(&self) -> bool {
        matches!(
            self,
            Self::Verified | Self::Corrected | Self::PassivelyVerified
        )
    }
}

impl From<&VerificationAnswer> for VerificationOutcome {
    fn from(answer: &VerificationAnswer) -> Self {
        match answer {
            VerificationAnswer::Confirmed => Self::Verified,
            VerificationAnswer::Corrected => Self::Corrected,
            VerificationAnswer::Invalid { reason } => Self::Invalid {
                reason: reason.clone(),
            },
        }
    }
}

/// A verification request's outcome, its deadline, and whether the answer
/// (if any) came in time, as the compliance report shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerificationStatus {
    pub outcome: VerificationOutcome,
    /// When the eight business hours end.
    pub deadline: Timestamp,
    /// `Some(true)` for an answer by the deadline, `Some(false)` for one
    /// after it, `None` while unanswered.
    pub answered_on_time: Option<bool>,
}

/// When a verification request received at `received_at` is passively
/// verified if nobody answers.
pub fn verification_deadline(received_at: Timestamp, calendar: &BusinessCalendar) -> Timestamp {
    calendar.add_business_hours(received_at, VERIFICATION_HOURS)
}

/// When a copy requested by the patient's agent at `requested_at` must
/// have been sent.
pub fn agent_copy_deadline(requested_at: Timestamp, calendar: &BusinessCalendar) -> Timestamp {
    calendar.add_business_hours(requested_at, AGENT_COPY_HOURS)
}

/// Where a verification request received at `received_at` stands at
/// `now`, given the prescriber's answer and when it was sent.
///
/// An answer at the very instant the eight hours end is in time ("within
/// eight business hours"); the request lapses only after that instant. A
/// late answer is still reported, but the request counts as passively
/// verified at the deadline and the answer as late. An answer sent after
/// `now` is ignored: the status at an earlier instant cannot know it.
pub fn verification_status(
    received_at: Timestamp,
    answered: Option<(Timestamp, &VerificationAnswer)>,
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> VerificationStatus {
    let deadline = verification_deadline(received_at, calendar);
    let (outcome, answered_on_time) = match answered.filter(|(at, _)| *at <= now) {
        Some((at, answer)) if at <= deadline => (answer.into(), Some(true)),
        Some(_) => (VerificationOutcome::PassivelyVerified, Some(false)),
        None if now > deadline => (VerificationOutcome::PassivelyVerified, None),
        None => (VerificationOutcome::Pending, None),
    };
    VerificationStatus {
        outcome,
        deadline,
        answered_on_time,
    }
}

// ---------------------------------------------------------------------------
// Prescription expiry
// ---------------------------------------------------------------------------

/// Which kind of prescription a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RxKind {
    Spectacle,
    ContactLens,
}

impl RxKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Spectacle => "spectacle",
            Self::ContactLens => "contact lens",
        }
    }
}

/// How long one kind of prescription runs in one state, and what it must
/// carry there. The federal rows use the code [`FEDERAL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRxRule {
    /// The two-letter postal code.
    pub state: &'static str,
    pub kind: RxKind,
    /// The shortest expiry the prescriber may set without a documented
    /// medical reason, in months after the issue date.
    pub min_months: u32,
    /// The longest expiry allowed, if the state caps it.
    pub max_months: Option<u32>,
    /// The expiry offered when the prescriber does not choose one.
    pub default_months: u32,
    pub requires_license_number: bool,
    pub requires_expiration_on_face: bool,
    /// Fields this state requires beyond the common ones (see
    /// [`required_fields`]).
    pub extra_fields: &'static [&'static str],
    pub citation: &'static str,
}

/// The code of the federal rows, used where no state row applies.
pub const FEDERAL: &str = "US";

/// The federal floor for a contact lens prescription: one year after the
/// issue date, which no state rule can shorten (16 CFR 315.6(a)).
pub const CONTACT_LENS_MIN_MONTHS: u32 = 12;

/// The federal contact lens rule: at least a year, and the expiration
/// date on the prescription.
pub const FEDERAL_CONTACT_LENS: StateRxRule = StateRxRule {
    state: FEDERAL,
    kind: RxKind::ContactLens,
    min_months: CONTACT_LENS_MIN_MONTHS,
    max_months: None,
    default_months: CONTACT_LENS_MIN_MONTHS,
    requires_license_number: false,
    // The issue and expiration dates are part of a contact lens
    // prescription's required contents (16 CFR 315.2).
    requires_expiration_on_face: true,
    extra_fields: &[],
    citation: "16 CFR 315.6; 15 U.S.C. 7604",
};

/// The federal spectacle "rule", which sets no expiry.
pub const FEDERAL_SPECTACLE: StateRxRule = StateRxRule {
    state: FEDERAL,
    kind: RxKind::Spectacle,
    // The Eyeglass Rule sets no expiry. Twenty-four months is the period
    // most states use (research note §3.3) and meets both California's
    // two-year floor and New Hampshire's 24-month cap, so a practice in a
    // state without a row is offered a date no row here would refuse.
    min_months: 0,
    max_months: None,
    default_months: 24,
    requires_license_number: false,
    requires_expiration_on_face: false,
    extra_fields: &[],
    citation: "16 CFR 456 (no federal expiry)",
};

/// The federal rules, used for any state without a row of its own.
pub const FEDERAL_RX_RULES: [StateRxRule; 2] = [FEDERAL_CONTACT_LENS, FEDERAL_SPECTACLE];

/// The state rules Kerato ships. Adding a state is adding a row; a state
/// with no row for a kind uses the federal row.
pub const STATE_RX_RULES: &[StateRxRule] = &[
    StateRxRule {
        state: "CA",
        kind: RxKind::Spectacle,
        // At least two years unless the patient's history or an ocular or
        // systemic condition calls for an earlier reexamination.
        min_months: 24,
        max_months: None,
        default_months: 24,
        requires_license_number: true,
        requires_expiration_on_face: true,
        extra_fields: &["prescriber_signature"],
        citation: "Cal. Bus. & Prof. Code § 2541.1",
    },
    StateRxRule {
        state: "NC",
        kind: RxKind::Spectacle,
        // The statute counts 365 days from the examination; twelve months
        // from the issue date is never shorter than 365 days, and the
        // issue date is never before the examination.
        min_months: 12,
        max_months: None,
        default_months: 24,
        requires_license_number: false,
        requires_expiration_on_face: true,
        extra_fields: &[],
        citation: "N.C. Gen. Stat. § 90-127.3",
    },
    StateRxRule {
        state: "NC",
        kind: RxKind::ContactLens,
        min_months: 12,
        max_months: None,
        default_months: 12,
        requires_license_number: false,
        requires_expiration_on_face: true,
        // A contact lens prescription must say on its face that it is one.
        extra_fields: &["contact_lens_designation"],
        citation: "N.C. Gen. Stat. § 90-127.3",
    },
    StateRxRule {
        state: "TX",
        kind: RxKind::ContactLens,
        min_months: 12,
        max_months: None,
        default_months: 12,
        requires_license_number: false,
        requires_expiration_on_face: true,
        extra_fields: &[
            "brand_or_model",
            "total_lenses_authorized",
            "replacement_interval",
        ],
        citation: "22 Tex. Admin. Code § 181.2",
    },
    StateRxRule {
        state: "NH",
        kind: RxKind::Spectacle,
        // New Hampshire sets no floor, only that a prescription filled is
        // "not more than 24 months old".
        min_months: 0,
        max_months: Some(24),
        default_months: 24,
        requires_license_number: false,
        requires_expiration_on_face: false,
        extra_fields: &["vertex_distance_when_necessary"],
        citation: "N.H. Office of Professional Licensure and Certification, optometry FAQ on eyeglass prescriptions",
    },
];

/// The postal codes of the states, the District of Columbia and the
/// inhabited territories, so that a typo is refused rather than silently
/// given the federal rules.
const US_STATE_CODES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI",
];

/// The two-letter code in upper case, [`FEDERAL`] included, or a message
/// that says what to enter.
pub fn parse_state_code(state: &str) -> Result<&'static str, String> {
    let code = state.trim().to_ascii_uppercase();
    if code == FEDERAL {
        return Ok(FEDERAL);
    }
    US_STATE_CODES
        .iter()
        .find(|c| **c == code)
        .copied()
        .ok_or_else(|| {
            format!(
                "{:?} is not a US state code; enter the two-letter postal code, e.g. CA",
                state.trim().chars().take(16).collect::<String>()
            )
        })
}

/// The rule for `kind` in `state`: the state's row if it has one,
/// otherwise the federal row. An unknown code gets the federal row too.
pub fn rx_rule(kind: RxKind, state: &str) -> &'static StateRxRule {
    let code = state.trim();
    STATE_RX_RULES
        .iter()
        .find(|r| r.kind == kind && r.state.eq_ignore_ascii_case(code))
        .unwrap_or(match kind {
            RxKind::ContactLens => &FEDERAL_CONTACT_LENS,
            RxKind::Spectacle => &FEDERAL_SPECTACLE,
        })
}

/// The shortest expiry a rule allows without a medical reason, and the
/// citation for it. A contact lens floor is never below the federal year,
/// whatever the state says.
fn floor(rule: &StateRxRule) -> (u32, &'static str) {
    if rule.kind == RxKind::ContactLens && rule.min_months < CONTACT_LENS_MIN_MONTHS {
        (CONTACT_LENS_MIN_MONTHS, FEDERAL_CONTACT_LENS.citation)
    } else {
        (rule.min_months, rule.citation)
    }
}

fn months(n: u32) -> String {
    if n == 1 {
        "1 month".into()
    } else {
        format!("{n} months")
    }
}

/// The expiry date of a prescription of `kind` issued on `issue` in
/// `state`.
///
/// The expiry is `requested_months` after the issue date, or the rule's
/// default. One shorter than the floor (the state's, and for contact
/// lenses never less than a year) is refused unless `medical_reason`
/// documents why; the reason must then go in the chart and be kept three
/// years (16 CFR 315.6(b)). One longer than a state's cap is refused
/// outright. A month that lacks the day clamps to its end: twelve months
/// after 29 February is 28 February.
///
/// The caller must still check that the expiry is not shorter than the
/// recommended reexamination interval (16 CFR 315.6(b)(3)).
pub fn expiration(
    issue: Date,
    kind: RxKind,
    state: &str,
    requested_months: Option<u32>,
    medical_reason: Option<&str>,
) -> Result<Date, String> {
    let code = parse_state_code(state)?;
    let rule = rx_rule(kind, code);
    let chosen = requested_months.unwrap_or(rule.default_months);
    let place = if code == FEDERAL {
        "under federal rules".to_string()
    } else {
        format!("in {code}")
    };
    if chosen == 0 {
        return Err("a prescription must run at least 1 month after its issue date".into());
    }
    let (min, citation) = floor(rule);
    let documented = medical_reason.is_some_and(|r| !r.trim().is_empty());
    if chosen < min && !documented {
        return Err(format!(
            "a {} prescription {place} must run at least {} ({citation}); to set {}, document the medical reason for the shorter expiry",
            kind.label(),
            months(min),
            months(chosen),
        ));
    }
    if let Some(max) = rule.max_months
        && chosen > max
    {
        return Err(format!(
            "a {} prescription {place} may run at most {} ({}); choose {} or fewer",
            kind.label(),
            months(max),
            rule.citation,
            months(max),
        ));
    }
    jiff::Span::new()
        .try_months(chosen)
        .and_then(|span| issue.checked_add(span))
        .map_err(|_| {
            format!(
                "{} after {issue} is past the last date Kerato can hold",
                months(chosen)
            )
        })
}

/// What a prescription of `kind` written in `state` must carry, as field
/// keys in print order.
///
/// Every prescription carries the patient's name, the issue date, the
/// prescriber's name and NPI, and the practice's address and phone. The
/// NPI is Kerato's choice, not the FTC's: it names the prescriber without
/// doubt when a seller verifies by phone or fax. A contact lens
/// prescription adds what 16 CFR 315.2 lists: the exam date, the
/// expiration date, the practice's fax, the power, the material or
/// manufacturer, the base curve, the diameter (when appropriate) and, for
/// a private-label lens, the manufacturer's, private-label and equivalent
/// brand names. The state's row adds the license number, the expiration
/// date and its own fields. An unknown state gets the federal list.
pub fn required_fields(kind: RxKind, state: &str) -> Vec<&'static str> {
    let rule = rx_rule(kind, state);
    let mut fields = vec![
        "patient_name",
        "issue_date",
        "prescriber_name",
        "prescriber_npi",
        "practice_address",
        "practice_phone",
    ];
    match kind {
        RxKind::ContactLens => fields.extend([
            "exam_date",
            "expiration_date",
            "practice_fax",
            "power",
            "material_or_manufacturer",
            "base_curve",
            "diameter",
            "private_label_names",
        ]),
        RxKind::Spectacle => fields.push("power"),
    }
    if rule.requires_license_number {
        fields.push("prescriber_license_number");
    }
    if rule.requires_expiration_on_face {
        fields.push("expiration_date");
    }
    fields.extend(rule.extra_fields.iter().copied());
    let mut seen = BTreeSet::new();
    fields.retain(|f| seen.insert(*f));
    fields
}

// ---------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------

/// How long a confirmation of prescription release, the evidence of a
/// digital delivery, and the patient's consent to it are kept: "not less
/// than three years" (16 CFR 456.3(c) and 456.4(b) for eyeglasses; 16 CFR
/// 315.3 for contact lenses).
pub const CONFIRMATION_RETENTION_YEARS: i16 = 3;

/// The last day a confirmation recorded on `recorded_at` must still be
/// kept; it may be deleted from the day after. A leap day clamps to 28
/// February. A date past the calendar's end means "keep it".
pub fn confirmation_deletable_after(recorded_at: Date) -> Date {
    jiff::Span::new()
        .try_years(CONFIRMATION_RETENTION_YEARS)
        .and_then(|span| recorded_at.checked_add(span))
        .unwrap_or(Date::MAX)
}
