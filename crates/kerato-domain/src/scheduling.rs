//! Scheduling rules: local clinic times to instants across DST, weekly
//! provider templates, conflicts, and finding the next free slot.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};

pub use crate::providers::hours::WorkingHours;
use crate::time::Timestamp;

pub mod booking;
pub mod queries;
mod records;
pub mod setup;

pub use booking::{
    BookingForm, BookingInput, BookingRequest, CancelInput, MAX_DURATION_MINUTES, RescheduleInput,
    SlotChoice, SlotQuery, StatusChange,
};
pub use records::{Appointment, AppointmentType, BookableResource, Closure, ClosureKind};
pub use setup::{BreakInput, ClosureInput, ResourceInput, TypeInput};

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

/// The window in force that day that holds the whole appointment
/// `[start, end)` in the location's local time, if any. An appointment never
/// spans midnight.
pub fn window_for(
    hours: &WorkingHours,
    tz: &TimeZone,
    start: Timestamp,
    end: Timestamp,
) -> Option<Window> {
    let s = start.to_jiff().to_zoned_datetime(tz.clone());
    let e = end.to_jiff().to_zoned_datetime(tz.clone());
    if s.date() != e.date() && e.time() != Time::midnight() {
        return None;
    }
    hours
        .on(s.date())
        .copied()
        .find(|w| w.start <= s.time() && (e.time() <= w.end && e.date() == s.date()))
}

/// A weekly break inside a provider's template: lunch, admin time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub weekday: Weekday,
    pub start: Time,
    pub end: Time,
    pub label: String,
}

/// A span of time in which nobody can be booked, with the reason shown to
/// the front desk: a break on a given day, time off, a holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: String,
}

/// The instants of `breaks` on every local day from `first_day` for `days`
/// days; a break whose times do not exist that day (DST) is skipped.
pub fn breaks_between(breaks: &[Break], tz: &TimeZone, first_day: Date, days: i64) -> Vec<Blocked> {
    let mut out = Vec::new();
    for offset in 0..days {
        let Ok(day) = first_day.checked_add(jiff::Span::new().days(offset)) else {
            break;
        };
        for b in breaks.iter().filter(|b| b.weekday == day.weekday()) {
            let start = resolve_local_time(tz, "", day, b.start, Some(RepeatedHour::First));
            let end = resolve_local_time(tz, "", day, b.end, Some(RepeatedHour::Second));
            if let (Ok(starts_at), Ok(ends_at)) = (start, end) {
                out.push(Blocked {
                    starts_at,
                    ends_at,
                    reason: b.label.clone(),
                });
            }
        }
    }
    out
}

/// The first block that `[start, end)` runs into, if any.
pub fn first_block(blocked: &[Blocked], start: Timestamp, end: Timestamp) -> Option<&Blocked> {
    blocked
        .iter()
        .find(|b| overlaps((start, end), (b.starts_at, b.ends_at)))
}

/// What a search for a free slot looks at, for one provider at one
/// location.
#[derive(Debug, Clone, Copy)]
pub struct SlotSearch<'a> {
    pub hours: &'a WorkingHours,
    pub tz: &'a TimeZone,
    pub from: Timestamp,
    pub duration_minutes: i64,
    pub step_minutes: i64,
    /// The provider's appointments; an overbooking window may ignore them.
    pub busy: &'a [(Timestamp, Timestamp)],
    /// Breaks, time off and holidays, which nothing overrides.
    pub blocked: &'a [Blocked],
    pub horizon_days: i64,
}

impl SlotSearch<'_> {
    /// Every free start at or after `from`, in time order, on a
    /// `step_minutes` grid inside a window, where `[start, start +
    /// duration)` meets no block, no booking (unless the window allows
    /// overbooking) and passes `also` (given the start, the end and whether
    /// the window allows overbooking: the resources' check).
    pub fn starts(
        &self,
        mut also: impl FnMut(Timestamp, Timestamp, bool) -> bool,
        limit: usize,
    ) -> Vec<Timestamp> {
        let mut found = Vec::new();
        let first_day = self
            .from
            .to_jiff()
            .to_zoned_datetime(self.tz.clone())
            .date();
        for offset in 0..self.horizon_days {
            let Ok(day) = first_day.checked_add(jiff::Span::new().days(offset)) else {
                break;
            };
            for w in self.hours.on(day) {
                let mut t = w.start;
                loop {
                    let Ok(end_time) =
                        t.checked_add(jiff::Span::new().minutes(self.duration_minutes))
                    else {
                        break;
                    };
                    if end_time > w.end || end_time < t {
                        break;
                    }
                    // Times skipped or repeated by DST are not offered.
                    if let Ok(start) = resolve_local_time(self.tz, "", day, t, None) {
                        let end = start.plus_micros(self.duration_minutes * MINUTE);
                        let free = start >= self.from
                            && first_block(self.blocked, start, end).is_none()
                            && (w.overbook
                                || !self.busy.iter().any(|b| overlaps((start, end), *b)))
                            && also(start, end, w.overbook);
                        if free {
                            found.push(start);
                            if found.len() >= limit {
                                return found;
                            }
                        }
                    }
                    let Ok(next) = t.checked_add(jiff::Span::new().minutes(self.step_minutes))
                    else {
                        break;
                    };
                    if next <= t {
                        break;
                    }
                    t = next;
                }
            }
        }
        found
    }
}

/// What an appointment can occupy besides its provider.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    ExamRoom,
    PretestLane,
    Oct,
    VisualField,
    PhototherapyBooth,
    Laser,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 6] = [
        Self::ExamRoom,
        Self::PretestLane,
        Self::Oct,
        Self::VisualField,
        Self::PhototherapyBooth,
        Self::Laser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExamRoom => "exam_room",
            Self::PretestLane => "pretest_lane",
            Self::Oct => "oct",
            Self::VisualField => "visual_field",
            Self::PhototherapyBooth => "phototherapy_booth",
            Self::Laser => "laser",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ExamRoom => "Exam room",
            Self::PretestLane => "Pretest lane",
            Self::Oct => "OCT",
            Self::VisualField => "Visual field",
            Self::PhototherapyBooth => "Phototherapy booth",
            Self::Laser => "Laser",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// How a recurring series repeats: on some weekdays, for some weeks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub weekdays: Vec<Weekday>,
    pub weeks: i64,
}

/// The longest series that can be booked at once, in weeks.
pub const MAX_SERIES_WEEKS: i64 = 26;

impl Recurrence {
    /// Reads weekdays as `mon,wed,fri` and checks the number of weeks.
    pub fn parse(weekdays: &str, weeks: i64) -> Result<Self, String> {
        let mut days = Vec::new();
        for part in weekdays.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let day = match part.trim().to_ascii_lowercase().get(..3) {
                Some("mon") => Weekday::Monday,
                Some("tue") => Weekday::Tuesday,
                Some("wed") => Weekday::Wednesday,
                Some("thu") => Weekday::Thursday,
                Some("fri") => Weekday::Friday,
                Some("sat") => Weekday::Saturday,
                Some("sun") => Weekday::Sunday,
                _ => return Err(format!("{part:?} is not a weekday; write e.g. mon,wed,fri")),
            };
            if !days.contains(&day) {
                days.push(day);
            }
        }
        if days.is_empty() {
            return Err("choose at least one weekday, e.g. mon,wed,fri".into());
        }
        if !(1..=MAX_SERIES_WEEKS).contains(&weeks) {
            return Err(format!("a series runs 1 to {MAX_SERIES_WEEKS} weeks"));
        }
        days.sort_by_key(|d| d.to_monday_one_offset());
        Ok(Self {
            weekdays: days,
            weeks,
        })
    }

    /// The local dates of the series, in order, starting with the first
    /// chosen weekday on or after `first`: `weeks` weeks of the chosen days.
    pub fn dates(&self, first: Date) -> Vec<Date> {
        let mut out = Vec::new();
        for offset in 0..self.weeks * 7 {
            let Ok(day) = first.checked_add(jiff::Span::new().days(offset)) else {
                break;
            };
            if self.weekdays.contains(&day.weekday()) {
                out.push(day);
            }
        }
        out
    }

    /// A short description kept with the series, e.g. `mon,wed,fri x 8 weeks`.
    pub fn describe(&self) -> String {
        let days: Vec<_> = self
            .weekdays
            .iter()
            .map(|d| match d {
                Weekday::Monday => "mon",
                Weekday::Tuesday => "tue",
                Weekday::Wednesday => "wed",
                Weekday::Thursday => "thu",
                Weekday::Friday => "fri",
                Weekday::Saturday => "sat",
                Weekday::Sunday => "sun",
            })
            .collect();
        format!("{} x {} weeks", days.join(","), self.weeks)
    }
}

/// When a recall falls due: `months` after `from`, clamped to the end of a
/// shorter month (a year after 29 February is 28 February).
pub fn recall_due(from: Date, months: i64) -> Option<Date> {
    from.checked_add(jiff::Span::new().months(months)).ok()
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
        let windows = WorkingHours::weekly(vec![
            Window::new(Weekday::Monday, at(8, 0), at(12, 0), false).unwrap(),
        ]);
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
    fn the_slot_search_skips_busy_slots_and_days() {
        let next_free = |hours: &WorkingHours,
                         tz: &TimeZone,
                         from,
                         minutes,
                         step,
                         busy: &[(Timestamp, Timestamp)],
                         days| {
            SlotSearch {
                hours,
                tz,
                from,
                duration_minutes: minutes,
                step_minutes: step,
                busy,
                blocked: &[],
                horizon_days: days,
            }
            .starts(|_, _, _| true, 1)
            .first()
            .copied()
        };
        let windows = WorkingHours::weekly(vec![
            Window::new(Weekday::Monday, at(8, 0), at(9, 0), false).unwrap(),
        ]);
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
    fn the_slot_search_follows_dated_and_alternating_templates() {
        use crate::providers::hours::{HoursPattern, Repeats};
        let monday = Date::new(2026, 11, 30).unwrap();
        let window = Window::new(Weekday::Monday, at(8, 0), at(9, 0), false).unwrap();
        // Every other Monday from 30 November, and nothing after January.
        let hours = WorkingHours::new(vec![HoursPattern {
            effective_from: monday,
            effective_until: Some(Date::new(2027, 1, 31).unwrap()),
            repeats: Repeats::EveryOtherWeek,
            days: vec![window],
        }]);
        let t = |d: Date, h, m| resolve_local_time(&ny(), "", d, at(h, m), None).unwrap();
        let starts = |from| {
            SlotSearch {
                hours: &hours,
                tz: &ny(),
                from,
                duration_minutes: 60,
                step_minutes: 15,
                busy: &[],
                blocked: &[],
                horizon_days: 120,
            }
            .starts(|_, _, _| true, 100)
        };
        let found = starts(t(Date::new(2026, 11, 1).unwrap(), 12, 0));
        let days: Vec<Date> = found
            .iter()
            .map(|s| s.to_jiff().to_zoned_datetime(ny()).date())
            .collect();
        assert_eq!(
            days,
            [
                (2026, 11, 30),
                (2026, 12, 14),
                (2026, 12, 28),
                (2027, 1, 11),
                (2027, 1, 25)
            ]
            .map(|(y, m, d)| Date::new(y, m, d).unwrap())
        );
        assert!(window_for(&hours, &ny(), t(monday, 8, 0), t(monday, 9, 0)).is_some());
        let off_week = Date::new(2026, 12, 7).unwrap();
        assert!(window_for(&hours, &ny(), t(off_week, 8, 0), t(off_week, 9, 0)).is_none());
    }

    #[test]
    fn breaks_and_time_off_block_the_slot_search() {
        let windows = WorkingHours::weekly(vec![
            Window::new(Weekday::Monday, at(8, 0), at(14, 0), true).unwrap(),
        ]);
        let monday = Date::new(2026, 11, 30).unwrap();
        let t = |h, m| resolve_local_time(&ny(), "", monday, at(h, m), None).unwrap();
        let lunch = [Break {
            weekday: Weekday::Monday,
            start: at(8, 0),
            end: at(12, 30),
            label: "Lunch".into(),
        }];
        let blocked = breaks_between(&lunch, &ny(), monday, 7);
        assert_eq!(blocked.len(), 1, "one Monday in the week");
        assert_eq!(
            first_block(&blocked, t(12, 0), t(12, 45)).map(|b| b.reason.as_str()),
            Some("Lunch")
        );
        assert!(first_block(&blocked, t(12, 30), t(13, 0)).is_none());
        let search = SlotSearch {
            hours: &windows,
            tz: &ny(),
            from: t(7, 0),
            duration_minutes: 30,
            step_minutes: 15,
            busy: &[],
            blocked: &blocked,
            horizon_days: 1,
        };
        // The window allows overbooking, but not over a break.
        assert_eq!(search.starts(|_, _, _| true, 1), vec![t(12, 30)]);
        // A resource check that refuses 12:30 moves the answer on.
        assert_eq!(search.starts(|s, _, _| s != t(12, 30), 1), vec![t(12, 45)]);
        assert_eq!(
            search.starts(|_, _, _| true, 100).len(),
            5,
            "12:30 to 13:30 by 15 minutes"
        );
    }

    #[test]
    fn a_series_lists_its_dates_and_refuses_nonsense() {
        let r = Recurrence::parse("mon, wed,fri", 8).unwrap();
        let sunday = Date::new(2026, 11, 29).unwrap();
        let dates = r.dates(sunday);
        assert_eq!(dates.len(), 24);
        assert_eq!(dates[0], Date::new(2026, 11, 30).unwrap());
        assert_eq!(r.describe(), "mon,wed,fri x 8 weeks");
        assert!(
            Recurrence::parse("mon,funday", 8)
                .unwrap_err()
                .contains("funday")
        );
        assert!(Recurrence::parse("", 8).is_err());
        assert!(Recurrence::parse("mon", 0).is_err());
        assert!(Recurrence::parse("mon", MAX_SERIES_WEEKS + 1).is_err());
    }

    #[test]
    fn a_recall_a_year_after_a_leap_day_is_the_last_of_february() {
        let leap = Date::new(2028, 2, 29).unwrap();
        assert_eq!(recall_due(leap, 12), Some(Date::new(2029, 2, 28).unwrap()));
        assert_eq!(recall_due(leap, 3), Some(Date::new(2028, 5, 29).unwrap()));
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
        fn a_series_has_one_date_per_chosen_weekday_per_week(mask in 1u8..128, weeks in 1i64..=MAX_SERIES_WEEKS, start in 0i64..400) {
            let all = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday, Weekday::Saturday, Weekday::Sunday];
            let chosen: Vec<_> = all.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, d)| *d).collect();
            let names: Vec<_> = chosen.iter().map(|d| format!("{d:?}")).collect();
            let r = Recurrence::parse(&names.join(","), weeks).unwrap();
            let first = Date::new(2026, 1, 1).unwrap().checked_add(jiff::Span::new().days(start)).unwrap();
            let dates = r.dates(first);
            prop_assert_eq!(dates.len() as i64, chosen.len() as i64 * weeks);
            prop_assert!(dates.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(dates.iter().all(|d| chosen.contains(&d.weekday()) && *d >= first));
        }

        #[test]
        fn resource_kinds_round_trip(i in 0usize..6) {
            let k = ResourceKind::ALL[i];
            prop_assert_eq!(ResourceKind::parse(k.as_str()), Some(k));
        }

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
