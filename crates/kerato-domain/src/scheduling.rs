//! Scheduling rules: local clinic times to instants across DST, weekly
//! provider templates, conflicts, and finding the next free slot.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::time::Timestamp;

const MINUTE: i64 = 60_000_000;

/// Which of the two instants to take when a clock time happens twice
/// (the hour repeated when daylight saving time ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RepeatedHour {
    /// The first occurrence, still on daylight time.
    First,
    /// The second occurrence, after the clocks went back.
    Second,
}

/// Turns a clinic's local date and time into an instant.
///
/// A time that does not exist (the hour skipped when daylight saving time
/// starts) is refused. A time that happens twice must say which occurrence
/// it means; guessing would put a patient an hour off.
pub fn resolve_local_time(
    tz: &TimeZone,
    zone_name: &str,
    date: Date,
    time: Time,
    repeated: Option<RepeatedHour>,
) -> Result<Timestamp, String> {
    let dt = DateTime::from_parts(date, time);
    let ambiguous = tz.to_ambiguous_timestamp(dt);
    let clock = time.strftime("%H:%M");
    match (ambiguous.offset(), repeated) {
        (AmbiguousOffset::Unambiguous { .. }, _) => ambiguous
            .unambiguous()
            .map(Timestamp::from_jiff)
            .map_err(|e| e.to_string()),
        (AmbiguousOffset::Gap { before, after }, _) => Err(format!(
            "{clock} on {date} does not exist in {zone_name}: the clocks jump from UTC{before} to UTC{after} then; choose another time"
        )),
        (AmbiguousOffset::Fold { before, after }, None) => Err(format!(
            "{clock} on {date} happens twice in {zone_name} (first at UTC{before}, then at UTC{after}); say which one: first or second"
        )),
        (AmbiguousOffset::Fold { .. }, Some(RepeatedHour::First)) => ambiguous
            .earlier()
            .map(Timestamp::from_jiff)
            .map_err(|e| e.to_string()),
        (AmbiguousOffset::Fold { .. }, Some(RepeatedHour::Second)) => ambiguous
            .later()
            .map(Timestamp::from_jiff)
            .map_err(|e| e.to_string()),
    }
}

/// One weekly window in which a provider sees patients at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub weekday: Weekday,
    pub start: Time,
    pub end: Time,
    /// Whether double-booking is allowed in this window.
    pub overbook: bool,
}

impl Window {
    pub fn new(weekday: Weekday, start: Time, end: Time, overbook: bool) -> Result<Self, String> {
        if end <= start {
            return Err("the window must end after it starts".into());
        }
        Ok(Self {
            weekday,
            start,
            end,
            overbook,
        })
    }
}

/// Half-open intervals `[a_start, a_end)` and `[b_start, b_end)` overlap.
pub fn overlaps(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// The window that holds the whole appointment `[start, end)` in the
/// location's local time, if any. An appointment never spans midnight.
pub fn window_for(
    windows: &[Window],
    tz: &TimeZone,
    start: Timestamp,
    end: Timestamp,
) -> Option<Window> {
    let s = start.to_jiff().to_zoned_datetime(tz.clone());
    let e = end.to_jiff().to_zoned_datetime(tz.clone());
    if s.date() != e.date() && e.time() != Time::midnight() {
        return None;
    }
    windows.iter().copied().find(|w| {
        w.weekday == s.date().weekday()
            && w.start <= s.time()
            && (e.time() <= w.end && e.date() == s.date())
    })
}

/// The first start at or after `from`, on a `step_minutes` grid inside a
/// window, where `[start, start + duration)` meets none of `busy`; looks
/// `horizon_days` ahead in the location's time zone.
pub fn next_free(
    windows: &[Window],
    tz: &TimeZone,
    from: Timestamp,
    duration_minutes: i64,
    step_minutes: i64,
    busy: &[(Timestamp, Timestamp)],
    horizon_days: i64,
) -> Option<Timestamp> {
    let first_day = from.to_jiff().to_zoned_datetime(tz.clone()).date();
    for offset in 0..horizon_days {
        let day = first_day.checked_add(jiff::Span::new().days(offset)).ok()?;
        for w in windows.iter().filter(|w| w.weekday == day.weekday()) {
            let mut t = w.start;
            loop {
                let Ok(end_time) = t.checked_add(jiff::Span::new().minutes(duration_minutes))
                else {
                    break;
                };
                if end_time > w.end || end_time < t {
                    break;
                }
                // Times skipped or repeated by DST are not offered.
                if let Ok(start) = resolve_local_time(tz, "", day, t, None) {
                    let end = start.plus_micros(duration_minutes * MINUTE);
                    let free = w.overbook || !busy.iter().any(|b| overlaps((start, end), *b));
                    if start >= from && free {
                        return Some(start);
                    }
                }
                let Ok(next) = t.checked_add(jiff::Span::new().minutes(step_minutes)) else {
                    break;
                };
                if next <= t {
                    break;
                }
                t = next;
            }
        }
    }
    None
}

/// Where a patient is in the visit, as the flow board shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Booked,
    Arrived,
    Pretest,
    WithProvider,
    Checkout,
    Done,
    NoShow,
    Cancelled,
}

impl VisitStatus {
    pub const ALL: [VisitStatus; 8] = [
        Self::Booked,
        Self::Arrived,
        Self::Pretest,
        Self::WithProvider,
        Self::Checkout,
        Self::Done,
        Self::NoShow,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Arrived => "arrived",
            Self::Pretest => "pretest",
            Self::WithProvider => "with_provider",
            Self::Checkout => "checkout",
            Self::Done => "done",
            Self::NoShow => "no_show",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Booked => "Scheduled",
            Self::Arrived => "Arrived",
            Self::Pretest => "Pretest",
            Self::WithProvider => "With provider",
            Self::Checkout => "Optical / checkout",
            Self::Done => "Done",
            Self::NoShow => "No-show",
            Self::Cancelled => "Cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The moves the flow allows: forward through the visit (pretest and
    /// checkout may be skipped), no-show only before arrival, cancel only
    /// before the visit starts.
    pub fn can_move_to(self, to: VisitStatus) -> bool {
        use VisitStatus::*;
        matches!(
            (self, to),
            (Booked, Arrived | NoShow | Cancelled)
                | (Arrived, Pretest | WithProvider | Cancelled)
                | (Pretest, WithProvider)
                | (WithProvider, Checkout | Done)
                | (Checkout, Done)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ny() -> TimeZone {
        jiff::tz::db().get("America/New_York").unwrap()
    }

    fn at(h: i8, m: i8) -> Time {
        Time::new(h, m, 0, 0).unwrap()
    }

    #[test]
    fn spring_forward_skips_an_hour() {
        let day = Date::new(2026, 3, 8).unwrap();
        // 01:30 exists (EST), 02:30 does not, 03:30 is EDT.
        let early = resolve_local_time(&ny(), "America/New_York", day, at(1, 30), None).unwrap();
        assert_eq!(early.to_string(), "2026-03-08T06:30:00Z");
        let err = resolve_local_time(&ny(), "America/New_York", day, at(2, 30), None).unwrap_err();
        assert!(
            err.contains("does not exist") && err.contains("02:30"),
            "{err}"
        );
        let late = resolve_local_time(&ny(), "America/New_York", day, at(3, 30), None).unwrap();
        assert_eq!(late.to_string(), "2026-03-08T07:30:00Z");
    }

    #[test]
    fn fall_back_repeats_an_hour_and_asks_which() {
        let day = Date::new(2026, 11, 1).unwrap();
        let err = resolve_local_time(&ny(), "America/New_York", day, at(1, 30), None).unwrap_err();
        assert!(
            err.contains("happens twice") && err.contains("first or second"),
            "{err}"
        );
        let first = resolve_local_time(
            &ny(),
            "America/New_York",
            day,
            at(1, 30),
            Some(RepeatedHour::First),
        )
        .unwrap();
        let second = resolve_local_time(
            &ny(),
            "America/New_York",
            day,
            at(1, 30),
            Some(RepeatedHour::Second),
        )
        .unwrap();
        assert_eq!(first.to_string(), "2026-11-01T05:30:00Z");
        assert_eq!(second.to_string(), "2026-11-01T06:30:00Z");
    }

    #[test]
    fn appointments_must_fit_a_window() {
        let windows = [Window::new(Weekday::Monday, at(8, 0), at(12, 0), false).unwrap()];
        let monday = Date::new(2026, 11, 30).unwrap();
        let t = |h, m| resolve_local_time(&ny(), "", monday, at(h, m), None).unwrap();
        assert!(window_for(&windows, &ny(), t(8, 0), t(8, 30)).is_some());
        assert!(
            window_for(&windows, &ny(), t(11, 45), t(12, 15)).is_none(),
            "runs past the window"
        );
        assert!(
            window_for(&windows, &ny(), t(7, 45), t(8, 15)).is_none(),
            "starts before it"
        );
        let tuesday =
            resolve_local_time(&ny(), "", Date::new(2026, 12, 1).unwrap(), at(9, 0), None).unwrap();
        assert!(window_for(&windows, &ny(), tuesday, tuesday.plus_micros(30 * MINUTE)).is_none());
        assert!(Window::new(Weekday::Monday, at(12, 0), at(8, 0), false).is_err());
    }

    #[test]
    fn next_free_skips_busy_slots_and_days() {
        let windows = [Window::new(Weekday::Monday, at(8, 0), at(9, 0), false).unwrap()];
        let monday = Date::new(2026, 11, 30).unwrap();
        let t = |d: Date, h, m| resolve_local_time(&ny(), "", d, at(h, m), None).unwrap();
        let busy = [(t(monday, 8, 0), t(monday, 8, 30))];
        let from = t(Date::new(2026, 11, 29).unwrap(), 12, 0);
        assert_eq!(
            next_free(&windows, &ny(), from, 30, 15, &busy, 14),
            Some(t(monday, 8, 30))
        );
        let full = [(t(monday, 8, 0), t(monday, 9, 0))];
        let next_monday = Date::new(2026, 12, 7).unwrap();
        assert_eq!(
            next_free(&windows, &ny(), from, 30, 15, &full, 14),
            Some(t(next_monday, 8, 0))
        );
        assert_eq!(
            next_free(&windows, &ny(), from, 90, 15, &[], 14),
            None,
            "longer than any window"
        );
    }

    #[test]
    fn the_flow_only_moves_forward() {
        use VisitStatus::*;
        assert!(
            Booked.can_move_to(Arrived)
                && Arrived.can_move_to(WithProvider)
                && WithProvider.can_move_to(Done)
        );
        assert!(
            !Done.can_move_to(Arrived)
                && !Arrived.can_move_to(NoShow)
                && !WithProvider.can_move_to(Cancelled)
        );
        for s in VisitStatus::ALL {
            assert!(!s.can_move_to(s), "{s:?} to itself");
            assert!(!Done.can_move_to(s) && !Cancelled.can_move_to(s) && !NoShow.can_move_to(s));
            assert_eq!(VisitStatus::parse(s.as_str()), Some(s));
        }
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric_and_touching_is_free(a in 0i64..1000, la in 1i64..200, b in 0i64..1000, lb in 1i64..200) {
            let iv = |s: i64, l: i64| (Timestamp::from_micros(s * MINUTE), Timestamp::from_micros((s + l) * MINUTE));
            prop_assert_eq!(overlaps(iv(a, la), iv(b, lb)), overlaps(iv(b, lb), iv(a, la)));
            prop_assert!(!overlaps(iv(a, la), iv(a + la, lb)), "back-to-back appointments do not clash");
        }

        #[test]
        fn every_existing_local_time_round_trips(day in 0i64..730, minute in 0i64..1440) {
            let date = Date::new(2026, 1, 1).unwrap().checked_add(jiff::Span::new().days(day)).unwrap();
            let time = Time::midnight().checked_add(jiff::Span::new().minutes(minute)).unwrap();
            if let Ok(ts) = resolve_local_time(&ny(), "", date, time, Some(RepeatedHour::First)) {
                let back = ts.to_jiff().to_zoned_datetime(ny());
                prop_assert_eq!((back.date(), back.time()), (date, time));
            }
        }
    }
}
