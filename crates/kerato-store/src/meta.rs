//! Installation facts kept in `kerato_meta`.

use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::StoreError;
use kerato_db::Tx;

pub async fn get(tx: &mut Tx, key: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT value FROM kerato_meta WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(&mut **c)
    .await)?;
    Ok(row.map(|(v,)| v))
}

/// Sets a fact, replacing any earlier value.
pub async fn set(tx: &mut Tx, key: &str, value: &str, now: Timestamp) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO kerato_meta (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        )
        .bind(key)
        .bind(value)
        .bind(now.as_micros())
    )?;
    Ok(())
}
