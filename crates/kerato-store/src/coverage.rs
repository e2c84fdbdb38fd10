//! Insurance coverages.

use jiff::civil::Date;
use kerato_domain::coverage::{Coverage, CoverageKind, Relationship};
use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

type CoverageRow = (
    String,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
);

fn from_row(r: CoverageRow) -> Result<Coverage, StoreError> {
    let (
        id,
        patient,
        kind,
        priority,
        payer,
        member,
        group,
        rel,
        sub_name,
        sub_dob,
        from,
        to,
        created,
    ) = r;
    let day = |s: &str| s.parse::<Date>().map_err(corrupt);
    Ok(Coverage {
        id: id.parse().map_err(corrupt)?,
        patient_id: patient.parse().map_err(corrupt)?,
        kind: CoverageKind::parse(&kind).map_err(corrupt)?,
        priority,
        payer,
        member_id: member,
        group_number: group,
        relationship: Relationship::parse(&rel).map_err(corrupt)?,
        subscriber: match (sub_name, sub_dob) {
            (Some(n), Some(d)) => Some((n, day(&d)?)),
            _ => None,
        },
        effective_from: day(&from)?,
        effective_to: to.as_deref().map(day).transpose()?,
        created_at: Timestamp::from_micros(created),
    })
}

pub async fn insert_coverage(
    tx: &mut Tx,
    org: OrganisationId,
    c: &Coverage,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO coverages (id, organisation_id, patient_id, kind, priority, payer, member_id, group_number, \
         relationship, subscriber_name, subscriber_date_of_birth, effective_from, effective_to, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )
    .bind(c.id.to_string())
    .bind(org.to_string())
    .bind(c.patient_id.to_string())
    .bind(c.kind.as_str())
    .bind(c.priority)
    .bind(&c.payer)
    .bind(&c.member_id)
    .bind(c.group_number.as_deref())
    .bind(c.relationship.as_str())
    .bind(c.subscriber.as_ref().map(|(n, _)| n.as_str()))
    .bind(c.subscriber.as_ref().map(|(_, d)| d.to_string()))
    .bind(c.effective_from.to_string())
    .bind(c.effective_to.map(|d| d.to_string()))
    .bind(c.created_at.as_micros()))?;
    Ok(())
}

/// A patient's coverages: kind, then priority, then newest first.
pub async fn coverages_of(
    tx: &mut Tx,
    org: OrganisationId,
    patient: PatientId,
) -> Result<Vec<Coverage>, StoreError> {
    let rows: Vec<CoverageRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, patient_id, kind, priority, payer, member_id, group_number, relationship, subscriber_name, \
         subscriber_date_of_birth, effective_from, effective_to, created_at FROM coverages \
         WHERE organisation_id = $1 AND patient_id = $2 ORDER BY kind, priority, effective_from DESC, id"
    )
    .bind(org.to_string())
    .bind(patient.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(from_row).collect()
}

/// Moves a merged chart's coverages to the chart that lives on.
pub async fn reassign_coverages(
    tx: &mut Tx,
    org: OrganisationId,
    from: PatientId,
    to: PatientId,
) -> Result<u64, StoreError> {
    Ok(execute!(
        tx,
        sqlx::query(
            "UPDATE coverages SET patient_id = $1 WHERE organisation_id = $2 AND patient_id = $3"
        )
        .bind(to.to_string())
        .bind(org.to_string())
        .bind(from.to_string())
    )?)
}
