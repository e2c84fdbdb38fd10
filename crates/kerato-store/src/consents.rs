//! The consent registry's history rows.

use kerato_domain::ids::{ConsentId, OrganisationId, UserId};
use kerato_domain::time::Timestamp;

use crate::execute;
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

/// One recorded answer. `subject_kind` is "patient" in the clinic and
/// "contact" on the vendor site; `subject_id` is that subject's ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub id: ConsentId,
    pub organisation_id: OrganisationId,
    pub subject_kind: String,
    pub subject_id: String,
    pub purpose: String,
    pub granted: bool,
    pub source: String,
    pub policy_version: Option<String>,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<UserId>,
}

type ConsentTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    i64,
    Option<String>,
);

const COLUMNS: &str = "id, organisation_id, subject_kind, subject_id, purpose, granted, source, policy_version, recorded_at, recorded_by";

fn consent_from(t: ConsentTuple) -> Result<ConsentRow, StoreError> {
    Ok(ConsentRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        subject_kind: t.2,
        subject_id: t.3,
        purpose: t.4,
        granted: t.5 != 0,
        source: t.6,
        policy_version: t.7,
        recorded_at: Timestamp::from_micros(t.8),
        recorded_by: t.9.map(|u| u.parse()).transpose().map_err(corrupt)?,
    })
}

pub async fn insert_consent(tx: &mut Tx, c: &ConsentRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO consents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(c.id.to_string())
            .bind(c.organisation_id.to_string())
            .bind(&c.subject_kind)
            .bind(&c.subject_id)
            .bind(&c.purpose)
            .bind(i64::from(c.granted))
            .bind(&c.source)
            .bind(&c.policy_version)
            .bind(c.recorded_at.as_micros())
            .bind(c.recorded_by.map(|u| u.to_string()))
    )?;
    Ok(())
}

/// A patient's whole consent history, oldest first (the order the
/// registry's rules read it in).
pub async fn consents_of_patient(
    tx: &mut Tx,
    patient: &str,
) -> Result<Vec<ConsentRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM consents WHERE subject_kind = 'patient' AND subject_id = $1 ORDER BY recorded_at, id"
    );
    crate::fetch_all_by!(tx, sql, patient, ConsentTuple, consent_from)
}
