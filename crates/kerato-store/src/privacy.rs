//! Disclosures of PHI, for the accounting HIPAA §164.528 gives patients.

use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::privacy::Disclosure;
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

pub async fn insert_disclosure(
    tx: &mut Tx,
    org: OrganisationId,
    d: &Disclosure,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO disclosures (id, organisation_id, patient_id, disclosed_at, recipient, purpose, \
         description, disclosed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(d.id.to_string())
    .bind(org.to_string())
    .bind(d.patient_id.to_string())
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
    patient: PatientId,
    since: Timestamp,
) -> Result<Vec<Disclosure>, StoreError> {
    let rows: Vec<DisclosureTuple> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, patient_id, disclosed_at, recipient, purpose, description, disclosed_by, created_at \
         FROM disclosures WHERE organisation_id = $1 AND patient_id = $2 AND disclosed_at >= $3 \
         ORDER BY disclosed_at, id"
    )
    .bind(org.to_string())
    .bind(patient.to_string())
    .bind(since.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(
            |(id, patient_id, at, recipient, purpose, description, by, created)| {
                Ok(Disclosure {
                    id: id.parse().map_err(corrupt)?,
                    patient_id: patient_id.parse().map_err(corrupt)?,
                    disclosed_at: Timestamp::from_micros(at),
                    recipient,
                    purpose,
                    description,
                    disclosed_by: by.parse().map_err(corrupt)?,
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
