//! When a request is due, counted in the practice's local dates.

use jiff::Span;
use jiff::civil::{Date, DateTime, Time};

use super::{Period, RequestTimeline};
use crate::calendar::BusinessCalendar;
use crate::time::Timestamp;

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
pub(super) fn end_of_day(date: Date, calendar: &BusinessCalendar) -> Timestamp {
    match date.tomorrow() {
        Ok(next) => start_of_day(next, calendar).plus_micros(-1),
        Err(_) => Timestamp::from_micros(i64::MAX),
    }
}
