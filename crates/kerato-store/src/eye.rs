//! Eye exams (sections, signing, amendments), prescriptions, and the FTC
//! records around them: releases, confirmations, digital-delivery consent,
//! and sellers' and agents' requests.
//!
//! Signed exams, amendments, prescriptions, releases and confirmations
//! are also guarded by triggers (migration 12), so no statement, from any
//! route, can change them in place.

use kerato_domain::ids::{
    AppointmentId, ExamId, LocationId, OrganisationId, PatientId, PrescriptionId, RxRequestId,
    UserId,
};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamRow {
    pub id: ExamId,
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    pub template: String,
    pub status: String,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub signed_at: Option<Timestamp>,
    pub signed_by: Option<UserId>,
}

type ExamTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
);

const EXAM_COLUMNS: &str = "id, organisation_id, location_id, patient_id, appointment_id, template, status, \
     created_at, created_by, signed_at, signed_by";

fn exam_from(t: ExamTuple) -> Result<ExamRow, StoreError> {
    Ok(ExamRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        location_id: t.2.parse().map_err(corrupt)?,
        patient_id: t.3.parse().map_err(corrupt)?,
        appointment_id: t.4.map(|a| a.parse()).transpose().map_err(corrupt)?,
        template: t.5,
        status: t.6,
        created_at: Timestamp::from_micros(t.7),
        created_by: t.8.parse().map_err(corrupt)?,
        signed_at: t.9.map(Timestamp::from_micros),
        signed_by: t.10.map(|u| u.parse()).transpose().map_err(corrupt)?,
    })
}

pub async fn insert_exam(tx: &mut Tx, e: &ExamRow) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO eye_exams (id, organisation_id, location_id, patient_id, appointment_id, template, status, \
         created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(e.id.to_string())
    .bind(e.organisation_id.to_string())
    .bind(e.location_id.to_string())
    .bind(e.patient_id.to_string())
    .bind(e.appointment_id.map(|a| a.to_string()))
    .bind(&e.template)
    .bind(&e.status)
    .bind(e.created_at.as_micros())
    .bind(e.created_by.to_string()))?;
    Ok(())
}

pub async fn find_exam(tx: &mut Tx, id: ExamId) -> Result<Option<ExamRow>, StoreError> {
    let sql = format!("SELECT {EXAM_COLUMNS} FROM eye_exams WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), ExamTuple, exam_from)
}

/// A patient's exams, newest first.
pub async fn exams_of_patient(tx: &mut Tx, patient: PatientId) -> Result<Vec<ExamRow>, StoreError> {
    let sql = format!(
        "SELECT {EXAM_COLUMNS} FROM eye_exams WHERE patient_id = $1 ORDER BY created_at DESC, id DESC"
    );
    crate::fetch_all_by!(tx, sql, patient.to_string(), ExamTuple, exam_from)
}

/// Signs a draft exam; false when it was no longer a draft.
pub async fn sign_exam(
    tx: &mut Tx,
    id: ExamId,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE eye_exams SET status = 'signed', signed_at = $2, signed_by = $3 WHERE id = $1 AND status = 'draft'"
    )
    .bind(id.to_string())
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n == 1)
}

/// One section's values (canonical JSON) as last saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRow {
    pub section: String,
    pub data: String,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// Saves a draft exam's section, replacing what was there.
pub async fn save_section(
    tx: &mut Tx,
    exam: ExamId,
    section: &str,
    data: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO eye_exam_sections (exam_id, section, data, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (exam_id, section) DO UPDATE SET data = $3, updated_at = $4, updated_by = $5"
    )
    .bind(exam.to_string())
    .bind(section)
    .bind(data)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(())
}

pub async fn sections(tx: &mut Tx, exam: ExamId) -> Result<Vec<SectionRow>, StoreError> {
    let rows: Vec<(String, String, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT section, data, updated_at, updated_by FROM eye_exam_sections WHERE exam_id = $1 ORDER BY section"
    )
    .bind(exam.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(section, data, at, by)| {
            Ok(SectionRow {
                section,
                data,
                updated_at: Timestamp::from_micros(at),
                updated_by: by.parse().map_err(corrupt)?,
            })
        })
        .collect()
}

/// The section as the patient's latest other exam before `before` left it
/// (its last amendment if it has one), for pull-forward.
pub async fn previous_section(
    tx: &mut Tx,
    patient: PatientId,
    section: &str,
    before: Timestamp,
) -> Result<Option<(ExamId, String)>, StoreError> {
    let row: Option<(String, String, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT e.id, s.data, (SELECT a.data FROM eye_exam_amendments a WHERE a.exam_id = e.id AND a.section = $2 \
         ORDER BY a.n DESC LIMIT 1) FROM eye_exams e JOIN eye_exam_sections s ON s.exam_id = e.id AND s.section = $2 \
         WHERE e.patient_id = $1 AND e.created_at < $3 ORDER BY e.created_at DESC, e.id DESC LIMIT 1"
    )
    .bind(patient.to_string())
    .bind(section)
    .bind(before.as_micros())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(id, data, amended)| Ok((id.parse().map_err(corrupt)?, amended.unwrap_or(data))))
        .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendmentRow {
    pub n: i64,
    pub section: String,
    pub data: String,
    pub reason: String,
    pub amended_at: Timestamp,
    pub amended_by: UserId,
}

/// Appends an amendment to a signed exam; returns its number.
pub async fn insert_amendment(
    tx: &mut Tx,
    exam: ExamId,
    section: &str,
    data: &str,
    reason: &str,
    by: UserId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT coalesce(max(n), 0) + 1 FROM eye_exam_amendments WHERE exam_id = $1"
    )
    .bind(exam.to_string())
    .fetch_one(&mut **c)
    .await)?;
    execute!(tx, sqlx::query(
        "INSERT INTO eye_exam_amendments (exam_id, n, section, data, reason, amended_at, amended_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(exam.to_string())
    .bind(n)
    .bind(section)
    .bind(data)
    .bind(reason)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n)
}

pub async fn amendments(tx: &mut Tx, exam: ExamId) -> Result<Vec<AmendmentRow>, StoreError> {
    let rows: Vec<(i64, String, String, String, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT n, section, data, reason, amended_at, amended_by FROM eye_exam_amendments WHERE exam_id = $1 ORDER BY n"
    )
    .bind(exam.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(n, section, data, reason, at, by)| {
            Ok(AmendmentRow {
                n,
                section,
                data,
                reason,
                amended_at: Timestamp::from_micros(at),
                amended_by: by.parse().map_err(corrupt)?,
            })
        })
        .collect()
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrescriptionRow {
    pub id: PrescriptionId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub exam_id: ExamId,
    pub kind: String,
    pub state: String,
    pub prescriber_user_id: UserId,
    pub prescriber_name: String,
    pub prescriber_license: String,
    pub prescriber_npi: String,
    /// The values as canonical JSON (field key → text).
    pub body: String,
    pub issued_on: String,
    pub expires_on: String,
    pub medical_reason: Option<String>,
    pub created_at: Timestamp,
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

fn rx_from(t: RxTuple) -> Result<PrescriptionRow, StoreError> {
    Ok(PrescriptionRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        exam_id: t.3.parse().map_err(corrupt)?,
        kind: t.4,
        state: t.5,
        prescriber_user_id: t.6.parse().map_err(corrupt)?,
        prescriber_name: t.7,
        prescriber_license: t.8,
        prescriber_npi: t.9,
        body: t.10,
        issued_on: t.11,
        expires_on: t.12,
        medical_reason: t.13,
        created_at: Timestamp::from_micros(t.14),
    })
}

pub async fn insert_prescription(tx: &mut Tx, r: &PrescriptionRow) -> Result<(), StoreError> {
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
            .bind(&r.kind)
            .bind(&r.state)
            .bind(r.prescriber_user_id.to_string())
            .bind(&r.prescriber_name)
            .bind(&r.prescriber_license)
            .bind(&r.prescriber_npi)
            .bind(&r.body)
            .bind(&r.issued_on)
            .bind(&r.expires_on)
            .bind(r.medical_reason.as_deref())
            .bind(r.created_at.as_micros())
    )?;
    Ok(())
}

pub async fn find_prescription(
    tx: &mut Tx,
    id: PrescriptionId,
) -> Result<Option<PrescriptionRow>, StoreError> {
    let sql = format!("SELECT {RX_COLUMNS} FROM prescriptions WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), RxTuple, rx_from)
}

/// An exam's prescriptions, in the order they were issued.
pub async fn prescriptions_of_exam(
    tx: &mut Tx,
    exam: ExamId,
) -> Result<Vec<PrescriptionRow>, StoreError> {
    let sql = format!(
        "SELECT {RX_COLUMNS} FROM prescriptions WHERE exam_id = $1 ORDER BY created_at, id"
    );
    crate::fetch_all_by!(tx, sql, exam.to_string(), RxTuple, rx_from)
}

pub async fn insert_release(
    tx: &mut Tx,
    rx: PrescriptionId,
    method: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO rx_releases (prescription_id, released_at, method, released_by) VALUES ($1, $2, $3, $4)"
    )
    .bind(rx.to_string())
    .bind(now.as_micros())
    .bind(method)
    .bind(by.to_string()))?;
    Ok(())
}

/// When and how a prescription was released, in order.
pub async fn releases(
    tx: &mut Tx,
    rx: PrescriptionId,
) -> Result<Vec<(Timestamp, String)>, StoreError> {
    let rows: Vec<(i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT released_at, method FROM rx_releases WHERE prescription_id = $1 ORDER BY released_at"
    )
    .bind(rx.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(at, m)| (Timestamp::from_micros(at), m))
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRow {
    pub prescription_id: PrescriptionId,
    pub organisation_id: OrganisationId,
    pub outcome: String,
    pub signer_name: String,
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
    pub keep_until: String,
}

/// Records the confirmation; false when the prescription already has one.
pub async fn insert_confirmation(tx: &mut Tx, c: &ConfirmationRow) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "INSERT INTO rx_confirmations (prescription_id, organisation_id, outcome, signer_name, recorded_at, recorded_by, keep_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (prescription_id) DO NOTHING"
    )
    .bind(c.prescription_id.to_string())
    .bind(c.organisation_id.to_string())
    .bind(&c.outcome)
    .bind(&c.signer_name)
    .bind(c.recorded_at.as_micros())
    .bind(c.recorded_by.to_string())
    .bind(&c.keep_until))?;
    Ok(n == 1)
}

pub async fn confirmation(
    tx: &mut Tx,
    rx: PrescriptionId,
) -> Result<Option<ConfirmationRow>, StoreError> {
    let row: Option<(String, String, String, String, i64, String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT prescription_id, organisation_id, outcome, signer_name, recorded_at, recorded_by, keep_until \
         FROM rx_confirmations WHERE prescription_id = $1"
    )
    .bind(rx.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(id, org, outcome, signer, at, by, keep)| {
        Ok(ConfirmationRow {
            prescription_id: id.parse().map_err(corrupt)?,
            organisation_id: org.parse().map_err(corrupt)?,
            outcome,
            signer_name: signer,
            recorded_at: Timestamp::from_micros(at),
            recorded_by: by.parse().map_err(corrupt)?,
            keep_until: keep,
        })
    })
    .transpose()
}

pub async fn set_digital_consent(
    tx: &mut Tx,
    patient: PatientId,
    channel: &str,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO rx_digital_consents (patient_id, channel, given_at, recorded_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (patient_id) DO UPDATE SET channel = $2, given_at = $3, recorded_by = $4"
    )
    .bind(patient.to_string())
    .bind(channel)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(())
}

/// The channel the patient consented to receive prescriptions on, if any.
pub async fn digital_consent(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT channel FROM rx_digital_consents WHERE patient_id = $1"
    )
    .bind(patient.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    Ok(row.map(|r| r.0))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxRequestRow {
    pub id: RxRequestId,
    pub organisation_id: OrganisationId,
    pub kind: String,
    pub requester: String,
    pub requester_contact: String,
    pub patient_name: String,
    pub patient_id: Option<PatientId>,
    pub prescription_id: Option<PrescriptionId>,
    pub details: String,
    pub received_at: Timestamp,
    pub due_at: Timestamp,
    pub answer: Option<String>,
    pub answer_note: Option<String>,
    pub answered_at: Option<Timestamp>,
    pub answered_by: Option<UserId>,
}

type RequestTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

const REQUEST_COLUMNS: &str = "id, organisation_id, kind, requester, requester_contact, patient_name, patient_id, \
     prescription_id, details, received_at, due_at, answer, answer_note, answered_at, answered_by";

fn request_from(t: RequestTuple) -> Result<RxRequestRow, StoreError> {
    Ok(RxRequestRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        kind: t.2,
        requester: t.3,
        requester_contact: t.4,
        patient_name: t.5,
        patient_id: t.6.map(|p| p.parse()).transpose().map_err(corrupt)?,
        prescription_id: t.7.map(|p| p.parse()).transpose().map_err(corrupt)?,
        details: t.8,
        received_at: Timestamp::from_micros(t.9),
        due_at: Timestamp::from_micros(t.10),
        answer: t.11,
        answer_note: t.12,
        answered_at: t.13.map(Timestamp::from_micros),
        answered_by: t.14.map(|u| u.parse()).transpose().map_err(corrupt)?,
    })
}

pub async fn insert_request(tx: &mut Tx, r: &RxRequestRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO rx_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL, NULL)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.organisation_id.to_string())
            .bind(&r.kind)
            .bind(&r.requester)
            .bind(&r.requester_contact)
            .bind(&r.patient_name)
            .bind(r.patient_id.map(|p| p.to_string()))
            .bind(r.prescription_id.map(|p| p.to_string()))
            .bind(&r.details)
            .bind(r.received_at.as_micros())
            .bind(r.due_at.as_micros())
    )?;
    Ok(())
}

pub async fn find_request(
    tx: &mut Tx,
    id: RxRequestId,
) -> Result<Option<RxRequestRow>, StoreError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM rx_requests WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), RequestTuple, request_from)
}

/// The organisation's requests received in `[from, until)`, or all still
/// unanswered when `open_only`, oldest deadline first.
pub async fn requests(
    tx: &mut Tx,
    org: OrganisationId,
    from: Timestamp,
    until: Timestamp,
    open_only: bool,
) -> Result<Vec<RxRequestRow>, StoreError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM rx_requests WHERE organisation_id = $1 AND received_at >= $2 AND received_at < $3 \
         AND ($4 = 0 OR answered_at IS NULL) ORDER BY due_at, id"
    );
    let rows: Vec<RequestTuple> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org.to_string())
        .bind(from.as_micros())
        .bind(until.as_micros())
        .bind(i64::from(open_only))
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(request_from).collect()
}

/// Records the answer to an unanswered request; false if it was answered.
pub async fn answer_request(
    tx: &mut Tx,
    id: RxRequestId,
    answer: &str,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE rx_requests SET answer = $2, answer_note = $3, answered_at = $4, answered_by = $5 \
         WHERE id = $1 AND answered_at IS NULL"
    )
    .bind(id.to_string())
    .bind(answer)
    .bind(note)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n == 1)
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

/// The location's own closures (holidays; not one provider's time off), as
/// instants, for the business-hour clock.
pub async fn location_closures(
    tx: &mut Tx,
    location: LocationId,
) -> Result<Vec<(Timestamp, Timestamp)>, StoreError> {
    let rows: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT starts_at, ends_at FROM time_off WHERE location_id = $1 AND provider_id IS NULL ORDER BY starts_at"
    )
    .bind(location.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (Timestamp::from_micros(s), Timestamp::from_micros(e)))
        .collect())
}
