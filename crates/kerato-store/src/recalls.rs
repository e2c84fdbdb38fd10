//! Recalls: what a practice brings patients back for, when each patient is
//! due, and how the outreach went.

use jiff::civil::Date;
use kerato_domain::ids::{AppointmentId, OrganisationId, PatientId, RecallId, RecallTypeId};
use kerato_domain::patients::Channel;
use kerato_domain::recalls::{DueRecall, Outreach, Recall, RecallStatus, RecallType};
use kerato_domain::tenancy::Specialty;
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

pub async fn insert_type(tx: &mut Tx, t: &RecallType, now: Timestamp) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO recall_types (id, organisation_id, name, interval_months, specialty, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(t.id.to_string())
    .bind(t.organisation_id.to_string())
    .bind(&t.name)
    .bind(t.interval_months)
    .bind(t.specialty.map(Specialty::as_str))
    .bind(now.as_micros()))?;
    Ok(())
}

pub async fn types_of(tx: &mut Tx, org: OrganisationId) -> Result<Vec<RecallType>, StoreError> {
    let rows: Vec<(String, String, String, i64, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, organisation_id, name, interval_months, specialty FROM recall_types WHERE organisation_id = $1 ORDER BY name, id"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(id, org, name, months, specialty)| {
            Ok(RecallType {
                id: id.parse().map_err(corrupt)?,
                organisation_id: org.parse().map_err(corrupt)?,
                name,
                interval_months: months,
                specialty: specialty
                    .map(|s| s.parse::<Specialty>())
                    .transpose()
                    .map_err(corrupt)?,
            })
        })
        .collect()
}

pub async fn insert(tx: &mut Tx, r: &Recall, now: Timestamp) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO recalls (id, organisation_id, patient_id, recall_type_id, due_date, status, outreach, \
         outreach_attempts, last_outreach_at, appointment_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
    )
    .bind(r.id.to_string())
    .bind(r.organisation_id.to_string())
    .bind(r.patient_id.to_string())
    .bind(r.recall_type_id.to_string())
    .bind(r.due_date.to_string())
    .bind(r.status.as_str())
    .bind(r.outreach.as_str())
    .bind(r.outreach_attempts)
    .bind(r.last_outreach_at.map(Timestamp::as_micros))
    .bind(r.appointment_id.map(|a| a.to_string()))
    .bind(r.version)
    .bind(now.as_micros()))?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

macro_rules! columns {
    () => {
        "r.id, r.organisation_id, r.patient_id, r.recall_type_id, r.due_date, r.status, r.outreach, \
         r.outreach_attempts, r.last_outreach_at, r.appointment_id, r.version"
    };
}

fn from_row(r: Row) -> Result<Recall, StoreError> {
    Ok(Recall {
        id: r.0.parse().map_err(corrupt)?,
        organisation_id: r.1.parse().map_err(corrupt)?,
        patient_id: r.2.parse().map_err(corrupt)?,
        recall_type_id: r.3.parse().map_err(corrupt)?,
        due_date: r.4.parse().map_err(corrupt)?,
        status: r.5.parse().map_err(corrupt)?,
        outreach: r.6.parse().map_err(corrupt)?,
        outreach_attempts: r.7,
        last_outreach_at: r.8.map(Timestamp::from_micros),
        appointment_id: r.9.map(|a| a.parse()).transpose().map_err(corrupt)?,
        version: r.10,
    })
}

pub async fn find(tx: &mut Tx, id: RecallId) -> Result<Option<Recall>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM recalls r WHERE r.id = $1");
    let row: Option<Row> =
        on_tx!(tx, c => sqlx::query_as(sql).bind(id.to_string()).fetch_optional(&mut **c).await)?;
    row.map(from_row).transpose()
}

/// Open recalls due on or before `until` (a local date), earliest first,
/// of one recall type or all.
pub async fn due(
    tx: &mut Tx,
    org: OrganisationId,
    until: Date,
    kind: Option<RecallTypeId>,
    limit: i64,
) -> Result<Vec<DueRecall>, StoreError> {
    // Sixteen columns, the most a tuple decodes: the status is known to be
    // open and the organisation is the caller's.
    type Full = (
        String,
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<String>,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Full> = on_tx!(tx, c => sqlx::query_as(
        "SELECT r.id, r.patient_id, r.recall_type_id, r.due_date, r.outreach, r.outreach_attempts, r.last_outreach_at, \
         r.appointment_id, r.version, p.legal_last_name, p.legal_first_name, p.preferred_name, p.email, p.mobile_phone, \
         p.reminder_channel, t.name \
         FROM recalls r JOIN patients p ON p.id = r.patient_id JOIN recall_types t ON t.id = r.recall_type_id \
         WHERE r.organisation_id = $1 AND r.status = 'open' AND r.due_date <= $2 AND ($3 = '' OR r.recall_type_id = $3) \
         AND p.merged_into IS NULL ORDER BY r.due_date, p.legal_last_name, r.id LIMIT $4"
    )
    .bind(org.to_string())
    .bind(until.to_string())
    .bind(kind.map(|k| k.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|f| {
            Ok(DueRecall {
                recall: Recall {
                    id: f.0.parse().map_err(corrupt)?,
                    organisation_id: org,
                    patient_id: f.1.parse().map_err(corrupt)?,
                    recall_type_id: f.2.parse().map_err(corrupt)?,
                    due_date: f.3.parse().map_err(corrupt)?,
                    status: RecallStatus::Open,
                    outreach: f.4.parse().map_err(corrupt)?,
                    outreach_attempts: f.5,
                    last_outreach_at: f.6.map(Timestamp::from_micros),
                    appointment_id: f.7.map(|a| a.parse()).transpose().map_err(corrupt)?,
                    version: f.8,
                },
                last_name: f.9,
                first_name: f.10,
                preferred_name: f.11,
                email: f.12,
                mobile_phone: f.13,
                reminder_channel: Channel::parse(&f.14).map_err(corrupt)?,
                type_name: f.15,
            })
        })
        .collect()
}

/// The recalls of one patient, soonest due first.
pub async fn of_patient(tx: &mut Tx, patient: PatientId) -> Result<Vec<Recall>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM recalls r WHERE r.patient_id = $1 ORDER BY r.due_date, r.id"
    );
    let rows: Vec<Row> =
        on_tx!(tx, c => sqlx::query_as(sql).bind(patient.to_string()).fetch_all(&mut **c).await)?;
    rows.into_iter().map(from_row).collect()
}

/// Records an outreach attempt if the recall is still at `version`.
pub async fn record_outreach(
    tx: &mut Tx,
    r: &Recall,
    outcome: Outreach,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE recalls SET outreach = $1, outreach_attempts = outreach_attempts + 1, last_outreach_at = $2, \
         version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4"
    )
    .bind(outcome.as_str())
    .bind(now.as_micros())
    .bind(r.id.to_string())
    .bind(r.version))?;
    Ok(n == 1)
}

/// Moves a recall to `status` (with the appointment that answers it) if it
/// is still at `version`.
pub async fn set_status(
    tx: &mut Tx,
    r: &Recall,
    status: RecallStatus,
    appointment: Option<AppointmentId>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE recalls SET status = $1, appointment_id = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5"
    )
    .bind(status.as_str())
    .bind(appointment.map(|a| a.to_string()))
    .bind(now.as_micros())
    .bind(r.id.to_string())
    .bind(r.version))?;
    Ok(n == 1)
}
