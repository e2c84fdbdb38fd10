//! The SQL of the retention sweeps.

use jiff::civil::Date;
use kerato_core::retention::{self, DataClass, RetentionSchedule};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::retention::rules::*;
use crate::web::SiteError;

pub(crate) async fn due_ids(
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

/// Deletes one due row with one of a sweep's statements; returns how many
/// rows went.
pub(crate) async fn delete_row(
    tx: &mut Tx,
    sql: &'static str,
    id: &str,
) -> Result<u64, StoreError> {
    Ok(execute!(tx, sqlx::query(sql).bind(id))?)
}

/// How many rows of an age sweep are older than the cut-off.
pub(crate) async fn count_older(
    tx: &mut Tx,
    sweep: &AgeSweep,
    cutoff: i64,
) -> Result<i64, StoreError> {
    let (due,): (i64,) = on_tx!(tx, c => sqlx::query_as(sweep.count)
        .bind(cutoff)
        .fetch_one(&mut **c)
        .await)?;
    Ok(due)
}

/// Deletes the rows of an age sweep older than the cut-off.
pub(crate) async fn delete_older(
    tx: &mut Tx,
    sweep: &AgeSweep,
    cutoff: i64,
) -> Result<u64, StoreError> {
    Ok(execute!(tx, sqlx::query(sweep.delete).bind(cutoff))?)
}

/// The record of a run, with its report as JSON.
pub(crate) async fn insert_run(
    tx: &mut Tx,
    id: &str,
    now: Timestamp,
    report: &RetentionReport,
    json: &str,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("INSERT INTO site_retention_runs (id, ran_at, run_date, dry_run, report) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(now.as_micros())
            .bind(&report.run_date)
            .bind(i64::from(report.dry_run))
            .bind(json)
    )?;
    Ok(())
}
