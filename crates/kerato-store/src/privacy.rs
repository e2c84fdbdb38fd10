//! Disclosures of PHI, for the accounting HIPAA §164.528 gives patients.

use kerato_domain::ids::{OrganisationId, UserId};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::StoreError;
use kerato_db::Tx;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRow {
    pub id: String,
    pub patient_id: String,
    pub disclosed_at: Timestamp,
    pub recipient: String,
    pub purpose: String,
    pub description: String,
    pub disclosed_by: UserId,
    pub created_at: Timestamp,
}

pub async fn insert_disclosure(
    tx: &mut Tx,
    org: OrganisationId,
    d: &DisclosureRow,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO disclosures (id, organisation_id, patient_id, disclosed_at, recipient, purpose, \
         description, disclosed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(&d.id)
    .bind(org.to_string())
    .bind(&d.patient_id)
    .bind(d.disclosed_at.as_micros())
    .bind(&d.recipient)
    .bind(&d.purpose)
    .bind(&d.description)
    .bind(d.disclosed_by.to_string())
    .bind(d.created_at.as_micros()))?;
    Ok(())
}

type DisclosureTuple = (String, String, i64, String, String, String, String, i64);

/// A patient's disclosures made at or after `since`, oldest first.
pub async fn disclosures_for_patient(
    tx: &mut Tx,
    org: OrganisationId,
    patient_id: &str,
    since: Timestamp,
) -> Result<Vec<DisclosureRow>, StoreError> {
    let rows: Vec<DisclosureTuple> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, patient_id, disclosed_at, recipient, purpose, description, disclosed_by, created_at \
         FROM disclosures WHERE organisation_id = $1 AND patient_id = $2 AND disclosed_at >= $3 \
         ORDER BY disclosed_at, id"
    )
    .bind(org.to_string())
    .bind(patient_id)
    .bind(since.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(
            |(id, patient_id, at, recipient, purpose, description, by, created)| {
                Ok(DisclosureRow {
                    id,
                    patient_id,
                    disclosed_at: Timestamp::from_micros(at),
                    recipient,
                    purpose,
                    description,
                    disclosed_by: by
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                    created_at: Timestamp::from_micros(created),
                })
            },
        )
        .collect()
}

/// Moves a merged chart's disclosures to the chart that lives on, so the
/// patient's accounting stays complete. Returns how many moved.
pub async fn reassign_disclosures(
    tx: &mut Tx,
    org: OrganisationId,
    from: &str,
    to: &str,
) -> Result<u64, StoreError> {
    Ok(execute!(
        tx,
        sqlx::query(
            "UPDATE disclosures SET patient_id = $1 WHERE organisation_id = $2 AND patient_id = $3"
        )
        .bind(to)
        .bind(org.to_string())
        .bind(from)
    )?)
}
