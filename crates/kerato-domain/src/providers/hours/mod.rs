//! A provider's working hours: weekly templates per location, each in force
//! from one date (until another, or for good), every week or every other
//! week. A booking, the next-available search and the schedule ask which
//! windows apply on a given local date.

mod input;

use jiff::civil::Date;

use crate::ids::{HoursTemplateId, LocationId, ProviderId};
use crate::scheduling::Window;

pub use input::{
    DayHoursInput, HoursFields, HoursForm, HoursFormInput, HoursInput, parse_date, parse_time,
    parse_weekday, weekday_name,
};

string_enum!(
    /// How often a template's week comes round.
    Repeats {
        EveryWeek = "every_week", "Every week";
        EveryOtherWeek = "every_other_week", "Every other week (from the first week)";
    }
);

/// The most windows one template may hold: four a day, every day.
pub const MAX_WINDOWS: usize = 28;

/// When and how a template is in force, and its windows. For a template
/// that comes every other week, the weeks that count are the one holding
/// `effective_from` and every second week after it (weeks run Monday to
/// Sunday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursPattern {
    pub effective_from: Date,
    /// The last day it applies, if it ends.
    pub effective_until: Option<Date>,
    pub repeats: Repeats,
    /// In weekday and start order; none overlaps another on the same day.
    pub days: Vec<Window>,
}

fn monday_of(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(jiff::Span::new().days(back))
        .unwrap_or(date)
}

fn days_between(a: Date, b: Date) -> i64 {
    i64::from((b - a).get_days())
}

impl HoursPattern {
    /// Whether the template is in force on `date` (its week comes round and
    /// the date lies within its dates).
    pub fn applies_on(&self, date: Date) -> bool {
        if date < self.effective_from || self.effective_until.is_some_and(|u| date > u) {
            return false;
        }
        match self.repeats {
            Repeats::EveryWeek => true,
            Repeats::EveryOtherWeek => {
                let weeks = days_between(monday_of(self.effective_from), monday_of(date)) / 7;
                weeks % 2 == 0
            }
        }
    }

    /// The windows that apply on `date`.
    pub fn windows_on(&self, date: Date) -> impl Iterator<Item = &Window> {
        let applies = self.applies_on(date);
        self.days
            .iter()
            .filter(move |w| applies && w.weekday == date.weekday())
    }

    /// A date on which both patterns apply and a window of each overlaps on
    /// the clock, with the two windows: a provider cannot work two templates
    /// at once, at the same location or at two.
    pub fn first_clash(&self, other: &HoursPattern) -> Option<(Date, Window, Window)> {
        let start = self.effective_from.max(other.effective_from);
        let end = match (self.effective_until, other.effective_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Both patterns repeat every two weeks at most, so the first
        // fortnight of their common dates shows every combination there is.
        for offset in 0..14 {
            let Ok(date) = start.checked_add(jiff::Span::new().days(offset)) else {
                break;
            };
            if end.is_some_and(|e| date > e) {
                break;
            }
            for a in self.windows_on(date) {
                if let Some(b) = other
                    .windows_on(date)
                    .find(|b| a.start < b.end && b.start < a.end)
                {
                    return Some((date, *a, *b));
                }
            }
        }
        None
    }
}

/// A provider's template at a location, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursTemplate {
    pub id: HoursTemplateId,
    pub provider_id: ProviderId,
    pub location_id: LocationId,
    pub pattern: HoursPattern,
}

/// Every template of one provider at one location: what a booking there is
/// checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingHours {
    patterns: Vec<HoursPattern>,
}

impl WorkingHours {
    pub fn new(patterns: Vec<HoursPattern>) -> Self {
        Self { patterns }
    }

    /// The same windows every week, in force since always.
    pub fn weekly(days: Vec<Window>) -> Self {
        Self::new(vec![HoursPattern {
            effective_from: Date::MIN,
            effective_until: None,
            repeats: Repeats::EveryWeek,
            days,
        }])
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.iter().all(|p| p.days.is_empty())
    }

    /// The windows in force on `date`.
    pub fn on(&self, date: Date) -> impl Iterator<Item = &Window> {
        self.patterns.iter().flat_map(move |p| p.windows_on(date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const LOC: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

    fn day(weekday: &str, start: &str, end: &str) -> DayHoursInput {
        DayHoursInput {
            weekday: weekday.into(),
            start: start.into(),
            end: end.into(),
            overbook: false,
        }
    }

    fn input(from: &str, repeats: &str, days: Vec<DayHoursInput>) -> HoursInput {
        HoursInput {
            location_id: LOC.into(),
            effective_from: from.into(),
            effective_until: None,
            repeats: Some(repeats.into()),
            days,
        }
    }

    #[test]
    fn a_template_applies_within_its_dates_on_its_weekdays() {
        let (_, p) = HoursInput {
            effective_until: Some("2027-02-28".into()),
            ..input(
                "2027-01-04",
                "every_week",
                vec![day("mon", "08:00", "12:00")],
            )
        }
        .validate()
        .unwrap();
        // 2027-01-04 is a Monday.
        assert!(p.applies_on(date(2027, 1, 4)));
        assert_eq!(p.windows_on(date(2027, 1, 4)).count(), 1);
        assert_eq!(p.windows_on(date(2027, 1, 5)).count(), 0);
        assert!(!p.applies_on(date(2027, 1, 3)));
        assert!(p.applies_on(date(2027, 2, 28)));
        assert!(!p.applies_on(date(2027, 3, 1)));
    }

    #[test]
    fn every_other_week_counts_from_the_first_week() {
        // From a Wednesday: that week (Mon 4 Jan to Sun 10 Jan) is week one,
        // so its Monday, before the first day, still does not apply.
        let (_, p) = input(
            "2027-01-06",
            "every_other_week",
            vec![day("mon", "08:00", "12:00"), day("fri", "08:00", "12:00")],
        )
        .validate()
        .unwrap();
        assert!(!p.applies_on(date(2027, 1, 4)));
        assert_eq!(p.windows_on(date(2027, 1, 8)).count(), 1);
        assert_eq!(p.windows_on(date(2027, 1, 11)).count(), 0);
        assert_eq!(p.windows_on(date(2027, 1, 15)).count(), 0);
        assert_eq!(p.windows_on(date(2027, 1, 18)).count(), 1);
        assert_eq!(p.windows_on(date(2027, 1, 22)).count(), 1);
    }

    #[test]
    fn every_field_is_checked_at_once() {
        let errors = HoursInput {
            location_id: "nope".into(),
            effective_from: "2027-13-01".into(),
            effective_until: Some("01/02/2027".into()),
            repeats: Some("monthly".into()),
            days: vec![
                day("funday", "8am", "25:00"),
                day("tue", "17:00", "08:00"),
                day("wed", "08:00", "12:00"),
                day("wednesday", "11:00", "13:00"),
            ],
        }
        .validate()
        .unwrap_err();
        for field in [
            "location_id",
            "effective_from",
            "effective_until",
            "repeats",
            "days[0].weekday",
            "days[0].start",
            "days[0].end",
            "days[1].end",
            "days[3].start",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
        assert!(
            errors
                .for_field("days[3].start")
                .unwrap()
                .contains("overlaps 08:00–12:00")
        );
        let empty = input("2027-01-04", "every_week", vec![])
            .validate()
            .unwrap_err();
        assert!(empty.for_field("days").is_some());
        let until = HoursInput {
            effective_until: Some("2027-01-01".into()),
            ..input("2027-01-04", "", vec![day("mon", "08:00", "09:00")])
        }
        .validate()
        .unwrap_err();
        assert!(
            until
                .for_field("effective_until")
                .unwrap()
                .contains("before the first")
        );
    }

    #[test]
    fn clashes_need_a_common_day_and_overlapping_hours() {
        let pattern =
            |from: &str, repeats: &str, days| input(from, repeats, days).validate().unwrap().1;
        let weekly = pattern(
            "2027-01-04",
            "every_week",
            vec![day("mon", "08:00", "12:00")],
        );
        let afternoon = pattern(
            "2027-01-04",
            "every_week",
            vec![day("mon", "12:00", "17:00")],
        );
        assert_eq!(weekly.first_clash(&afternoon), None);
        let later = pattern(
            "2027-03-01",
            "every_week",
            vec![day("mon", "11:00", "13:00")],
        );
        let (when, _, _) = weekly.first_clash(&later).unwrap();
        assert_eq!(when, date(2027, 3, 1));
        let week_a = pattern(
            "2027-01-04",
            "every_other_week",
            vec![day("mon", "08:00", "17:00")],
        );
        let week_b = pattern(
            "2027-01-11",
            "every_other_week",
            vec![day("mon", "08:00", "17:00")],
        );
        assert_eq!(
            week_a.first_clash(&week_b),
            None,
            "alternate weeks never meet"
        );
        let week_c = pattern(
            "2027-01-18",
            "every_other_week",
            vec![day("mon", "08:00", "17:00")],
        );
        assert!(week_a.first_clash(&week_c).is_some());
        let ended = HoursInput {
            effective_until: Some("2027-02-26".into()),
            ..input(
                "2027-01-04",
                "every_week",
                vec![day("mon", "08:00", "12:00")],
            )
        }
        .validate()
        .unwrap()
        .1;
        assert_eq!(
            ended.first_clash(&later),
            None,
            "one ends before the other starts"
        );
    }

    #[test]
    fn a_template_reads_back_as_its_input() {
        let given = HoursInput {
            effective_until: Some("2027-06-30".into()),
            ..input(
                "2027-01-04",
                "every_other_week",
                vec![
                    day("tuesday", "13:00", "17:30"),
                    day("monday", "08:00", "12:00"),
                ],
            )
        };
        let (location_id, pattern) = given.validate().unwrap();
        let template = HoursTemplate {
            id: "01890a5d-ac96-774b-bcce-b302099a8058".parse().unwrap(),
            provider_id: "01890a5d-ac96-774b-bcce-b302099a8059".parse().unwrap(),
            location_id,
            pattern,
        };
        let back = template.to_input();
        assert_eq!(back.days[0].weekday, "monday");
        assert_eq!(back.validate().unwrap().1, template.pattern);
    }

    proptest! {
        /// A weekly template applies on exactly the days of its weekday set
        /// between its dates; an every-other-week one on half of its weeks.
        #[test]
        fn applies_on_matches_its_definition(start in 0i64..3000, len in 0i64..400, probe in 0i64..800, fortnightly: bool) {
            let base = date(2020, 1, 1);
            let from = base.checked_add(jiff::Span::new().days(start)).unwrap();
            let until = from.checked_add(jiff::Span::new().days(len)).unwrap();
            let p = HoursPattern {
                effective_from: from,
                effective_until: Some(until),
                repeats: if fortnightly { Repeats::EveryOtherWeek } else { Repeats::EveryWeek },
                days: vec![],
            };
            let d = from.checked_add(jiff::Span::new().days(probe - 200)).unwrap();
            let within = d >= from && d <= until;
            let week = (days_between(monday_of(from), monday_of(d))).div_euclid(7);
            let expected = within && (!fortnightly || week % 2 == 0);
            prop_assert_eq!(p.applies_on(d), expected);
        }

        #[test]
        fn validation_never_panics(from in ".{0,12}", weekday in ".{0,10}", start in ".{0,6}", end in ".{0,6}") {
            let _ = input(&from, "every_week", vec![day(&weekday, &start, &end)]).validate();
        }
    }
}
