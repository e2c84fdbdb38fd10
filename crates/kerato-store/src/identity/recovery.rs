//! Password reset requests and links (migration 23): what the rate limits
//! count and the single-use links, stored as the SHA-256 of their token.

use kerato_domain::ids::UserId;
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

/// One request for a reset link, with the link if one was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    pub id: String,
    pub requested_at: Timestamp,
    /// The rate limit's key for the address typed (not the address).
    pub address_key: String,
    /// The rate limit's key for the client's address.
    pub client_key: String,
    /// The account the address belongs to, if one does.
    pub user_id: Option<UserId>,
    /// The administrator who sent the link; `None` for self-service.
    pub issued_by: Option<UserId>,
    /// SHA-256 of the link's token; `None` when no link was sent.
    pub token_hash: Option<String>,
    pub expires_at: Option<Timestamp>,
}

pub async fn insert(tx: &mut Tx, r: &ResetRequest) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO password_resets (id, requested_at, address_key, client_key, user_id, \
             issued_by, token_hash, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
        )
        .bind(&r.id)
        .bind(r.requested_at.as_micros())
        .bind(&r.address_key)
        .bind(&r.client_key)
        .bind(r.user_id.map(|u| u.to_string()))
        .bind(r.issued_by.map(|u| u.to_string()))
        .bind(r.token_hash.as_deref())
        .bind(r.expires_at.map(Timestamp::as_micros))
    )?;
    Ok(())
}

/// Self-service requests after `since`: (by this address, by this client).
pub async fn recent_requests(
    tx: &mut Tx,
    address_key: &str,
    client_key: &str,
    since: Timestamp,
) -> Result<(i64, i64), StoreError> {
    let counts: (i64, i64) = on_tx!(tx, c => sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM password_resets WHERE address_key = $1 AND requested_at > $3 AND issued_by IS NULL), \
           (SELECT count(*) FROM password_resets WHERE client_key = $2 AND requested_at > $3 AND issued_by IS NULL)"
    )
    .bind(address_key)
    .bind(client_key)
    .bind(since.as_micros())
    .fetch_one(&mut **c)
    .await)?;
    Ok(counts)
}

/// Deletes requests made before `before`; returns how many.
pub async fn prune(tx: &mut Tx, before: Timestamp) -> Result<u64, StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM password_resets WHERE requested_at < $1").bind(before.as_micros())
    )
    .map_err(StoreError::from)
}

/// A link as stored: whose it is, until when it works, and whether it was
/// used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetLink {
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub async fn find_link(tx: &mut Tx, token_hash: &str) -> Result<Option<ResetLink>, StoreError> {
    let row: Option<(String, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM password_resets \
         WHERE token_hash = $1 AND user_id IS NOT NULL AND expires_at IS NOT NULL"
    )
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(user, expires, used)| {
        Ok(ResetLink {
            user_id: user.parse().map_err(corrupt)?,
            expires_at: Timestamp::from_micros(expires),
            used_at: used.map(Timestamp::from_micros),
        })
    })
    .transpose()
}

/// Uses a link if it is unused and has not expired at `now`, in one
/// statement, so two requests racing with one link cannot both use it;
/// returns its user.
pub async fn spend_link(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<UserId>, StoreError> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "UPDATE password_resets SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 AND user_id IS NOT NULL \
         RETURNING user_id"
    )
    .bind(now.as_micros())
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(u,)| u.parse().map_err(corrupt)).transpose()
}

/// Ends every unused link of a user (a newer link, a new password or a
/// reset replaces them); returns how many.
pub async fn spend_user_links(
    tx: &mut Tx,
    user: UserId,
    now: Timestamp,
) -> Result<u64, StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE password_resets SET used_at = $1 \
             WHERE user_id = $2 AND token_hash IS NOT NULL AND used_at IS NULL"
        )
        .bind(now.as_micros())
        .bind(user.to_string())
    )
    .map_err(StoreError::from)
}
