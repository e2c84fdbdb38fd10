//! The SQL of demo requests.

use crate::demo_requests::rules::*;
use kerato_core::time::Timestamp;
use kerato_db::StoreError;
use kerato_db::Tx;
use kerato_db::on_tx;

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
