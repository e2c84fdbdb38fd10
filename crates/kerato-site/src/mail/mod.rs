//! Delivery of the site's outbox over SMTP, with the mailer the clinic
//! uses too.
//!
//! A worker claims one due message at a time by moving its
//! `next_attempt_at` forward by a lease, in an UPDATE that also checks the
//! message is still due; a second worker running at the same moment finds
//! the row already leased and skips it, so no message is sent twice. The
//! message is sent outside any transaction, then marked sent, or its error
//! is kept and it is tried again after a growing delay, up to
//! `MAX_ATTEMPTS` times.

pub mod inbound;
pub mod outbox;

use std::time::Duration;

use kerato_core::time::Timestamp;
use kerato_db::{execute, on_tx};
use kerato_http::mail::{MAX_ATTEMPTS, backoff_micros};

use crate::{Site, SiteError};

pub use kerato_http::mail::Mailer;

/// How long a worker holds a claimed message before another may try it:
/// longer than an SMTP exchange can take, so a slow relay does not lead to
/// a second copy.
const LEASE_MICROS: i64 = 5 * 60 * 1_000_000;

/// How many messages a worker sends per round.
const BATCH: usize = 50;

/// A claimed message.
struct Claimed {
    id: String,
    recipient: String,
    subject: String,
    body: String,
    headers: String,
    attempts: i64,
}

type Row = (String, String, String, String, String, i64);

/// Leases the next due message, if any, and counts the attempt.
async fn claim(site: &Site) -> Result<Option<Claimed>, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    // The outer conditions repeat the inner ones: on PostgreSQL a worker
    // that waited for another's row lock re-checks them on the updated row,
    // finds it leased, and claims nothing instead of the same message.
    let row: Option<Row> = on_tx!(&mut tx, c => sqlx::query_as(
        "UPDATE site_outbox SET next_attempt_at = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM site_outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 \
                     ORDER BY next_attempt_at, created_at, id LIMIT 1) \
         AND sent_at IS NULL AND next_attempt_at <= $2 \
         RETURNING id, recipient, subject, body, headers, attempts"
    )
    .bind(now.plus_micros(LEASE_MICROS).as_micros())
    .bind(now.as_micros())
    .fetch_optional(&mut **c)
    .await)?;
    tx.commit().await?;
    Ok(row.map(|r| Claimed {
        id: r.0,
        recipient: r.1,
        subject: r.2,
        body: r.3,
        headers: r.4,
        attempts: r.5,
    }))
}

async fn send(mailer: &Mailer, m: &Claimed) -> Result<(), String> {
    let headers: Vec<(String, String)> = serde_json::from_str(&m.headers)
        .map_err(|e| format!("the stored headers are not valid: {e}"))?;
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    mailer
        .send(&m.recipient, &m.subject, &m.body, &m.id, &headers)
        .await
}

/// Delivers up to `max` due messages; returns (sent, failed).
pub async fn deliver_outbox(
    site: &Site,
    mailer: &Mailer,
    max: usize,
) -> Result<(usize, usize), SiteError> {
    let (mut sent, mut failed) = (0, 0);
    for _ in 0..max {
        let Some(m) = claim(site).await? else { break };
        let result = send(mailer, &m).await;
        let now = site.now();
        let mut tx = site.store.write().await?;
        match result {
            Ok(()) => {
                execute!(
                    &mut tx,
                    sqlx::query(
                        "UPDATE site_outbox SET sent_at = $1, last_error = NULL WHERE id = $2"
                    )
                    .bind(now.as_micros())
                    .bind(&m.id)
                )?;
                sent += 1;
            }
            Err(error) => {
                let retry_at = if m.attempts >= MAX_ATTEMPTS {
                    Timestamp::from_micros(i64::MAX)
                } else {
                    now.plus_micros(backoff_micros(m.attempts))
                };
                let error: String = error.chars().take(200).collect();
                // The error may name the recipient, so only the message's ID
                // goes to the log; the error is kept on the row.
                tracing::warn!(message = %m.id, attempts = m.attempts, "site e-mail delivery failed");
                execute!(
                    &mut tx,
                    sqlx::query(
                        "UPDATE site_outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3"
                    )
                    .bind(retry_at.as_micros())
                    .bind(&error)
                    .bind(&m.id)
                )?;
                failed += 1;
            }
        }
        tx.commit().await?;
    }
    Ok((sent, failed))
}

/// Runs delivery every `every` until the returned task is aborted.
pub fn start_worker(site: Site, mailer: Mailer, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_outbox(&site, &mailer, BATCH).await {
                tracing::error!(error = ?e, "site outbox delivery stopped for this round");
            }
        }
    })
}
