//! The outbox (e-mail and SMS): messages are queued inside the transaction that
//! decides to send them, then delivered by a worker that claims one at a
//! time, so a message is neither lost nor sent twice by two workers.

use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::StoreError;
use kerato_db::Tx;

/// A message ready to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

pub async fn queue_email(
    tx: &mut Tx,
    id: &str,
    recipient: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO email_outbox (id, recipient, subject, body, created_at, sent_at, attempts, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, 0, $5)"
    )
    .bind(id)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .bind(now.as_micros()))?;
    Ok(())
}

/// A message for one recipient on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `email` or `sms`.
    pub channel: &'a str,
    /// An e-mail address or an E.164 phone number.
    pub recipient: &'a str,
    /// E-mail only; an SMS has none.
    pub subject: &'a str,
    pub body: &'a str,
}

/// Queues a message unless one with the same key was ever queued; returns
/// whether it was queued now.
pub async fn queue_once(
    tx: &mut Tx,
    key: &str,
    id: &str,
    m: Envelope<'_>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let (recipient, subject, body) = (m.recipient, m.subject, m.body);
    let n = execute!(tx, sqlx::query(
        "INSERT INTO email_outbox (id, recipient, subject, body, created_at, sent_at, attempts, next_attempt_at, idempotency_key, channel) \
         VALUES ($1, $2, $3, $4, $5, NULL, 0, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING"
    )
    .bind(id)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .bind(now.as_micros())
    .bind(key)
    .bind(m.channel))?;
    Ok(n == 1)
}

/// (recipient, subject) of messages not yet sent, oldest first.
pub async fn queued_emails(tx: &mut Tx) -> Result<Vec<(String, String)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient, subject FROM email_outbox WHERE sent_at IS NULL ORDER BY created_at, id"
    )
    .fetch_all(&mut **c)
    .await)?)
}

/// Claims the oldest due message for `lease_micros`: no other worker takes
/// it until the lease runs out, and a worker that dies mid-send leaves it to
/// be retried when the lease ends.
pub async fn claim_next(
    tx: &mut Tx,
    channel: &str,
    now: Timestamp,
    lease_micros: i64,
) -> Result<Option<OutgoingEmail>, StoreError> {
    let row: Option<(String, String, String, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "UPDATE email_outbox SET claimed_until = $1, attempts = attempts + 1 WHERE id = ( \
             SELECT id FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 AND channel = $3 \
             AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY next_attempt_at, created_at, id LIMIT 1) \
         RETURNING id, recipient, subject, body, attempts"
    )
    .bind(now.plus_micros(lease_micros).as_micros())
    .bind(now.as_micros())
    .bind(channel)
    .fetch_optional(&mut **c)
    .await)?;
    Ok(
        row.map(|(id, recipient, subject, body, attempts)| OutgoingEmail {
            id,
            recipient,
            subject,
            body,
            attempts,
        }),
    )
}

pub async fn mark_sent(tx: &mut Tx, id: &str, now: Timestamp) -> Result<(), StoreError> {
    execute!(tx, sqlx::query("UPDATE email_outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2")
        .bind(now.as_micros())
        .bind(id))?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn mark_failed(
    tx: &mut Tx,
    id: &str,
    retry_at: Timestamp,
    error: &str,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query("UPDATE email_outbox SET claimed_until = NULL, next_attempt_at = $1, last_error = $2 WHERE id = $3")
        .bind(retry_at.as_micros())
        .bind(error)
        .bind(id))?;
    Ok(())
}
