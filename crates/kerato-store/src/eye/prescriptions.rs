//! Prescriptions, their releases and confirmations, the patient's consent
//! to digital delivery, and the prescriber's credentials they carry.

use jiff::civil::Date;
use kerato_domain::eye::ftc::RxKind;
use kerato_domain::eye::prescription::{
    Confirmation, ConfirmationOutcome, Delivery, Prescription, Release, RxChannel,
};
use kerato_domain::ids::{ExamId, OrganisationId, PatientId, PrescriptionId, UserId};
use kerato_domain::time::Timestamp;

use super::{from_json, to_json};
use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

fn date(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(corrupt)
}

/// A prescriber's licence number and NPI.
pub async fn set_credentials(
    tx: &mut Tx,
    user: UserId,
    license: &str,
    npi: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO prescriber_credentials (user_id, license_number, npi, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET license_number = $2, npi = $3, updated_at = $4"
    )
    .bind(user.to_string())
    .bind(license)
    .bind(npi)
    .bind(now.as_micros()))?;
    Ok(())
}

/// A prescriber's (licence number, NPI), if recorded.
pub async fn credentials(
    tx: &mut Tx,
    user: UserId,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT license_number, npi FROM prescriber_credentials WHERE user_id = $1"
    )
    .bind(user.to_string())
    .fetch_optional(&mut **c)
    .await)?)
}

type RxTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
);

const RX_COLUMNS: &str = "id, organisation_id, patient_id, exam_id, kind, state, prescriber_user_id, \
     prescriber_name, prescriber_license, prescriber_npi, body, issued_on, expires_on, medical_reason, created_at";

fn rx_from(t: RxTuple) -> Result<Prescription, StoreError> {
    Ok(Prescription {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        exam_id: t.3.parse().map_err(corrupt)?,
        kind: t.4.parse::<RxKind>().map_err(corrupt)?,
        state: t.5,
        prescriber_user_id: t.6.parse().map_err(corrupt)?,
        prescriber_name: t.7,
        prescriber_license: t.8,
        prescriber_npi: t.9,
        body: from_json(&t.10)?,
        issued_on: date(&t.11)?,
        expires_on: date(&t.12)?,
        medical_reason: t.13,
        created_at: Timestamp::from_micros(t.14),
    })
}

pub async fn insert_prescription(tx: &mut Tx, r: &Prescription) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO prescriptions ({RX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.organisation_id.to_string())
            .bind(r.patient_id.to_string())
            .bind(r.exam_id.to_string())
            .bind(r.kind.as_str())
            .bind(&r.state)
            .bind(r.prescriber_user_id.to_string())
            .bind(&r.prescriber_name)
            .bind(&r.prescriber_license)
            .bind(&r.prescriber_npi)
            .bind(to_json(&r.body))
            .bind(r.issued_on.to_string())
            .bind(r.expires_on.to_string())
            .bind(r.medical_reason.as_deref())
            .bind(r.created_at.as_micros())
    )?;
    Ok(())
}

pub async fn find_prescription(
    tx: &mut Tx,
    id: PrescriptionId,
) -> Result<Option<Prescription>, StoreError> {
    let sql = format!("SELECT {RX_COLUMNS} FROM prescriptions WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), RxTuple, rx_from)
}

/// An exam's prescriptions, in the order they were issued.
pub async fn prescriptions_of_exam(
    tx: &mut Tx,
    exam: ExamId,
) -> Result<Vec<Prescription>, StoreError> {
    let sql = format!(
        "SELECT {RX_COLUMNS} FROM prescriptions WHERE exam_id = $1 ORDER BY created_at, id"
    );
    crate::fetch_all_by!(tx, sql, exam.to_string(), RxTuple, rx_from)
}

pub async fn insert_release(
    tx: &mut Tx,
    rx: PrescriptionId,
    delivery: Delivery,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO rx_releases (prescription_id, released_at, method, released_by) VALUES ($1, $2, $3, $4)"
    )
    .bind(rx.to_string())
    .bind(now.as_micros())
    .bind(delivery.as_str())
    .bind(by.to_string()))?;
    Ok(())
}

/// When and how a prescription was released, in order.
pub async fn releases(tx: &mut Tx, rx: PrescriptionId) -> Result<Vec<Release>, StoreError> {
    let rows: Vec<(i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT released_at, method FROM rx_releases WHERE prescription_id = $1 ORDER BY released_at"
    )
    .bind(rx.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(at, m)| {
            Ok(Release {
                released_at: Timestamp::from_micros(at),
                delivery: m.parse().map_err(corrupt)?,
            })
        })
        .collect()
}

/// Records the confirmation; false when the prescription already has one.
pub async fn insert_confirmation(tx: &mut Tx, c: &Confirmation) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "INSERT INTO rx_confirmations (prescription_id, organisation_id, outcome, signer_name, recorded_at, recorded_by, keep_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (prescription_id) DO NOTHING"
    )
    .bind(c.prescription_id.to_string())
    .bind(c.organisation_id.to_string())
    .bind(c.outcome.as_str())
    .bind(&c.signer_name)
    .bind(c.recorded_at.as_micros())
    .bind(c.recorded_by.to_string())
    .bind(c.keep_until.to_string()))?;
    Ok(n == 1)
}

pub async fn confirmation(
    tx: &mut Tx,
    rx: PrescriptionId,
) -> Result<Option<Confirmation>, StoreError> {
    let row: Option<(String, String, String, String, i64, String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT prescription_id, organisation_id, outcome, signer_name, recorded_at, recorded_by, keep_until \
         FROM rx_confirmations WHERE prescription_id = $1"
    )
    .bind(rx.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(id, org, outcome, signer, at, by, keep)| {
        Ok(Confirmation {
            prescription_id: id.parse().map_err(corrupt)?,
            organisation_id: org.parse().map_err(corrupt)?,
            outcome: outcome.parse::<ConfirmationOutcome>().map_err(corrupt)?,
            signer_name: signer,
            recorded_at: Timestamp::from_micros(at),
            recorded_by: by.parse().map_err(corrupt)?,
            keep_until: date(&keep)?,
        })
    })
    .transpose()
}

pub async fn set_digital_consent(
    tx: &mut Tx,
    patient: PatientId,
    channel: RxChannel,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO rx_digital_consents (patient_id, channel, given_at, recorded_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (patient_id) DO UPDATE SET channel = $2, given_at = $3, recorded_by = $4"
    )
    .bind(patient.to_string())
    .bind(channel.as_str())
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(())
}

/// The channel the patient consented to receive prescriptions on, if any.
pub async fn digital_consent(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Option<RxChannel>, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT channel FROM rx_digital_consents WHERE patient_id = $1"
    )
    .bind(patient.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|r| r.0.parse().map_err(corrupt)).transpose()
}

/// Counts for the FTC compliance report over prescriptions issued in
/// `[from, until)`: (prescriptions, released, confirmed by signature,
/// refusals recorded).
pub async fn release_counts(
    tx: &mut Tx,
    org: OrganisationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<(i64, i64, i64, i64), StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*), \
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rx_releases r WHERE r.prescription_id = p.id)), \
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rx_confirmations f WHERE f.prescription_id = p.id AND f.outcome = 'signed')), \
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM rx_confirmations f WHERE f.prescription_id = p.id AND f.outcome = 'refused')) \
         FROM prescriptions p WHERE p.organisation_id = $1 AND p.created_at >= $2 AND p.created_at < $3"
    )
    .bind(org.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_one(&mut **c)
    .await)?)
}
