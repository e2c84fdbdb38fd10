//! The site's retention job: what the privacy statement promises, deleted
//! when it falls due, by the shared schedule of `kerato_core::retention`.
//!
//! | Data | Class | Due |
//! |---|---|---|
//! | A closed account, its users, sessions and invitations | account data | 1 year after closure |
//! | Demo requests | marketing data | 3 years after the last interaction |
//! | Newsletter contacts, their sends and their marketing answers | marketing data | 3 years after the last interaction, or at opt-out |
//! | The usage log (IP prefix, browser, pages) | usage logs | the configured short period |
//! | Sent e-mail in the outbox | usage logs | the configured short period |
//! | Expired privacy-center links (their hashes) | usage logs | the configured period after expiry |
//! | Support tickets flagged as from a child under 13, with their messages | children's data | at the next run |
//! | Support tickets from unknown e-mail senders (no account) | account data | 1 year after their last activity |
//!
//! Tickets of an account go with the account (the schema cascades).
//!
//! Each class is swept in batches, one transaction per batch, so a crash
//! loses at most a batch of work and a rerun picks up where it stopped; a
//! second run on the same day finds nothing. Every run is recorded with
//! its report and audited (counts only). The audit trail itself is kept:
//! its events name records by kind and ID, never by content.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use kerato_core::retention::{self, DataClass, RecordFacts, RetentionSchedule};
use kerato_core::time::Timestamp;
use kerato_db::{Tx, execute, on_tx};
use serde::Serialize;

use crate::Site;
use crate::audit::{self, Event};
use crate::web::SiteError;

/// Rows handled per transaction.
const BATCH: usize = 500;

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
fn class_name(class: DataClass) -> &'static str {
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
struct Sweep {
    what: &'static str,
    class: DataClass,
    /// `id` and the dates (UTC microseconds) of each candidate: created,
    /// closed, last interaction, opted out.
    list: &'static str,
    /// Deletes one record by ID, in order (the schema's cascades take its
    /// rows in other tables).
    delete: &'static [&'static str],
}

/// A table swept by age alone: rows created before the cutoff go.
struct AgeSweep {
    what: &'static str,
    class: DataClass,
    count: &'static str,
    delete: &'static str,
}

const AGE_SWEEPS: &[AgeSweep] = &[
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

const SWEEPS: &[Sweep] = &[
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

type Candidate = (String, i64, Option<i64>, Option<i64>, Option<i64>);

fn facts(c: &Candidate) -> RecordFacts {
    RecordFacts {
        closed_on: c.2.map(|t| utc_date(Timestamp::from_micros(t))),
        last_interaction: c.3.map(|t| utc_date(Timestamp::from_micros(t))),
        opted_out_on: c.4.map(|t| utc_date(Timestamp::from_micros(t))),
        ..RecordFacts::created(utc_date(Timestamp::from_micros(c.1)))
    }
}

async fn due_ids(
    tx: &mut Tx,
    sweep: &Sweep,
    schedule: &RetentionSchedule,
    today: Date,
) -> Result<Vec<String>, SiteError> {
    let rows: Vec<Candidate> = on_tx!(tx, c => sqlx::query_as(sweep.list)
        .fetch_all(&mut **c)
        .await)?;
    // The site has no legal holds of its own yet; see ARCHITECTURE.md.
    Ok(rows
        .iter()
        .filter(|c| retention::is_due(sweep.class, &facts(c), schedule, &[], today))
        .map(|c| c.0.clone())
        .collect())
}

/// Runs the job for `today`: deletes what is due (or, in a dry run, only
/// counts it), records the run and audits it.
pub async fn run(site: &Site, today: Date, dry_run: bool) -> Result<RetentionReport, SiteError> {
    let days = i32::try_from(site.config.usage_log_days).unwrap_or(i32::MAX);
    let schedule = RetentionSchedule::new(retention::DEFAULT_STATE_RULES.state, Some(days))
        .map_err(SiteError::Validation)?;
    let mut classes = Vec::new();
    for sweep in SWEEPS {
        let mut tx = site.store.read().await?;
        let due = due_ids(&mut tx, sweep, &schedule, today).await?;
        drop(tx);
        let mut deleted = 0;
        if !dry_run {
            for batch in due.chunks(BATCH) {
                let mut tx = site.store.write().await?;
                for id in batch {
                    let mut removed = 0;
                    for sql in sweep.delete {
                        removed += execute!(&mut tx, sqlx::query(*sql).bind(id))?;
                    }
                    deleted += u64::from(removed > 0);
                }
                tx.commit().await?;
            }
        }
        classes.push(ClassReport {
            what: sweep.what,
            class: sweep.class,
            due: due.len() as u64,
            deleted,
        });
    }
    for sweep in AGE_SWEEPS {
        let cutoff = age_cutoff(sweep.class, &schedule, today);
        let mut tx = site.store.write().await?;
        let (due,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sweep.count)
            .bind(cutoff)
            .fetch_one(&mut **c)
            .await)?;
        let deleted = if dry_run {
            0
        } else {
            execute!(&mut tx, sqlx::query(sweep.delete).bind(cutoff))?
        };
        tx.commit().await?;
        classes.push(ClassReport {
            what: sweep.what,
            class: sweep.class,
            due: u64::try_from(due).unwrap_or(0),
            deleted,
        });
    }
    let report = RetentionReport {
        run_date: today.to_string(),
        dry_run,
        classes,
    };
    record_run(site, &report).await?;
    Ok(report)
}

/// The instant (UTC microseconds) before which a row of an age-only class
/// is due on `today`: rows created on a day whose due date has come. The
/// rule is the schedule's, asked for a row created today.
fn age_cutoff(class: DataClass, schedule: &RetentionSchedule, today: Date) -> i64 {
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

async fn record_run(site: &Site, report: &RetentionReport) -> Result<(), SiteError> {
    let now = site.now();
    let json = serde_json::to_string(report).map_err(|e| SiteError::Internal(e.to_string()))?;
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query("INSERT INTO site_retention_runs (id, ran_at, run_date, dry_run, report) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(now.as_micros())
            .bind(&report.run_date)
            .bind(i64::from(report.dry_run))
            .bind(&json)
    )?;
    let detail: Vec<String> = report
        .classes
        .iter()
        .map(|c| format!("{}: {} due, {} deleted", c.class, c.due, c.deleted))
        .collect();
    let detail = detail.join("; ");
    let subject = format!("retention_run:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("system:retention"),
            action: if report.dry_run {
                "retention.dry_run"
            } else {
                "retention.run"
            },
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
