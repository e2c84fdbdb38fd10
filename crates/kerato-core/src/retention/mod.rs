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

use jiff::civil::Date;

use crate::error::ValidationErrors;
use crate::us_states;

mod due;
#[cfg(test)]
mod tests;

pub use due::{Due, LegalHold, RecordFacts, action, due_on, is_due};

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
