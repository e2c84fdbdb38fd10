//! Sessions: what signing in makes, every request looks up, and signing
//! out or an administrator revokes.

use kerato_domain::identity::{Credentials, SessionStage, User};
use kerato_domain::ids::{OrganisationId, UserId};
use kerato_domain::time::Timestamp;

use super::{UserRow, user_from_row};
use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

/// A stored session stage that is not one Kerato writes.
fn stage_from(text: &str) -> Result<SessionStage, StoreError> {
    SessionStage::parse(text).ok_or_else(|| StoreError::Corrupt(format!("session stage {text:?}")))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the cookie token; the token itself is never stored.
    pub token_hash: String,
    pub user_id: UserId,
    pub stage: SessionStage,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub source_ip: Option<String>,
    pub revoked_at: Option<Timestamp>,
}

type SessionTuple = (
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
);

fn session_from(row: SessionTuple) -> Result<SessionRow, StoreError> {
    let (token_hash, user, stage, created, seen, ip, revoked) = row;
    Ok(SessionRow {
        token_hash,
        user_id: user.parse().map_err(corrupt)?,
        stage: stage_from(&stage)?,
        created_at: Timestamp::from_micros(created),
        last_seen_at: Timestamp::from_micros(seen),
        source_ip: ip,
        revoked_at: revoked.map(Timestamp::from_micros),
    })
}

pub async fn insert_session(tx: &mut Tx, s: &SessionRow) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at, source_ip, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)"
    )
    .bind(&s.token_hash)
    .bind(s.user_id.to_string())
    .bind(s.stage.as_str())
    .bind(s.created_at.as_micros())
    .bind(s.last_seen_at.as_micros())
    .bind(s.source_ip.as_deref()))?;
    Ok(())
}

pub async fn get_session(tx: &mut Tx, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
    let row: Option<SessionTuple> = on_tx!(tx, c => sqlx::query_as(
        "SELECT token_hash, user_id, stage, created_at, last_seen_at, source_ip, revoked_at \
         FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?;
    row.map(session_from).transpose()
}

/// A session with its user and the practice's idle timeout, in one query:
/// every authenticated request asks this, so it is one round trip, not
/// three. `None` when no session has the hash.
pub async fn session_with_user(
    tx: &mut Tx,
    token_hash: &str,
) -> Result<Option<SessionWithUser>, StoreError> {
    let sql = concat!(
        "SELECT s.token_hash, s.user_id, s.stage, s.created_at, s.last_seen_at, s.source_ip, \
         s.revoked_at, o.session_idle_minutes, ",
        user_columns!(u),
        " FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN organisations o ON o.id = u.organisation_id WHERE s.token_hash = $1"
    );
    let row = on_tx!(tx, c => sqlx::query(sql)
        .bind(token_hash)
        .fetch_optional(&mut **c)
        .await
        .and_then(|row| row.as_ref().map(decode_session_with_user).transpose()))?;
    let Some((session, idle, user)) = row else {
        return Ok(None);
    };
    let session = session_from(session)?;
    let (user, credentials) = user_from_row(tx, user).await?;
    Ok(Some(SessionWithUser {
        session,
        user,
        credentials,
        idle_minutes: idle,
    }))
}

/// What [`session_with_user`] finds.
#[derive(Debug)]
pub struct SessionWithUser {
    pub session: SessionRow,
    pub user: User,
    pub credentials: Credentials,
    /// The practice's idle timeout, as `organisation_security` gives it.
    pub idle_minutes: i64,
}

/// Decodes [`session_with_user`]'s row on either backend (24 columns is
/// past sqlx's tuple limit, so they are read by position).
fn decode_session_with_user<R>(r: &R) -> Result<(SessionTuple, i64, UserRow), sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let session = (
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
        r.try_get(6)?,
    );
    let user = (
        r.try_get(8)?,
        r.try_get(9)?,
        r.try_get(10)?,
        r.try_get(11)?,
        r.try_get(12)?,
        r.try_get(13)?,
        r.try_get(14)?,
        r.try_get(15)?,
        r.try_get(16)?,
        r.try_get(17)?,
        r.try_get(18)?,
        r.try_get(19)?,
        r.try_get(20)?,
        r.try_get(21)?,
        r.try_get(22)?,
        r.try_get(23)?,
    );
    Ok((session, r.try_get(7)?, user))
}

/// Records that a session was seen at `now`. Touches are written after the
/// request that saw the session, so one may land after a later one: the
/// time only ever moves forward.
pub async fn touch_session(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1"
        )
        .bind(now.as_micros())
        .bind(token_hash)
    )?;
    Ok(())
}

pub async fn revoke_session(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL"
        )
        .bind(now.as_micros())
        .bind(token_hash)
    )?;
    Ok(())
}

/// Revokes every live session of a user; returns how many.
pub async fn revoke_user_sessions(
    tx: &mut Tx,
    user: UserId,
    now: Timestamp,
) -> Result<u64, StoreError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
        )
        .bind(now.as_micros())
        .bind(user.to_string())
    )
    .map_err(StoreError::from)
}

/// Sessions not revoked, newest first, with their user, for the admin view.
/// Expiry is a rule of the domain, so the caller filters expired ones.
pub async fn live_sessions(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows: Vec<SessionTuple> = on_tx!(tx, c => sqlx::query_as(
        "SELECT s.token_hash, s.user_id, s.stage, s.created_at, s.last_seen_at, s.source_ip, s.revoked_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE u.organisation_id = $1 AND s.revoked_at IS NULL ORDER BY s.last_seen_at DESC"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(session_from).collect()
}

pub async fn set_session_stage(
    tx: &mut Tx,
    token_hash: &str,
    stage: SessionStage,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE sessions SET stage = $1 WHERE token_hash = $2")
            .bind(stage.as_str())
            .bind(token_hash)
    )?;
    Ok(())
}

/// Keeps a TOTP secret on the session while the user scans and confirms it.
pub async fn set_pending_secret(
    tx: &mut Tx,
    token_hash: &str,
    secret: Option<&str>,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE sessions SET mfa_pending_secret = $1 WHERE token_hash = $2")
            .bind(secret)
            .bind(token_hash)
    )?;
    Ok(())
}

pub async fn pending_secret(tx: &mut Tx, token_hash: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT mfa_pending_secret FROM sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(&mut **c)
    .await)?;
    Ok(row.and_then(|(s,)| s))
}
