//! The retention schedule: how long each class of data is kept, as data
//! that can be published, and the rule that says when a record falls due
//! for deletion or pseudonymisation.
//!
//! # The schedule
//!
//! | Class | Kept | Then | Source |
//! |---|---|---|---|
//! | Clinical record, adult | the state's years after the last visit (10 by default) | delete | state law; [`STATE_RULES`] |
//! | Clinical record, minor | the adult period, or until majority plus the state's extra years, whichever is later | delete | state law |
//! | HIPAA documentation | 6 years from creation or the date last in effect, whichever is later | delete | 45 CFR 164.316(b)(2)(i), 164.530(j) |
//! | Audit trail | 10 years, and never less than the record it is about | pseudonymise | ASTM E2147-18 §4.1 (research note §6) |
//! | FTC Rx confirmation | 3 years | delete | 16 CFR 456.4(b), 315.3 (`kerato_domain::eye::ftc`) |
//! | Account data (vendor site) | while the account is active, plus 1 year after closure | delete | privacy statement §8 |
//! | Marketing data | 3 years after the last interaction, or until opt-out | delete | privacy statement §8 |
//! | Usage logs | a short configurable period, 30 days by default | delete | research note §2.5 ("keep logs short-lived") |
//! | Children's non-clinical data | not at all once we learn the person is under 13 | delete | privacy statement §1; COPPA 16 CFR 312.10 |
//!
//! # How the days are counted (Kerato's choices)
//!
//! - Retention works on dates, not instants: the application gives the
//!   facts as dates in the practice's zone and asks with today's date.
//! - "N years after" a date keeps the record through the anniversary and
//!   makes it due the day after, the same reading as
//!   [`crate::confirmation_deletable_after`]: a minimum retention
//!   period is never cut short by a day. An anniversary of 29 February in
//!   a common year is 28 February, so such a record is due on 1 March.
//! - A period of days counts the same way: usage logs written on 1 June
//!   with 30 days are kept through 1 July and due on 2 July.
//! - "Immediately" and "promptly" (an opt-out, a child's data) mean due on
//!   the day it happened; the deletion job then runs at its next pass.
//! - A legal hold stops every deletion it covers, whatever the schedule
//!   says; see [`is_due`].

use jiff::Span;
use jiff::civil::Date;

use crate::error::ValidationErrors;
use crate::us_states;

/// Years HIPAA documentation is kept (45 CFR 164.316(b)(2)(i)).
pub const HIPAA_DOCUMENTATION_YEARS: i16 = 6;

/// Years audit trail entries are kept at least (research note §6: "Default
/// retention 10 years").
pub const AUDIT_TRAIL_YEARS: i16 = 10;

/// Years past majority a minor's audit trail is kept at least (ASTM
/// E2147-18 §4.1, research note §6: "≥ majority + 2 for minors").
pub const AUDIT_YEARS_AFTER_MAJORITY: i16 = 2;

/// Years account data is kept after the account is closed (privacy
/// statement §8: "while the account is open, and for one year after it is
/// closed").
pub const ACCOUNT_YEARS_AFTER_CLOSURE: i16 = 1;

/// Years marketing data is kept after the last interaction (privacy
/// statement §8: "three years after your last interaction with us, or on
/// the next daily run after you unsubscribe").
pub const MARKETING_YEARS_AFTER_INTERACTION: i16 = 3;

/// Days usage logs are kept unless the practice chooses otherwise.
pub const DEFAULT_USAGE_LOG_DAYS: i32 = 30;

/// The longest a practice may keep usage logs. The research note asks for
/// short-lived logs because an IP address tied to a patient session is
/// PHI (§2.2, §2.5); a quarter is enough to look into any incident that
/// is noticed at all.
pub const MAX_USAGE_LOG_DAYS: i32 = 90;

string_enum!(
    /// What kind of data a record is, for retention.
    DataClass {
        ClinicalAdult = "clinical_adult", "Clinical record (adult)";
        ClinicalMinor = "clinical_minor", "Clinical record (minor)";
        HipaaDocumentation = "hipaa_documentation", "HIPAA documentation (policies, confirmations, requests)";
        AuditTrail = "audit_trail", "Audit trail";
        FtcRxConfirmation = "ftc_rx_confirmation", "FTC prescription release confirmation";
        AccountData = "account_data", "Account data (vendor site)";
        MarketingData = "marketing_data", "Marketing data";
        UsageLogs = "usage_logs", "Usage logs";
        ChildNonClinical = "child_non_clinical", "Children's non-clinical data (under 13)";
    }
);

/// What happens to a record once it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Delete,
    /// The fields that name or describe the person are nulled and the rest
    /// is kept: audit rows are never deleted, because the trail must still
    /// prove what happened (research note §2.5: "Audit rows are never
    /// deleted; pseudonymise the subject only when retention ends"). The
    /// hash chain still verifies through the digest of those fields that
    /// each event's hash covers (`kerato_domain::audit::subject_digest`); events
    /// written before that digest existed (hash version 1) cannot be
    /// pseudonymised and stay as they are.
    Pseudonymise,
}

/// How long a state requires a practitioner to keep clinical records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRules {
    /// The two-letter postal code, or [`us_states::FEDERAL`] for the default.
    pub state: &'static str,
    pub adult_years_after_last_visit: i16,
    pub majority_age: i16,
    /// Years past majority a minor's record is kept at least.
    pub minor_years_after_majority: i16,
    pub citation: &'static str,
}

/// The rules for a state without a row of its own. Ten years after the
/// last visit is the brief's default and the research note's audit figure
/// (§6), and majority plus two years matches the audit trail's floor for
/// minors, so that a record is never kept for less time than its trail.
pub const DEFAULT_STATE_RULES: StateRules = StateRules {
    state: us_states::FEDERAL,
    adult_years_after_last_visit: 10,
    majority_age: 18,
    minor_years_after_majority: 2,
    citation: "Kerato default (research note §6)",
};

/// The state rows Kerato ships, for physicians' and optometrists' offices.
/// They were written from the statutes as commonly summarised, not from
/// the research note, which leaves records to "state law"; a practice
/// should confirm its row with counsel. Adding a state is adding a row.
pub const STATE_RULES: &[StateRules] = &[
    StateRules {
        state: "AZ",
        // Six years after the last service; a minor's record until the
        // later of three years past age 18 and six years after the last
        // service.
        adult_years_after_last_visit: 6,
        majority_age: 18,
        minor_years_after_majority: 3,
        citation: "A.R.S. § 12-2297(A)",
    },
    StateRules {
        state: "NY",
        // Six years; a minor's record also until one year after the
        // patient turns 21, which is four years past majority at 18.
        adult_years_after_last_visit: 6,
        majority_age: 18,
        minor_years_after_majority: 4,
        citation: "8 NYCRR 29.2(a)(3)",
    },
    StateRules {
        state: "TX",
        // Seven years from the last treatment; a minor's record until age
        // 21 or seven years, whichever is longer.
        adult_years_after_last_visit: 7,
        majority_age: 18,
        minor_years_after_majority: 3,
        citation: "22 Tex. Admin. Code § 165.1(b)",
    },
];

/// The rules for `state`: its row, or the default for a state without one.
/// An unknown code is refused rather than silently given the default.
pub fn state_rules(state: &str) -> Result<StateRules, String> {
    let code = us_states::parse_state_code(state)?;
    Ok(STATE_RULES
        .iter()
        .find(|r| r.state == code)
        .copied()
        .unwrap_or(DEFAULT_STATE_RULES))
}

/// A practice's retention schedule: its state's clinical rules and the
/// period it keeps usage logs. Every other period is fixed by law or by
/// the privacy statement, so it is not a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionSchedule {
    state: StateRules,
    usage_log_days: i32,
}

impl Default for RetentionSchedule {
    fn default() -> Self {
        Self {
            state: DEFAULT_STATE_RULES,
            usage_log_days: DEFAULT_USAGE_LOG_DAYS,
        }
    }
}

impl RetentionSchedule {
    /// The schedule for a practice in `state` keeping usage logs for
    /// `usage_log_days` (the default when `None`).
    pub fn new(state: &str, usage_log_days: Option<i32>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let rules = state_rules(state).unwrap_or_else(|message| {
            errors.add("state", message);
            DEFAULT_STATE_RULES
        });
        let days = usage_log_days.unwrap_or(DEFAULT_USAGE_LOG_DAYS);
        if !(1..=MAX_USAGE_LOG_DAYS).contains(&days) {
            errors.add(
                "usage_log_days",
                format!(
                    "usage logs must be kept between 1 and {MAX_USAGE_LOG_DAYS} days, not {days}; logs tied to a patient session are PHI and should be short-lived ({DEFAULT_USAGE_LOG_DAYS} is the default)"
                ),
            );
        }
        errors.into_result(Self {
            state: rules,
            usage_log_days: days,
        })
    }

    pub fn state(&self) -> &StateRules {
        &self.state
    }

    pub fn usage_log_days(&self) -> i32 {
        self.usage_log_days
    }
}

/// How long something is kept after the date it runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Years(i16),
    Days(i32),
    /// Not kept: due on the day itself.
    NotAtAll,
}

/// The date a retention period runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Created,
    /// The last visit, or the creation date if there was no visit.
    LastVisit,
    /// The later of creation and the date the document was last in effect.
    LastEffective,
    /// The day the account was closed; nothing is due while it is open.
    AccountClosed,
    /// The last interaction, or the creation date if none is recorded.
    LastInteraction,
    /// The day it was learned that the person is under 13.
    LearnedUnder13,
}

/// One row of the published schedule. Some classes add a floor or a cut
/// on top of their row, which [`due_on`] applies: a minor's clinical
/// record is kept past majority, an audit trail as long as its record,
/// and marketing data goes at opt-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionRule {
    pub class: DataClass,
    pub keep: Keep,
    pub after: Anchor,
    pub action: Action,
    pub citation: &'static str,
}

/// The row of the schedule for `class`.
pub fn rule(class: DataClass, schedule: &RetentionSchedule) -> RetentionRule {
    let row = |keep, after, citation| RetentionRule {
        class,
        keep,
        after,
        action: action(class),
        citation,
    };
    let clinical = Keep::Years(schedule.state.adult_years_after_last_visit);
    match class {
        DataClass::ClinicalAdult | DataClass::ClinicalMinor => {
            row(clinical, Anchor::LastVisit, schedule.state.citation)
        }
        DataClass::HipaaDocumentation => row(
            Keep::Years(HIPAA_DOCUMENTATION_YEARS),
            Anchor::LastEffective,
            "45 CFR 164.316(b)(2)(i); 164.530(j)",
        ),
        DataClass::AuditTrail => row(
            Keep::Years(AUDIT_TRAIL_YEARS),
            Anchor::Created,
            "ASTM E2147-18 §4.1",
        ),
        DataClass::FtcRxConfirmation => row(
            Keep::Years(CONFIRMATION_RETENTION_YEARS),
            Anchor::Created,
            "16 CFR 456.4(b); 16 CFR 315.3",
        ),
        DataClass::AccountData => row(
            Keep::Years(ACCOUNT_YEARS_AFTER_CLOSURE),
            Anchor::AccountClosed,
            "privacy statement §8",
        ),
        DataClass::MarketingData => row(
            Keep::Years(MARKETING_YEARS_AFTER_INTERACTION),
            Anchor::LastInteraction,
            "privacy statement §8",
        ),
        DataClass::UsageLogs => row(
            Keep::Days(schedule.usage_log_days),
            Anchor::Created,
            "research note §2.5",
        ),
        DataClass::ChildNonClinical => row(
            Keep::NotAtAll,
            Anchor::LearnedUnder13,
            "privacy statement §1; 16 CFR 312.10",
        ),
    }
}

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

// ---------------------------------------------------------------------------
// FTC prescription confirmations
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn facts(created: Date) -> RecordFacts {
        RecordFacts::created(created)
    }

    fn schedule(state: &str) -> RetentionSchedule {
        RetentionSchedule::new(state, None).unwrap()
    }

    /// Canary records, one per class (two for marketing): each is due on
    /// exactly its day and not the day before.
    #[test]
    fn each_class_is_due_on_its_day_and_not_before() {
        let s = RetentionSchedule::default();
        let cases = [
            (
                DataClass::ClinicalAdult,
                RecordFacts {
                    last_visit: Some(date(2020, 5, 10)),
                    ..facts(date(2015, 1, 1))
                },
                date(2030, 5, 11),
            ),
            (
                DataClass::ClinicalMinor,
                RecordFacts {
                    last_visit: Some(date(2015, 6, 1)),
                    date_of_birth: Some(date(2010, 3, 15)),
                    ..facts(date(2012, 1, 1))
                },
                // Majority (18) plus two years is later than ten years
                // after the last visit.
                date(2030, 3, 16),
            ),
            (
                DataClass::HipaaDocumentation,
                RecordFacts {
                    policy_last_effective: Some(date(2022, 7, 1)),
                    ..facts(date(2019, 1, 1))
                },
                date(2028, 7, 2),
            ),
            (
                DataClass::AuditTrail,
                facts(date(2021, 4, 1)),
                date(2031, 4, 2),
            ),
            (
                DataClass::FtcRxConfirmation,
                facts(date(2025, 3, 10)),
                date(2028, 3, 11),
            ),
            (
                DataClass::AccountData,
                RecordFacts {
                    closed_on: Some(date(2025, 6, 10)),
                    ..facts(date(2020, 1, 1))
                },
                date(2026, 6, 11),
            ),
            (
                DataClass::MarketingData,
                RecordFacts {
                    last_interaction: Some(date(2024, 2, 1)),
                    ..facts(date(2023, 1, 1))
                },
                date(2027, 2, 2),
            ),
            (
                DataClass::MarketingData,
                RecordFacts {
                    last_interaction: Some(date(2024, 2, 1)),
                    opted_out_on: Some(date(2025, 1, 5)),
                    ..facts(date(2023, 1, 1))
                },
                date(2025, 1, 5),
            ),
            (
                DataClass::UsageLogs,
                facts(date(2025, 6, 1)),
                date(2025, 7, 2),
            ),
            (
                DataClass::ChildNonClinical,
                RecordFacts {
                    learned_under_13_on: Some(date(2025, 9, 9)),
                    ..facts(date(2025, 8, 1))
                },
                date(2025, 9, 9),
            ),
        ];
        let covered: std::collections::BTreeSet<DataClass> =
            cases.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(
            covered.len(),
            DataClass::ALL.len(),
            "every class has a canary"
        );
        for (class, f, due) in cases {
            assert_eq!(due_on(class, &f, &s), Due::On(due), "{class}");
            let day_before = due.yesterday().unwrap();
            assert!(
                !is_due(class, &f, &s, &[], day_before),
                "{class} due a day early"
            );
            assert!(
                is_due(class, &f, &s, &[], due),
                "{class} not due on its day"
            );
            assert!(
                is_due(class, &f, &s, &[], due.tomorrow().unwrap()),
                "{class} stops being due"
            );
        }
    }

    #[test]
    fn ftc_confirmations_follow_the_ftc_module() {
        let s = RetentionSchedule::default();
        for created in [date(2025, 3, 10), date(2024, 2, 29), date(2023, 12, 31)] {
            let kept_through = confirmation_deletable_after(created);
            assert_eq!(
                due_on(DataClass::FtcRxConfirmation, &facts(created), &s),
                Due::On(kept_through.tomorrow().unwrap()),
                "{created}"
            );
        }
    }

    #[test]
    fn an_open_account_is_kept_and_facts_that_are_missing_decide_safely() {
        let s = RetentionSchedule::default();
        let open = facts(date(2000, 1, 1));
        assert_eq!(
            due_on(DataClass::AccountData, &open, &s),
            Due::KeepWhileActive
        );
        assert!(!is_due(
            DataClass::AccountData,
            &open,
            &s,
            &[],
            date(2099, 1, 1)
        ));
        // A child's data with no date of learning is due at once.
        assert_eq!(due_on(DataClass::ChildNonClinical, &open, &s), Due::Now);
        assert!(is_due(
            DataClass::ChildNonClinical,
            &open,
            &s,
            &[],
            date(2000, 1, 1)
        ));
        // A minor's record without a date of birth cannot be timed, so it
        // is kept; an adult's falls back to its last visit or creation.
        assert_eq!(due_on(DataClass::ClinicalMinor, &open, &s), Due::Never);
        assert_eq!(
            due_on(DataClass::ClinicalAdult, &open, &s),
            Due::On(date(2010, 1, 2))
        );
        // Marketing data without a recorded interaction runs from creation.
        assert_eq!(
            due_on(DataClass::MarketingData, &open, &s),
            Due::On(date(2003, 1, 2))
        );
    }

    #[test]
    fn a_hold_stops_deletion_while_it_stands() {
        let s = RetentionSchedule::default();
        let f = facts(date(2025, 6, 1));
        let today = date(2025, 8, 1);
        assert!(is_due(DataClass::UsageLogs, &f, &s, &[], today));
        let hold = LegalHold {
            reason: "subpoena, case 25-1234".into(),
            placed_on: date(2025, 7, 15),
            released_on: None,
            classes: vec![],
        };
        assert!(!is_due(
            DataClass::UsageLogs,
            &f,
            &s,
            std::slice::from_ref(&hold),
            today
        ));
        // Before it was placed, and from the day it was lifted, it does not apply.
        assert!(is_due(
            DataClass::UsageLogs,
            &f,
            &s,
            std::slice::from_ref(&hold),
            date(2025, 7, 14)
        ));
        let lifted = LegalHold {
            released_on: Some(date(2025, 8, 1)),
            ..hold.clone()
        };
        assert!(is_due(
            DataClass::UsageLogs,
            &f,
            &s,
            std::slice::from_ref(&lifted),
            today
        ));
        assert!(!is_due(
            DataClass::UsageLogs,
            &f,
            &s,
            std::slice::from_ref(&lifted),
            date(2025, 7, 31)
        ));
        // A hold on other classes leaves usage logs alone.
        let narrow = LegalHold {
            classes: vec![DataClass::ClinicalAdult],
            ..hold
        };
        assert!(is_due(
            DataClass::UsageLogs,
            &f,
            &s,
            std::slice::from_ref(&narrow),
            today
        ));
        assert!(narrow.covers(DataClass::ClinicalAdult, today));
    }

    /// Born on 29 February: majority in a common year falls on 28
    /// February, so the record is kept through that day and due on 1 March.
    #[test]
    fn a_leap_day_birth_counts_to_the_end_of_february() {
        let born = RecordFacts {
            date_of_birth: Some(date(2008, 2, 29)),
            last_visit: Some(date(2012, 5, 1)),
            ..facts(date(2008, 3, 1))
        };
        // New York: one year past 21 is age 22, in 2030, a common year.
        assert_eq!(
            due_on(DataClass::ClinicalMinor, &born, &schedule("NY")),
            Due::On(date(2030, 3, 1))
        );
        // Default: 20, in 2028, a leap year, so 29 February exists.
        assert_eq!(
            due_on(
                DataClass::ClinicalMinor,
                &born,
                &RetentionSchedule::default()
            ),
            Due::On(date(2028, 3, 1))
        );
        let seen_on_leap_day = RecordFacts {
            last_visit: Some(date(2024, 2, 29)),
            ..facts(date(2024, 2, 29))
        };
        assert_eq!(
            due_on(
                DataClass::ClinicalAdult,
                &seen_on_leap_day,
                &RetentionSchedule::default()
            ),
            Due::On(date(2034, 3, 1))
        );
    }

    #[test]
    fn a_minor_is_kept_past_majority_and_an_adult_by_the_last_visit() {
        let ny = schedule("NY");
        let child = RecordFacts {
            date_of_birth: Some(date(2010, 1, 1)),
            last_visit: Some(date(2020, 6, 1)),
            ..facts(date(2015, 1, 1))
        };
        // Six years after the last visit would be 2026; a year past 21 is 2032.
        assert_eq!(
            due_on(DataClass::ClinicalMinor, &child, &ny),
            Due::On(date(2032, 1, 2))
        );
        // The class cannot shorten a minor's retention.
        assert_eq!(
            due_on(DataClass::ClinicalAdult, &child, &ny),
            Due::On(date(2032, 1, 2))
        );
        let adult = RecordFacts {
            date_of_birth: Some(date(1980, 1, 1)),
            ..child
        };
        assert_eq!(
            due_on(DataClass::ClinicalAdult, &adult, &ny),
            Due::On(date(2026, 6, 2))
        );
        assert_eq!(
            due_on(DataClass::ClinicalMinor, &adult, &ny),
            Due::On(date(2026, 6, 2))
        );
        // Texas: seven years, or until 21 when that is later.
        let tx = schedule("tx");
        assert_eq!(
            due_on(DataClass::ClinicalMinor, &child, &tx),
            Due::On(date(2031, 1, 2))
        );
        assert_eq!(
            due_on(DataClass::ClinicalAdult, &adult, &tx),
            Due::On(date(2027, 6, 2))
        );
    }

    #[test]
    fn the_audit_trail_outlives_its_record_and_is_pseudonymised() {
        let ny = schedule("NY");
        let child = RecordFacts {
            date_of_birth: Some(date(2020, 1, 1)),
            last_visit: Some(date(2021, 1, 1)),
            ..facts(date(2021, 1, 1))
        };
        let record = due_on(DataClass::ClinicalMinor, &child, &ny);
        assert_eq!(record, Due::On(date(2042, 1, 2)));
        assert_eq!(due_on(DataClass::AuditTrail, &child, &ny), record);
        // Without a record to follow, a child's trail runs to majority + 2.
        let trail_only = RecordFacts {
            last_visit: None,
            ..child
        };
        assert_eq!(
            due_on(DataClass::AuditTrail, &trail_only, &ny),
            Due::On(date(2040, 1, 2))
        );
        assert_eq!(action(DataClass::AuditTrail), Action::Pseudonymise);
        for class in DataClass::ALL
            .iter()
            .filter(|c| **c != DataClass::AuditTrail)
        {
            assert_eq!(action(*class), Action::Delete, "{class}");
        }
    }

    #[test]
    fn the_schedule_is_checked_and_published_as_data() {
        assert_eq!(schedule("az").state().citation, "A.R.S. § 12-2297(A)");
        assert_eq!(schedule("OH").state(), &DEFAULT_STATE_RULES);
        assert_eq!(schedule("US").usage_log_days(), DEFAULT_USAGE_LOG_DAYS);
        assert_eq!(
            RetentionSchedule::new("CA", Some(14))
                .unwrap()
                .usage_log_days(),
            14
        );
        let err = RetentionSchedule::new("Calif", Some(0)).unwrap_err();
        assert!(
            err.for_field("state")
                .unwrap()
                .contains("two-letter postal code"),
            "{err}"
        );
        assert!(
            err.for_field("usage_log_days")
                .unwrap()
                .contains("between 1 and 90 days, not 0"),
            "{err}"
        );
        let err = RetentionSchedule::new("CA", Some(91)).unwrap_err();
        assert!(err.for_field("usage_log_days").is_some(), "{err}");
        let s = RetentionSchedule::default();
        for class in DataClass::ALL {
            let row = rule(*class, &s);
            assert_eq!(row.class, *class);
            assert!(!row.citation.is_empty(), "{class} has no source");
        }
        assert_eq!(rule(DataClass::UsageLogs, &s).keep, Keep::Days(30));
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1950i16..2060, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
            let first = date(y, m, 1);
            date(y, m, d.min(first.days_in_month()))
        })
    }

    fn any_schedule() -> impl Strategy<Value = RetentionSchedule> {
        proptest::sample::select(vec!["US", "AZ", "NY", "TX"]).prop_map(schedule)
    }

    fn on(due: Due) -> Option<Date> {
        match due {
            Due::On(d) => Some(d),
            _ => None,
        }
    }

    proptest! {
        /// A later last visit never makes a clinical record or its trail
        /// due earlier.
        #[test]
        fn a_later_visit_never_brings_the_due_date_forward(
            s in any_schedule(),
            dob in proptest::option::of(any_date()),
            visit in any_date(),
            more_days in 0i32..5_000,
        ) {
            let later_visit = visit.checked_add(Span::new().days(more_days)).unwrap();
            for class in [DataClass::ClinicalAdult, DataClass::ClinicalMinor, DataClass::AuditTrail] {
                let base = RecordFacts { date_of_birth: dob, last_visit: Some(visit), ..facts(visit) };
                let moved = RecordFacts { last_visit: Some(later_visit), ..base };
                let (a, b) = (due_on(class, &base, &s), due_on(class, &moved, &s));
                if let (Some(a), Some(b)) = (on(a), on(b)) {
                    prop_assert!(a <= b, "{class}: {a} then {b}");
                } else {
                    prop_assert_eq!(a, b, "{}", class);
                }
            }
        }

        /// Once due, a record stays due (without holds), and no day before
        /// its due date is due.
        #[test]
        fn due_is_a_threshold(s in any_schedule(), created in any_date(), today in any_date(), class_ix in 0usize..9) {
            let class = DataClass::ALL[class_ix % DataClass::ALL.len()];
            let f = RecordFacts {
                closed_on: Some(created),
                learned_under_13_on: Some(created),
                date_of_birth: Some(created),
                ..facts(created)
            };
            if let Due::On(due) = due_on(class, &f, &s) {
                prop_assert!(due >= created);
                prop_assert_eq!(is_due(class, &f, &s, &[], today), today >= due);
            }
        }
    }
}
