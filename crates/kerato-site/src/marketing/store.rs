//! The SQL of campaigns.

use crate::marketing::rules::*;
use kerato_core::time::Timestamp;
use kerato_db::StoreError;
use kerato_db::Tx;
use kerato_db::on_tx;

/// Every campaign, newest first.
pub async fn campaigns(tx: &mut Tx) -> Result<Vec<Campaign>, StoreError> {
    let rows: Vec<(String, String, String, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, kind, subject, created_at, sent_at FROM campaigns ORDER BY created_at DESC"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|r| {
            Ok(Campaign {
                id: r.0,
                kind: r.1.parse().map_err(kerato_db::corrupt)?,
                subject: r.2,
                created_at: Timestamp::from_micros(r.3),
                sent_at: r.4.map(Timestamp::from_micros),
            })
        })
        .collect()
}

/// The campaign an unsubscribe token was sent with, if it was.
pub(crate) async fn campaign_of_token(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT campaign_id FROM campaign_sends WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?;
    Ok(row.map(|(id,)| id))
}
