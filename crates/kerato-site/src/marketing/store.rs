//! The SQL of campaigns.

use kerato_core::consent::Source;
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::marketing::rules::*;

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

/// The address of every newsletter contact, in order.
pub(crate) async fn contact_emails(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT email FROM marketing_contacts ORDER BY email"
    )
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// A campaign queued to one address, with the hash of its unsubscribe
/// token.
pub(crate) async fn insert_send(
    tx: &mut Tx,
    campaign_id: &str,
    email: &str,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO campaign_sends (campaign_id, email, token_hash, queued_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(campaign_id)
        .bind(email)
        .bind(token_hash)
        .bind(now.as_micros())
    )?;
    Ok(())
}

/// The campaign, address and contact of an unsubscribe token.
pub(crate) async fn send_of_token(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<(String, String, Option<String>)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT s.campaign_id, s.email, m.id FROM campaign_sends s \
         LEFT JOIN marketing_contacts m ON m.email = s.email WHERE s.token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?)
}

/// The newsletter contact for the address, added or updated; returns its
/// ID.
pub(crate) async fn upsert_contact(
    tx: &mut Tx,
    new_id: &str,
    s: &Signup,
    source: Source,
    now: Timestamp,
) -> Result<String, StoreError> {
    let (id,): (String,) = on_tx!(tx, c => sqlx::query_as(
        "INSERT INTO marketing_contacts (id, email, name, practice, source, created_at, last_interaction_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (email) DO UPDATE SET name = $3, practice = $4, last_interaction_at = $6 \
         RETURNING id"
    )
    .bind(new_id)
    .bind(&s.email)
    .bind(&s.name)
    .bind(&s.practice)
    .bind(source.as_str())
    .bind(now.as_micros())
    .fetch_one(&mut **c)
    .await)?;
    Ok(id)
}

/// Marks a campaign sent unless it was; returns how many rows changed.
/// Marking it first takes the row, so a second sender waits and then
/// finds it sent.
pub(crate) async fn mark_sent(
    tx: &mut Tx,
    campaign_id: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(execute!(
        tx,
        sqlx::query("UPDATE campaigns SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
            .bind(now.as_micros())
            .bind(campaign_id)
    )?)
}

/// A campaign's kind, subject and body.
pub(crate) async fn campaign_text(
    tx: &mut Tx,
    campaign_id: &str,
) -> Result<Option<(String, String, String)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT kind, subject, body FROM campaigns WHERE id = $1"
    )
    .bind(campaign_id)
    .fetch_optional(&mut **c)
    .await)?)
}

pub(crate) async fn insert_campaign(
    tx: &mut Tx,
    id: &str,
    kind: CampaignKind,
    subject: &str,
    body: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO campaigns (id, kind, subject, body, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(subject)
        .bind(body)
        .bind(actor)
        .bind(now.as_micros())
    )?;
    Ok(())
}
