//! The outbox: e-mail queued in the transaction of the change that sends it.

use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute};

/// A message to queue.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// What the message is, for the log and the retention job:
    /// `demo_ack`, `ticket_reply`, `marketing`, `announcement`, …
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Extra headers, such as `List-Unsubscribe`.
    pub headers: &'a [(&'a str, String)],
}

/// Queues a message; returns its ID.
pub async fn queue(
    tx: &mut Tx,
    now: Timestamp,
    random: [u8; 10],
    m: Outgoing<'_>,
) -> Result<String, StoreError> {
    let id = kerato_core::ids::uuid_v7(now, random).to_string();
    let headers: Vec<(&str, &str)> = m.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let headers = serde_json::to_string(&headers).map_err(kerato_db::corrupt)?;
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_outbox (id, created_at, kind, recipient, subject, body, headers, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $2)"
        )
        .bind(&id)
        .bind(now.as_micros())
        .bind(m.kind)
        .bind(m.recipient)
        .bind(m.subject)
        .bind(m.body)
        .bind(headers)
    )?;
    Ok(id)
}
