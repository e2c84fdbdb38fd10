//! The SQL of the privacy center's e-mailed links.

use kerato_core::rights_request::RequestTimeline;
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::Site;
use crate::accounts::rules::{new_token, token_hash};
use crate::rights::rules::*;
use crate::rights::store::requests::load;
use crate::web::SiteError;

/// The request behind an unused, unexpired download token, or why not.
pub(crate) async fn usable_download(
    tx: &mut Tx,
    token: &str,
    now: Timestamp,
) -> Result<RightsRequest, SiteError> {
    match link_state(tx, token, "download", now).await? {
        LinkState::Open(id) => load(tx, &id).await?.ok_or(SiteError::NotFound),
        LinkState::Used => Err(SiteError::Gone(
            "this link has been used: it downloads the copy once. Make a new request in the privacy center if you need another copy".into(),
        )),
        LinkState::Expired => Err(SiteError::Gone(format!(
            "this link has expired: it worked for {DOWNLOAD_DAYS} days. Make a new request in the privacy center if you need a copy"
        ))),
    }
}

/// Spends a single-use link.
pub(crate) async fn mark_used(tx: &mut Tx, token: &str, now: Timestamp) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_rights_tokens SET used_at = $1 WHERE token_hash = $2")
            .bind(now.as_micros())
            .bind(token_hash(token))
    )?;
    Ok(())
}

/// A fresh random token and the hash that is stored for it.
pub(crate) fn token_pair() -> (String, String) {
    let token = new_token();
    let hash = token_hash(&token);
    (token, hash)
}

pub(crate) async fn insert_token(
    tx: &mut Tx,
    hash: &str,
    request_id: &str,
    purpose: &str,
    expires_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_rights_tokens (token_hash, request_id, purpose, expires_at) \
             VALUES ($1, $2, $3, $4)"
        )
        .bind(hash)
        .bind(request_id)
        .bind(purpose)
        .bind(expires_at.map(Timestamp::as_micros))
    )?;
    Ok(())
}

/// The request a token opens, if the token is known for `purpose`, with
/// its expiry and use.
pub(crate) async fn by_token(
    tx: &mut Tx,
    token: &str,
    purpose: &str,
) -> Result<Option<(String, Option<i64>, Option<i64>)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT request_id, expires_at, used_at FROM site_rights_tokens \
         WHERE token_hash = $1 AND purpose = $2"
    )
    .bind(token_hash(token))
    .bind(purpose)
    .fetch_optional(&mut **c)
    .await)?)
}

pub(crate) async fn link_state(
    tx: &mut Tx,
    token: &str,
    purpose: &str,
    now: Timestamp,
) -> Result<LinkState, SiteError> {
    let (id, expires_at, used_at) = by_token(tx, token, purpose)
        .await?
        .ok_or(SiteError::NotFound)?;
    Ok(if used_at.is_some() {
        LinkState::Used
    } else if expires_at.is_some_and(|e| now.as_micros() > e) {
        LinkState::Expired
    } else {
        LinkState::Open(id)
    })
}

/// Why a verification link does not work, or the request it opens.
pub(crate) async fn usable_verify_token(
    tx: &mut Tx,
    token: &str,
    now: Timestamp,
) -> Result<String, SiteError> {
    match link_state(tx, token, "verify", now).await? {
        LinkState::Open(id) => Ok(id),
        LinkState::Used => Err(SiteError::Conflict(
            "this link was already used: your e-mail address is verified. The status link is in the confirmation e-mail".into(),
        )),
        LinkState::Expired => Err(SiteError::Forbidden(format!(
            "this link expired {VERIFY_HOURS} hours after it was sent; send your request again from the privacy center"
        ))),
    }
}

/// The history of the request a status link follows.
pub(crate) async fn timeline_by_status_token(
    site: &Site,
    token: &str,
) -> Result<RequestTimeline, SiteError> {
    let mut tx = site.store.read().await?;
    let (id, _, _) = by_token(&mut tx, token, "status")
        .await?
        .ok_or(SiteError::NotFound)?;
    let r = load(&mut tx, &id).await?.ok_or(SiteError::NotFound)?;
    Ok(r.timeline)
}
