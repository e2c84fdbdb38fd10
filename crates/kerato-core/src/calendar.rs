//! Business days and business hours: the federal holidays of 5 U.S.C.
//! 6103(a) and a calendar of opening hours, shared by every legal clock
//! (the FTC's business-hour verification clock, the rights requests'
//! business-day confirmations).
//!
//! **Federal holidays**: the eleven legal public holidays of 5 U.S.C.
//! 6103(a), observed on the Friday before when they fall on a Saturday
//! and on the Monday after when they fall on a Sunday, as OPM applies
//! them to a Monday-to-Friday week.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use crate::time::Timestamp;

const MICROS_PER_HOUR: i64 = 3_600_000_000;

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
