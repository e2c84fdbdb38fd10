//! The biopsy log: specimens with their timeline, and the alerts sent.

use kerato_domain::biopsies::{AlertKind, Biopsy, Recipient};
use kerato_domain::ids::{BiopsyId, OrganisationId};
use kerato_domain::time::Timestamp;

use crate::execute;
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

type BiopsyTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
);

const COLUMNS: &str = "id, organisation_id, location_id, patient_id, responsible_user_id, site, method, \
     state, timeline, version, created_at, updated_at";

/// The biopsy of a row; its `state` column is the timeline's state, kept
/// beside it so the open biopsies can be found without reading each one.
fn row_from(t: BiopsyTuple) -> Result<Biopsy, StoreError> {
    Ok(Biopsy {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        location_id: t.2.parse().map_err(corrupt)?,
        patient_id: t.3.parse().map_err(corrupt)?,
        responsible_user_id: t.4.parse().map_err(corrupt)?,
        site: t.5,
        method: t.6.parse().map_err(corrupt)?,
        timeline: serde_json::from_str(&t.8).map_err(corrupt)?,
        version: t.9,
        created_at: Timestamp::from_micros(t.10),
        updated_at: Timestamp::from_micros(t.11),
    })
}

pub async fn insert_biopsy(tx: &mut Tx, b: &Biopsy) -> Result<(), StoreError> {
    let timeline = serde_json::to_string(&b.timeline).map_err(corrupt)?;
    let sql = format!(
        "INSERT INTO biopsies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(b.id.to_string())
            .bind(b.organisation_id.to_string())
            .bind(b.location_id.to_string())
            .bind(b.patient_id.to_string())
            .bind(b.responsible_user_id.to_string())
            .bind(&b.site)
            .bind(b.method.as_str())
            .bind(b.state().as_str())
            .bind(&timeline)
            .bind(b.version)
            .bind(b.created_at.as_micros())
            .bind(b.updated_at.as_micros())
    )?;
    Ok(())
}

pub async fn find_biopsy(tx: &mut Tx, id: BiopsyId) -> Result<Option<Biopsy>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM biopsies WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), BiopsyTuple, row_from)
}

/// The organisation's biopsies not yet closed, oldest first.
pub async fn open_biopsies(tx: &mut Tx, org: OrganisationId) -> Result<Vec<Biopsy>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM biopsies WHERE organisation_id = $1 AND state <> 'closed' ORDER BY created_at, id"
    );
    crate::fetch_all_by!(tx, sql, org.to_string(), BiopsyTuple, row_from)
}

/// Stores the biopsy's new timeline if its row is still at `version` (the
/// version the caller read); false when someone else moved it meanwhile.
/// `b` carries the version after the update and its time.
pub async fn update_timeline(tx: &mut Tx, b: &Biopsy, version: i64) -> Result<bool, StoreError> {
    let timeline = serde_json::to_string(&b.timeline).map_err(corrupt)?;
    let n = execute!(tx, sqlx::query(
        "UPDATE biopsies SET state = $3, timeline = $4, version = version + 1, updated_at = $5 WHERE id = $1 AND version = $2"
    )
    .bind(b.id.to_string())
    .bind(version)
    .bind(b.state().as_str())
    .bind(&timeline)
    .bind(b.updated_at.as_micros()))?;
    Ok(n == 1)
}

/// Records an alert as sent; false when it already was (it fires once).
pub async fn record_alert(
    tx: &mut Tx,
    alert: &kerato_domain::biopsies::Alert,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "INSERT INTO biopsy_alerts (alert_key, biopsy_id, kind, recipient, due_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (alert_key) DO NOTHING"
    )
    .bind(alert.key())
    .bind(alert.biopsy.to_string())
    .bind(alert.kind.as_str())
    .bind(alert.escalate_to.as_str())
    .bind(alert.due_at.as_micros())
    .bind(now.as_micros()))?;
    Ok(n == 1)
}

/// The alerts sent for a biopsy: (kind, recipient level, when sent), in
/// the order they went out.
pub async fn alerts_sent(
    tx: &mut Tx,
    biopsy: BiopsyId,
) -> Result<Vec<(AlertKind, Recipient, Timestamp)>, StoreError> {
    let rows: Vec<(String, String, i64)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT kind, recipient, sent_at FROM biopsy_alerts WHERE biopsy_id = $1 ORDER BY sent_at, alert_key"
    )
    .bind(biopsy.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(k, r, t)| {
            let kind = AlertKind::ALL
                .into_iter()
                .find(|a| a.as_str() == k)
                .ok_or_else(|| corrupt(format!("unknown biopsy alert kind {k:?}")))?;
            let level = Recipient::ALL
                .into_iter()
                .find(|l| l.as_str() == r)
                .ok_or_else(|| corrupt(format!("unknown biopsy alert recipient {r:?}")))?;
            Ok((kind, level, Timestamp::from_micros(t)))
        })
        .collect()
}

/// The organisation's biopsies ordered in `[from, until)`, oldest first.
pub async fn biopsies_ordered_between(
    tx: &mut Tx,
    org: OrganisationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<Biopsy>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM biopsies WHERE organisation_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, id"
    );
    let rows: Vec<BiopsyTuple> = crate::on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org.to_string())
        .bind(from.as_micros())
        .bind(until.as_micros())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(row_from).collect()
}
