//! Rules of the site's retention: the sweeps, their cut-offs and the report.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use kerato_core::retention::{self, DataClass, RecordFacts, RetentionSchedule};
use kerato_core::time::Timestamp;
use serde::Serialize;

/// Rows handled per transaction.
pub(crate) const BATCH: usize = 500;

/// What one sweep found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassReport {
    /// The records this sweep is about, as the report's line names them.
    pub what: &'static str,
    pub class: DataClass,
    /// Records due on the run date.
    pub due: u64,
    /// Records deleted (0 in a dry run).
    pub deleted: u64,
}

/// A run's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub run_date: String,
    pub dry_run: bool,
    pub classes: Vec<ClassReport>,
}

impl RetentionReport {
    /// The report as an operator reads it: the run's date first, then one
    /// line per sweep saying which records it is about, how many were due
    /// and what was done with them. Counts only; no record is named.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "vendor site retention run for {} (UTC{}):",
            self.run_date,
            if self.dry_run { ", dry run" } else { "" }
        )];
        for c in &self.classes {
            let done = if self.dry_run {
                format!("would delete {}", c.due)
            } else {
                format!("deleted {}", c.deleted)
            };
            out.push(format!(
                "  {} ({}): {} due, {done}",
                c.what,
                class_name(c.class),
                c.due
            ));
        }
        out
    }

    pub fn deleted(&self, class: DataClass) -> u64 {
        self.classes
            .iter()
            .filter(|c| c.class == class)
            .map(|c| c.deleted)
            .sum()
    }
}

/// A class as the report's lines name it.
pub(crate) fn class_name(class: DataClass) -> &'static str {
    match class {
        DataClass::AccountData => "account data",
        DataClass::MarketingData => "marketing data",
        DataClass::ChildNonClinical => "children's data",
        DataClass::UsageLogs => "usage logs",
        other => other.label(),
    }
}

/// The UTC date of an instant: the site's clocks run on UTC.
pub fn utc_date(t: Timestamp) -> Date {
    TimeZone::UTC.to_datetime(t.to_jiff()).date()
}

pub(crate) type Candidate = (String, i64, Option<i64>, Option<i64>, Option<i64>);

pub(crate) fn facts(c: &Candidate) -> RecordFacts {
    RecordFacts {
        closed_on: c.2.map(|t| utc_date(Timestamp::from_micros(t))),
        last_interaction: c.3.map(|t| utc_date(Timestamp::from_micros(t))),
        opted_out_on: c.4.map(|t| utc_date(Timestamp::from_micros(t))),
        ..RecordFacts::created(utc_date(Timestamp::from_micros(c.1)))
    }
}

/// The instant (UTC microseconds) before which a row of an age-only class
/// is due on `today`: rows created on a day whose due date has come. The
/// rule is the schedule's, asked for a row created today.
pub(crate) fn age_cutoff(class: DataClass, schedule: &RetentionSchedule, today: Date) -> i64 {
    let lag = match retention::due_on(class, &RecordFacts::created(today), schedule) {
        retention::Due::On(due) => (due - today).get_days(),
        retention::Due::Now => 0,
        retention::Due::Never | retention::Due::KeepWhileActive => return i64::MIN,
    };
    // Rows created up to and including `today - lag` are due.
    let last_due_day = today
        .checked_sub(jiff::Span::new().days(lag))
        .unwrap_or(Date::MIN);
    let next = last_due_day.tomorrow().unwrap_or(Date::MAX);
    TimeZone::UTC
        .to_timestamp(next.at(0, 0, 0, 0))
        .map(|t| t.as_microsecond())
        .unwrap_or(i64::MIN)
}
