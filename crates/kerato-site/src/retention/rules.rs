//! Rules of the site's retention: the sweeps, their cut-offs and the report.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use kerato_core::retention;
use kerato_core::retention::DataClass;
use kerato_core::retention::RecordFacts;
use kerato_core::retention::RetentionSchedule;
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

/// A table the job sweeps: how to list its records with the dates their
/// rule needs, and how to delete one.
pub(crate) struct Sweep {
    pub(crate) what: &'static str,
    pub(crate) class: DataClass,
    /// `id` and the dates (UTC microseconds) of each candidate: created,
    /// closed, last interaction, opted out.
    pub(crate) list: &'static str,
    /// Deletes one record by ID, in order (the schema's cascades take its
    /// rows in other tables).
    pub(crate) delete: &'static [&'static str],
}

/// A table swept by age alone: rows created before the cutoff go.
pub(crate) struct AgeSweep {
    pub(crate) what: &'static str,
    pub(crate) class: DataClass,
    pub(crate) count: &'static str,
    pub(crate) delete: &'static str,
}

pub(crate) const AGE_SWEEPS: &[AgeSweep] = &[
    AgeSweep {
        what: "Usage log entries",
        class: DataClass::UsageLogs,
        count: "SELECT count(*) FROM usage_log WHERE at < $1",
        delete: "DELETE FROM usage_log WHERE at < $1",
    },
    // Verification and download links of the privacy center, once they
    // have expired, are kept like logs and then go; status links have no
    // expiry and stay with their request.
    AgeSweep {
        what: "Expired privacy-center links",
        class: DataClass::UsageLogs,
        count: "SELECT count(*) FROM site_rights_tokens WHERE expires_at < $1",
        delete: "DELETE FROM site_rights_tokens WHERE expires_at < $1",
    },
];

pub(crate) const SWEEPS: &[Sweep] = &[
    Sweep {
        what: "Closed customer accounts, with their users, tickets and invoices",
        class: DataClass::AccountData,
        list: "SELECT id, created_at, closed_at, NULL, NULL FROM accounts WHERE closed_at IS NOT NULL",
        delete: &["DELETE FROM accounts WHERE id = $1"],
    },
    Sweep {
        what: "Demo requests",
        class: DataClass::MarketingData,
        list: "SELECT id, received_at, NULL, last_interaction_at, NULL FROM demo_requests",
        delete: &["DELETE FROM demo_requests WHERE id = $1"],
    },
    Sweep {
        what: "Newsletter contacts, with their marketing answers and sends",
        class: DataClass::MarketingData,
        // The fifth column is the opt-out date: when the latest answer
        // about marketing e-mail is a no, marketing data goes then.
        list: "SELECT m.id, m.created_at, NULL, m.last_interaction_at, \
               (SELECT CASE WHEN s.granted = 0 THEN s.recorded_at END FROM site_consents s \
                WHERE s.subject_kind = 'contact' AND s.subject = m.email AND s.purpose = 'marketing_email' \
                ORDER BY s.recorded_at DESC, s.id DESC LIMIT 1) \
               FROM marketing_contacts m",
        delete: &[
            "DELETE FROM site_consents WHERE subject_kind = 'contact' AND purpose = 'marketing_email' \
             AND subject = (SELECT email FROM marketing_contacts WHERE id = $1)",
            "DELETE FROM campaign_sends WHERE email = (SELECT email FROM marketing_contacts WHERE id = $1)",
            "DELETE FROM marketing_contacts WHERE id = $1",
        ],
    },
    Sweep {
        what: "Support tickets from children under 13",
        class: DataClass::ChildNonClinical,
        list: "SELECT id, created_at, NULL, NULL, NULL FROM tickets WHERE under_13 = 1",
        delete: &["DELETE FROM tickets WHERE id = $1"],
    },
    Sweep {
        what: "Support tickets from people without an account",
        class: DataClass::AccountData,
        // A ticket without an account is kept like a closed account's data,
        // its last activity standing for the closure.
        list: "SELECT id, created_at, last_activity_at, NULL, NULL FROM tickets WHERE account_id IS NULL AND under_13 = 0",
        delete: &["DELETE FROM tickets WHERE id = $1"],
    },
    Sweep {
        what: "Copies of sent e-mail",
        class: DataClass::UsageLogs,
        list: "SELECT id, created_at, NULL, NULL, NULL FROM site_outbox WHERE sent_at IS NOT NULL",
        delete: &["DELETE FROM site_outbox WHERE id = $1"],
    },
];

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
