//! Use cases: sessions start, are found from the cookie, and end.

use crate::Site;
use crate::accounts;
use crate::accounts::rules::*;
use crate::accounts::store::*;
use crate::accounts::token_hash;
use crate::web::SiteError;
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use kerato_core::session;
use kerato_core::session::SessionPolicy;
use kerato_core::session::SessionState;
use kerato_core::time::Timestamp;
use kerato_db::execute;
use kerato_db::on_tx;
use kerato_http::csrf::token_cookie;

pub(crate) fn session_cookie(site: &Site, token: &str) -> HeaderValue {
    let secure = if site.tls { "; Secure" } else { "" };
    let value = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(site.tls)
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

pub(crate) fn clear_cookie(site: &Site) -> HeaderValue {
    let secure = if site.tls { "; Secure" } else { "" };
    let value = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        cookie_name(site.tls)
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// Starts a completed session for a user who just proved who they are
/// (sign-up, accepted invitation); returns the cookie to set.
pub(crate) async fn start_session(site: &Site, user_id: &str) -> Result<HeaderValue, SiteError> {
    let mut tx = site.store.write().await?;
    let token = create_session(&mut tx, user_id, false, site.now()).await?;
    tx.commit().await?;
    Ok(session_cookie(site, &token))
}

pub(crate) async fn session_of(
    site: &Site,
    headers: &HeaderMap,
) -> Result<Option<Session>, SiteError> {
    let Some(token) = token_cookie(headers, cookie_name(site.tls)) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let now = site.now();
    let mut tx = site.store.write().await?;
    let row: Option<(String, i64, i64, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT user_id, created_at, last_seen_at, mfa_pending FROM site_sessions WHERE token_hash = $1"
    )
    .bind(&hash)
    .fetch_optional(&mut **c)
    .await)?;
    let Some((user_id, created, seen, mfa_pending)) = row else {
        return Ok(None);
    };
    let state = session::session_state(
        SessionPolicy::default(),
        Timestamp::from_micros(created),
        Timestamp::from_micros(seen),
        now,
    );
    let user = accounts::user_by_id(&mut tx, &user_id).await?;
    let usable =
        state == SessionState::Active && user.as_ref().is_some_and(|u| u.status == "active");
    if !usable {
        execute!(
            &mut tx,
            sqlx::query("DELETE FROM site_sessions WHERE token_hash = $1").bind(&hash)
        )?;
        tx.commit().await?;
        return Ok(None);
    }
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now.as_micros())
            .bind(&hash)
    )?;
    tx.commit().await?;
    Ok(user.map(|user| Session {
        token_hash: hash,
        user,
        mfa_pending: mfa_pending != 0,
    }))
}
