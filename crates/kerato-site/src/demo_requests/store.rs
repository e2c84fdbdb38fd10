//! The SQL of demo requests.

use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::demo_requests::rules::*;

pub(crate) type Row = (
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

pub(crate) fn request(r: Row) -> Result<DemoRequest, StoreError> {
    Ok(DemoRequest {
        id: r.0,
        received_at: Timestamp::from_micros(r.1),
        name: r.2,
        email: r.3,
        phone: r.4,
        practice_name: r.5,
        specialty: r.6.parse().map_err(kerato_db::corrupt)?,
        message: r.7,
        stage: r.8.parse().map_err(kerato_db::corrupt)?,
    })
}

/// Every request, newest first.
pub async fn all(tx: &mut Tx) -> Result<Vec<DemoRequest>, StoreError> {
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, received_at, name, email, phone, practice_name, specialty, message, stage \
         FROM demo_requests ORDER BY received_at DESC"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(request).collect()
}

pub(crate) async fn set_stage(
    tx: &mut Tx,
    id: &str,
    to: Stage,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE demo_requests SET stage = $1, stage_at = $2, last_interaction_at = $2 WHERE id = $3"
        )
        .bind(to.as_str())
        .bind(now.as_micros())
        .bind(id)
    )?;
    Ok(())
}

pub(crate) async fn stage_of(tx: &mut Tx, id: &str) -> Result<Option<(String,)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT stage FROM demo_requests WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(&mut **c)
    .await)?)
}

pub(crate) async fn insert_request(
    tx: &mut Tx,
    id: &str,
    d: &ValidDemo,
    message: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO demo_requests (id, received_at, name, email, phone, practice_name, specialty, message, stage, stage_at, last_interaction_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $2, $2)"
        )
        .bind(id)
        .bind(now.as_micros())
        .bind(&d.name)
        .bind(&d.email)
        .bind(&d.phone)
        .bind(&d.practice_name)
        .bind(d.specialty.as_str())
        .bind(message)
    )?;
    Ok(())
}
