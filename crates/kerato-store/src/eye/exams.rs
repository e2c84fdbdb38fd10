//! Exams, their sections and amendments.

use kerato_domain::eye::exam::{
    Amendment, Exam, ExamStatus, SavedSection, Section, SectionData, Template,
};
use kerato_domain::ids::{ExamId, PatientId, UserId};
use kerato_domain::time::Timestamp;

use super::{from_json, to_json};
use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

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

fn exam_from(t: ExamTuple) -> Result<Exam, StoreError> {
    Ok(Exam {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        location_id: t.2.parse().map_err(corrupt)?,
        patient_id: t.3.parse().map_err(corrupt)?,
        appointment_id: t.4.map(|a| a.parse()).transpose().map_err(corrupt)?,
        template: Template::parse(&t.5).map_err(corrupt)?,
        status: t.6.parse::<ExamStatus>().map_err(corrupt)?,
        created_at: Timestamp::from_micros(t.7),
        created_by: t.8.parse().map_err(corrupt)?,
        signed_at: t.9.map(Timestamp::from_micros),
        signed_by: t.10.map(|u| u.parse()).transpose().map_err(corrupt)?,
    })
}

fn section_from(key: &str) -> Result<Section, StoreError> {
    Section::parse(key).map_err(corrupt)
}

pub async fn insert_exam(tx: &mut Tx, e: &Exam) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO eye_exams (id, organisation_id, location_id, patient_id, appointment_id, template, status, \
         created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(e.id.to_string())
    .bind(e.organisation_id.to_string())
    .bind(e.location_id.to_string())
    .bind(e.patient_id.to_string())
    .bind(e.appointment_id.map(|a| a.to_string()))
    .bind(e.template.key())
    .bind(e.status.as_str())
    .bind(e.created_at.as_micros())
    .bind(e.created_by.to_string()))?;
    Ok(())
}

pub async fn find_exam(tx: &mut Tx, id: ExamId) -> Result<Option<Exam>, StoreError> {
    let sql = format!("SELECT {EXAM_COLUMNS} FROM eye_exams WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), ExamTuple, exam_from)
}

/// A patient's exams, newest first.
pub async fn exams_of_patient(tx: &mut Tx, patient: PatientId) -> Result<Vec<Exam>, StoreError> {
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

/// Saves a draft exam's section, replacing what was there.
pub async fn save_section(
    tx: &mut Tx,
    exam: ExamId,
    section: Section,
    data: &SectionData,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO eye_exam_sections (exam_id, section, data, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (exam_id, section) DO UPDATE SET data = $3, updated_at = $4, updated_by = $5"
    )
    .bind(exam.to_string())
    .bind(section.key())
    .bind(to_json(data))
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(())
}

pub async fn sections(tx: &mut Tx, exam: ExamId) -> Result<Vec<SavedSection>, StoreError> {
    let rows: Vec<(String, String, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT section, data, updated_at, updated_by FROM eye_exam_sections WHERE exam_id = $1 ORDER BY section"
    )
    .bind(exam.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(section, data, at, by)| {
            Ok(SavedSection {
                section: section_from(&section)?,
                data: from_json(&data)?,
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
    section: Section,
    before: Timestamp,
) -> Result<Option<(ExamId, SectionData)>, StoreError> {
    let row: Option<(String, String, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT e.id, s.data, (SELECT a.data FROM eye_exam_amendments a WHERE a.exam_id = e.id AND a.section = $2 \
         ORDER BY a.n DESC LIMIT 1) FROM eye_exams e JOIN eye_exam_sections s ON s.exam_id = e.id AND s.section = $2 \
         WHERE e.patient_id = $1 AND e.created_at < $3 ORDER BY e.created_at DESC, e.id DESC LIMIT 1"
    )
    .bind(patient.to_string())
    .bind(section.key())
    .bind(before.as_micros())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(id, data, amended)| {
        Ok((
            id.parse().map_err(corrupt)?,
            from_json(&amended.unwrap_or(data))?,
        ))
    })
    .transpose()
}

/// Appends an amendment to a signed exam; returns its number.
pub async fn insert_amendment(
    tx: &mut Tx,
    exam: ExamId,
    section: Section,
    data: &SectionData,
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
    .bind(section.key())
    .bind(to_json(data))
    .bind(reason)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n)
}

pub async fn amendments(tx: &mut Tx, exam: ExamId) -> Result<Vec<Amendment>, StoreError> {
    let rows: Vec<(i64, String, String, String, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT n, section, data, reason, amended_at, amended_by FROM eye_exam_amendments WHERE exam_id = $1 ORDER BY n"
    )
    .bind(exam.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(n, section, data, reason, at, by)| {
            Ok(Amendment {
                n,
                section: section_from(&section)?,
                data: from_json(&data)?,
                reason,
                amended_at: Timestamp::from_micros(at),
                amended_by: by.parse().map_err(corrupt)?,
            })
        })
        .collect()
}
