//! The import ledger: which row of another system's export became which
//! Kerato record, and the bulk writes of imported appointments.

use std::collections::HashMap;

use kerato_domain::ids::{OrganisationId, PatientId, UserId};
use kerato_domain::time::Timestamp;

use crate::patients::{rows_per_insert, values_list};
use crate::{execute, on_tx};
use kerato_db::{StoreError, Tx, corrupt};
use kerato_domain::scheduling::Appointment;

/// One imported row, as the ledger remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub organisation_id: OrganisationId,
    /// `patient` or `appointment`.
    pub record_kind: &'static str,
    pub source: String,
    pub source_key: String,
    pub record_id: String,
    pub patient_id: PatientId,
    pub imported_at: Timestamp,
    pub imported_by: UserId,
}

/// `($k, $k+1, …)`: placeholders for `n` values starting at `$first`.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Of `keys`, those already imported from `source` as `record_kind`, with
/// the record each became.
pub async fn already_imported(
    tx: &mut Tx,
    org: OrganisationId,
    record_kind: &str,
    source: &str,
    keys: &[&str],
) -> Result<HashMap<String, String>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    // Only placeholders are formatted into the text; every value is bound.
    let sql = format!(
        "SELECT source_key, record_id FROM import_rows WHERE organisation_id = $1 AND record_kind = $2 \
         AND source = $3 AND source_key IN ({})",
        placeholders(4, keys.len())
    );
    let rows: Vec<(String, String)> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org.to_string())
            .bind(record_kind)
            .bind(source);
        for k in keys {
            q = q.bind(*k);
        }
        q.fetch_all(&mut **c).await
    })?;
    Ok(rows.into_iter().collect())
}

/// The live charts that the patient rows with `keys` of `source` became:
/// a chart merged since into another stands for that other one.
pub async fn patients_by_key(
    tx: &mut Tx,
    org: OrganisationId,
    source: &str,
    keys: &[&str],
) -> Result<HashMap<String, PatientId>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT r.source_key, COALESCE(p.merged_into, p.id) FROM import_rows r JOIN patients p ON p.id = r.patient_id \
         WHERE r.organisation_id = $1 AND r.record_kind = 'patient' AND r.source = $2 AND r.source_key IN ({})",
        placeholders(3, keys.len())
    );
    let rows: Vec<(String, String)> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org.to_string())
            .bind(source);
        for k in keys {
            q = q.bind(*k);
        }
        q.fetch_all(&mut **c).await
    })?;
    rows.into_iter()
        .map(|(k, p)| Ok((k, p.parse().map_err(corrupt)?)))
        .collect()
}

/// Remembers imported rows, many to a statement.
pub async fn remember(tx: &mut Tx, rows: &[LedgerRow]) -> Result<(), StoreError> {
    const COLS: usize = 8;
    for chunk in rows.chunks(rows_per_insert(COLS)) {
        let sql = format!(
            "INSERT INTO import_rows (organisation_id, record_kind, source, source_key, record_id, patient_id, \
             imported_at, imported_by) VALUES {}",
            values_list(chunk.len(), COLS)
        );
        execute!(tx, {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for r in chunk {
                q = q
                    .bind(r.organisation_id.to_string())
                    .bind(r.record_kind)
                    .bind(&r.source)
                    .bind(&r.source_key)
                    .bind(&r.record_id)
                    .bind(r.patient_id.to_string())
                    .bind(r.imported_at.as_micros())
                    .bind(r.imported_by.to_string());
            }
            q
        })?;
    }
    Ok(())
}

/// How many rows of `source` were imported as `record_kind`.
pub async fn count(
    tx: &mut Tx,
    org: OrganisationId,
    record_kind: &str,
    source: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM import_rows WHERE organisation_id = $1 AND record_kind = $2 AND source = $3"
    )
    .bind(org.to_string())
    .bind(record_kind)
    .bind(source)
    .fetch_one(&mut **c)
    .await)?;
    Ok(n)
}

/// Writes imported appointments, many to a statement, each with the
/// reason it was cancelled when it was. They hold no rooms or devices: the
/// other system's book did not say which.
pub async fn insert_appointments(
    tx: &mut Tx,
    rows: &[(Appointment, Option<String>)],
) -> Result<(), StoreError> {
    const COLS: usize = 14;
    for chunk in rows.chunks(rows_per_insert(COLS)) {
        let sql = format!(
            "INSERT INTO appointments (id, organisation_id, location_id, provider_id, patient_id, appointment_type_id, \
             starts_at, ends_at, status, cancel_reason, overbooked, version, created_at, updated_at) VALUES {}",
            values_list(chunk.len(), COLS)
        );
        execute!(tx, {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (a, reason) in chunk {
                q = q
                    .bind(a.id.to_string())
                    .bind(a.organisation_id.to_string())
                    .bind(a.location_id.to_string())
                    .bind(a.provider_id.to_string())
                    .bind(a.patient_id.to_string())
                    .bind(a.appointment_type_id.to_string())
                    .bind(a.starts_at.as_micros())
                    .bind(a.ends_at.as_micros())
                    .bind(a.status.as_str())
                    .bind(reason.as_deref())
                    .bind(i64::from(a.overbooked))
                    .bind(a.version)
                    .bind(a.created_at.as_micros())
                    .bind(a.created_at.as_micros());
            }
            q
        })?;
    }
    Ok(())
}
