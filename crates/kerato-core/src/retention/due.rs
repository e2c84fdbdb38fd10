//! When a record is due for deletion or pseudonymisation, and whether a
//! legal hold keeps it.

use jiff::Span;
use jiff::civil::Date;

use super::{AUDIT_YEARS_AFTER_MAJORITY, Action, Anchor, DataClass, Keep, RetentionSchedule, rule};

/// The dates a retention rule may need. Only `created` is always known;
/// a rule uses the ones its class needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFacts {
    pub created: Date,
    pub last_visit: Option<Date>,
    pub date_of_birth: Option<Date>,
    pub closed_on: Option<Date>,
    pub last_interaction: Option<Date>,
    pub opted_out_on: Option<Date>,
    pub learned_under_13_on: Option<Date>,
    pub policy_last_effective: Option<Date>,
}

impl RecordFacts {
    /// The facts of a record of which only the creation date is known.
    pub fn created(created: Date) -> Self {
        Self {
            created,
            last_visit: None,
            date_of_birth: None,
            closed_on: None,
            last_interaction: None,
            opted_out_on: None,
            learned_under_13_on: None,
            policy_last_effective: None,
        }
    }
}

/// When a record falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "due", content = "on", rename_all = "snake_case")]
pub enum Due {
    /// No date can be computed from the facts (a minor's record without a
    /// date of birth, or a date past the calendar's end), so it is kept.
    Never,
    /// Kept as long as the account is open; the clock starts at closure.
    KeepWhileActive,
    /// Due from this date on.
    On(Date),
    /// Due already, whatever the date: it should not have been kept.
    Now,
}

/// When a record of `class` with these facts falls due under `schedule`.
pub fn due_on(class: DataClass, facts: &RecordFacts, schedule: &RetentionSchedule) -> Due {
    let row = rule(class, schedule);
    let Some(from) = anchor_date(row.after, facts) else {
        return match row.after {
            Anchor::AccountClosed => Due::KeepWhileActive,
            // A child's data with no record of when we learned it is due
            // at once: the class itself says we know.
            _ => Due::Now,
        };
    };
    let base = due_after(from, row.keep);
    let state = schedule.state;
    let due = match class {
        DataClass::ClinicalAdult | DataClass::ClinicalMinor => {
            match (facts.date_of_birth, class) {
                // The class cannot shorten a minor's retention: with a date
                // of birth, the minor floor applies whichever class the
                // caller chose, and it is below the adult period for anyone
                // last seen as an adult.
                (Some(dob), _) => later(
                    base,
                    due_after(
                        dob,
                        Keep::Years(state.majority_age + state.minor_years_after_majority),
                    ),
                ),
                (None, DataClass::ClinicalMinor) => None,
                (None, _) => base,
            }
        }
        DataClass::AuditTrail => {
            // The trail outlives the record it is about, and a minor's
            // trail runs past majority; facts that are not known add no
            // floor.
            let mut due = base;
            if facts.last_visit.is_some() {
                let record = match due_on(DataClass::ClinicalAdult, facts, schedule) {
                    Due::On(date) => Some(date),
                    Due::Never | Due::KeepWhileActive | Due::Now => None,
                };
                due = later(due, record);
            }
            if let Some(dob) = facts.date_of_birth {
                due = later(
                    due,
                    due_after(
                        dob,
                        Keep::Years(state.majority_age + AUDIT_YEARS_AFTER_MAJORITY),
                    ),
                );
            }
            due
        }
        DataClass::MarketingData => match (base, facts.opted_out_on) {
            (Some(date), Some(out)) => Some(date.min(out)),
            (None, Some(out)) => Some(out),
            (base, None) => base,
        },
        _ => base,
    };
    due.map_or(Due::Never, Due::On)
}

/// What is done to a record of `class` once it is due.
pub fn action(class: DataClass) -> Action {
    match class {
        DataClass::AuditTrail => Action::Pseudonymise,
        _ => Action::Delete,
    }
}

/// A legal hold: while it stands, nothing it covers may be deleted,
/// whatever the schedule says (litigation, an investigation, an audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    pub reason: String,
    pub placed_on: Date,
    /// The day the hold was lifted; it no longer applies from that day.
    pub released_on: Option<Date>,
    /// The classes it covers; empty means every class.
    pub classes: Vec<DataClass>,
}

impl LegalHold {
    /// Whether this hold stops the deletion of a record of `class` on
    /// `today`.
    pub fn covers(&self, class: DataClass, today: Date) -> bool {
        self.placed_on <= today
            && self.released_on.is_none_or(|released| today < released)
            && (self.classes.is_empty() || self.classes.contains(&class))
    }
}

/// Whether a record is due for its [`action`] on `today`: its due date has
/// come and no hold covers it. The caller passes the holds that apply to
/// the record's person or matter.
pub fn is_due(
    class: DataClass,
    facts: &RecordFacts,
    schedule: &RetentionSchedule,
    holds: &[LegalHold],
    today: Date,
) -> bool {
    if holds.iter().any(|h| h.covers(class, today)) {
        return false;
    }
    match due_on(class, facts, schedule) {
        Due::Never | Due::KeepWhileActive => false,
        Due::On(date) => today >= date,
        Due::Now => true,
    }
}

fn anchor_date(anchor: Anchor, facts: &RecordFacts) -> Option<Date> {
    match anchor {
        Anchor::Created => Some(facts.created),
        Anchor::LastVisit => Some(facts.last_visit.unwrap_or(facts.created)),
        Anchor::LastEffective => Some(
            facts
                .policy_last_effective
                .map_or(facts.created, |d| d.max(facts.created)),
        ),
        Anchor::AccountClosed => facts.closed_on,
        Anchor::LastInteraction => Some(facts.last_interaction.unwrap_or(facts.created)),
        Anchor::LearnedUnder13 => facts.learned_under_13_on,
    }
}

/// The first day after `keep` has run from `from`, or `None` past the
/// calendar's end. Years clamp an anniversary on 29 February to 28
/// February (jiff's month arithmetic), and the day after is added last.
fn due_after(from: Date, keep: Keep) -> Option<Date> {
    let end = match keep {
        Keep::NotAtAll => return Some(from),
        Keep::Years(years) => from.checked_add(Span::new().years(years)),
        Keep::Days(days) => from.checked_add(Span::new().days(days)),
    };
    end.and_then(|d| d.tomorrow()).ok()
}

/// The later of two due dates; an unknown date (kept for ever) wins.
fn later(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    Some(a?.max(b?))
}
