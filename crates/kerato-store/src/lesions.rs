//! Lesions with their observations, and clinical photos.

use kerato_domain::ids::{LesionId, PatientId, PhotoId, UserId};
use kerato_domain::lesions::{
    Landmark, Lesion, LesionSite, LesionStatus, Observation, Photo, RecordedObservation,
};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

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

fn lesion_from(t: LesionTuple) -> Result<Lesion, StoreError> {
    let coordinate = |v: i64| u16::try_from(v).map_err(corrupt);
    let landmark = match t.12.zip(t.13) {
        Some((name, mm)) => Some(Landmark {
            name,
            distance_mm: u32::try_from(mm).map_err(corrupt)?,
        }),
        None => None,
    };
    Ok(Lesion {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        site: LesionSite {
            region: t.3.parse().map_err(corrupt)?,
            laterality: t.4.parse().map_err(corrupt)?,
            view: t.5.parse().map_err(corrupt)?,
            x: coordinate(t.6)?,
            y: coordinate(t.7)?,
            landmark,
        },
        label: t.8,
        status: t.9.parse().map_err(corrupt)?,
        created_at: Timestamp::from_micros(t.10),
        created_by: t.11.parse().map_err(corrupt)?,
    })
}

pub async fn insert_lesion(tx: &mut Tx, l: &Lesion) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO lesions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(l.id.to_string())
            .bind(l.organisation_id.to_string())
            .bind(l.patient_id.to_string())
            .bind(l.site.region.as_str())
            .bind(l.site.laterality.as_str())
            .bind(l.site.view.as_str())
            .bind(i64::from(l.site.x))
            .bind(i64::from(l.site.y))
            .bind(&l.label)
            .bind(l.status.as_str())
            .bind(l.created_at.as_micros())
            .bind(l.created_by.to_string())
            .bind(l.site.landmark.as_ref().map(|m| m.name.clone()))
            .bind(l.site.landmark.as_ref().map(|m| i64::from(m.distance_mm)))
    )?;
    Ok(())
}

pub async fn find_lesion(tx: &mut Tx, id: LesionId) -> Result<Option<Lesion>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM lesions WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), LesionTuple, lesion_from)
}

/// A patient's lesions, in the order they were first recorded.
pub async fn lesions_of_patient(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Vec<Lesion>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM lesions WHERE patient_id = $1 ORDER BY created_at, id");
    crate::fetch_all_by!(tx, sql, patient.to_string(), LesionTuple, lesion_from)
}

pub async fn set_status(tx: &mut Tx, id: LesionId, status: LesionStatus) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE lesions SET status = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(status.as_str())
    )?;
    Ok(())
}

/// Adds an observation; returns its number (1 for the first).
pub async fn add_observation(
    tx: &mut Tx,
    lesion: LesionId,
    observation: &Observation,
    by: UserId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let data = serde_json::to_string(observation).map_err(corrupt)?;
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
    .bind(&data)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n)
}

/// A lesion's observations in order.
pub async fn observations(
    tx: &mut Tx,
    lesion: LesionId,
) -> Result<Vec<RecordedObservation>, StoreError> {
    let rows: Vec<(i64, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT n, data, observed_at FROM lesion_observations WHERE lesion_id = $1 ORDER BY n"
    )
    .bind(lesion.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(n, data, at)| {
            Ok(RecordedObservation {
                n,
                at: Timestamp::from_micros(at),
                observation: serde_json::from_str(&data).map_err(corrupt)?,
            })
        })
        .collect()
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

fn photo_from(t: PhotoTuple) -> Result<Photo, StoreError> {
    Ok(Photo {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        lesion_id: t.3.map(|l| l.parse()).transpose().map_err(corrupt)?,
        media_type: t.4.parse().map_err(corrupt)?,
        bytes: t.5,
        taken_at: Timestamp::from_micros(t.6),
        uploaded_by: t.7.parse().map_err(corrupt)?,
    })
}

pub async fn insert_photo(tx: &mut Tx, p: &Photo) -> Result<(), StoreError> {
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
            .bind(p.media_type.as_str())
            .bind(p.bytes)
            .bind(p.taken_at.as_micros())
            .bind(p.uploaded_by.to_string())
    )?;
    Ok(())
}

pub async fn find_photo(tx: &mut Tx, id: PhotoId) -> Result<Option<Photo>, StoreError> {
    let sql = format!("SELECT {PHOTO_COLUMNS} FROM clinical_photos WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), PhotoTuple, photo_from)
}

/// A patient's photos, newest first.
pub async fn photos_of_patient(tx: &mut Tx, patient: PatientId) -> Result<Vec<Photo>, StoreError> {
    let sql = format!(
        "SELECT {PHOTO_COLUMNS} FROM clinical_photos WHERE patient_id = $1 ORDER BY taken_at DESC, id DESC"
    );
    crate::fetch_all_by!(tx, sql, patient.to_string(), PhotoTuple, photo_from)
}
