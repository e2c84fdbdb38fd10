//! The SQL of the usage log.

use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute};

use crate::usage_log::rules::{LogLine, MAX_PATH};

pub(crate) async fn insert(tx: &mut Tx, at: Timestamp, line: &LogLine) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO usage_log (at, ip_prefix, browser, device, path, status) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(at.as_micros())
        .bind(&line.ip)
        .bind(line.browser)
        .bind(line.device)
        .bind(line.path.chars().take(MAX_PATH).collect::<String>())
        .bind(line.status)
    )?;
    Ok(())
}
