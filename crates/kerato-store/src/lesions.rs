//! Lesions and their observations.

use kerato_domain::ids::{LesionId, OrganisationId, PatientId, PhotoId, UserId};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LesionRow {
    pub id: LesionId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub region: String,
    pub laterality: String,
    pub view: String,
    pub x: i64,
    pub y: i64,
    pub label: String,
    pub status: String,
    pub created_at: Timestamp,
    pub created_by: UserId,
    /// A landmark's name and the lesion's distance from it in mm.
    pub landmark: Option<(String, i64)>,
}

type LesionTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
);

const COLUMNS: &str = "id, organisation_id, patient_id, region, laterality, map_view, x, y, label, status, created_at, created_by, landmark, landmark_mm";

fn lesion_from(t: LesionTuple) -> Result<LesionRow, StoreError> {
    Ok(LesionRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        region: t.3,
        laterality: t.4,
        view: t.5,
        x: t.6,
        y: t.7,
        label: t.8,
        status: t.9,
        created_at: Timestamp::from_micros(t.10),
        created_by: t.11.parse().map_err(corrupt)?,
        landmark: t.12.zip(t.13),
    })
}

pub async fn insert_lesion(tx: &mut Tx, l: &LesionRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO lesions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(l.id.to_string())
            .bind(l.organisation_id.to_string())
            .bind(l.patient_id.to_string())
            .bind(&l.region)
            .bind(&l.laterality)
            .bind(&l.view)
            .bind(l.x)
            .bind(l.y)
            .bind(&l.label)
            .bind(&l.status)
            .bind(l.created_at.as_micros())
            .bind(l.created_by.to_string())
            .bind(l.landmark.as_ref().map(|(n, _)| n.clone()))
            .bind(l.landmark.as_ref().map(|(_, mm)| *mm))
    )?;
    Ok(())
}

pub async fn find_lesion(tx: &mut Tx, id: LesionId) -> Result<Option<LesionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM lesions WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), LesionTuple, lesion_from)
}

/// A patient's lesions, in the order they were first recorded.
pub async fn lesions_of_patient(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Vec<LesionRow>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM lesions WHERE patient_id = $1 ORDER BY created_at, id");
    crate::fetch_all_by!(tx, sql, patient.to_string(), LesionTuple, lesion_from)
}

pub async fn set_status(tx: &mut Tx, id: LesionId, status: &str) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE lesions SET status = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(status)
    )?;
    Ok(())
}

/// Adds an observation; returns its number (1 for the first).
pub async fn add_observation(
    tx: &mut Tx,
    lesion: LesionId,
    data: &str,
    by: UserId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT coalesce(max(n), 0) + 1 FROM lesion_observations WHERE lesion_id = $1"
    )
    .bind(lesion.to_string())
    .fetch_one(&mut **c)
    .await)?;
    execute!(tx, sqlx::query(
        "INSERT INTO lesion_observations (lesion_id, n, data, observed_at, observed_by) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(lesion.to_string())
    .bind(n)
    .bind(data)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n)
}

/// A lesion's observations in order: (number, JSON, when).
pub async fn observations(
    tx: &mut Tx,
    lesion: LesionId,
) -> Result<Vec<(i64, String, Timestamp)>, StoreError> {
    let rows: Vec<(i64, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT n, data, observed_at FROM lesion_observations WHERE lesion_id = $1 ORDER BY n"
    )
    .bind(lesion.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(n, d, t)| (n, d, Timestamp::from_micros(t)))
        .collect())
}

/// A clinical photo's record (the image is an encrypted attachment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub id: PhotoId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub lesion_id: Option<LesionId>,
    pub media_type: String,
    pub bytes: i64,
    pub taken_at: Timestamp,
    pub uploaded_by: UserId,
}

type PhotoTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    String,
);

const PHOTO_COLUMNS: &str =
    "id, organisation_id, patient_id, lesion_id, media_type, bytes, taken_at, uploaded_by";

fn photo_from(t: PhotoTuple) -> Result<PhotoRow, StoreError> {
    Ok(PhotoRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        lesion_id: t.3.map(|l| l.parse()).transpose().map_err(corrupt)?,
        media_type: t.4,
        bytes: t.5,
        taken_at: Timestamp::from_micros(t.6),
        uploaded_by: t.7.parse().map_err(corrupt)?,
    })
}

pub async fn insert_photo(tx: &mut Tx, p: &PhotoRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO clinical_photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(p.id.to_string())
            .bind(p.organisation_id.to_string())
            .bind(p.patient_id.to_string())
            .bind(p.lesion_id.map(|l| l.to_string()))
            .bind(&p.media_type)
            .bind(p.bytes)
            .bind(p.taken_at.as_micros())
            .bind(p.uploaded_by.to_string())
    )?;
    Ok(())
}

pub async fn find_photo(tx: &mut Tx, id: PhotoId) -> Result<Option<PhotoRow>, StoreError> {
    let sql = format!("SELECT {PHOTO_COLUMNS} FROM clinical_photos WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), PhotoTuple, photo_from)
}

/// A patient's photos, newest first.
pub async fn photos_of_patient(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Vec<PhotoRow>, StoreError> {
    let sql = format!(
        "SELECT {PHOTO_COLUMNS} FROM clinical_photos WHERE patient_id = $1 ORDER BY taken_at DESC, id DESC"
    );
    crate::fetch_all_by!(tx, sql, patient.to_string(), PhotoTuple, photo_from)
}
