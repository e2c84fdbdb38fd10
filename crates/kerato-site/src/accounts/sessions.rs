//! Use cases: sessions start, are found from the cookie, and end.

use axum::http::{HeaderMap, HeaderValue};
use kerato_core::session::{self, SessionPolicy, SessionState};
use kerato_core::time::Timestamp;
use kerato_core::totp::{self, TotpSecret};
use kerato_http::csrf::token_cookie;

use crate::Site;
use crate::accounts::passwords::verify_password;
use crate::accounts::rules::{token_hash, *};
use crate::accounts::store::*;
use crate::audit::{self, Event};
use crate::web::SiteError;

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
    let row = session_row(&mut tx, &hash).await?;
    let Some((user_id, created, seen, mfa_pending)) = row else {
        return Ok(None);
    };
    let state = session::session_state(
        SessionPolicy::default(),
        Timestamp::from_micros(created),
        Timestamp::from_micros(seen),
        now,
    );
    let user = crate::accounts::store::user_by_id(&mut tx, &user_id).await?;
    let usable =
        state == SessionState::Active && user.as_ref().is_some_and(|u| u.status == "active");
    if !usable {
        delete_session(&mut tx, &hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    touch_session(&mut tx, &hash, now).await?;
    tx.commit().await?;
    Ok(user.map(|user| Session {
        token_hash: hash,
        user,
        mfa_pending: mfa_pending != 0,
    }))
}

/// The first step of signing in: the password. A user with a second
/// factor gets a session that waits for it.
pub(crate) async fn sign_in(site: &Site, credentials: Credentials) -> Result<SignIn, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let user = user_by_email(&mut tx, &credentials.email).await?;
    let ok = verify_password(
        credentials.password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user else {
        return Ok(SignIn::Refused(WRONG.into()));
    };
    let subject = format!("user:{}", user.id);
    let event = |action| Event {
        actor: Some(&subject),
        action,
        subject: Some(&subject),
        detail: None,
    };
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        audit::record(&mut tx, now, event("user.login_locked")).await?;
        tx.commit().await?;
        return Ok(SignIn::Refused(format!(
            "this user is locked after too many failed attempts; try again after {} UTC",
            until.to_jiff().strftime("%H:%M")
        )));
    }
    if !ok {
        let lock = count_failure(&mut tx, &user, now).await?;
        audit::record(
            &mut tx,
            now,
            Event {
                detail: lock.map(|_| "locked"),
                ..event("user.login_failed")
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(SignIn::Refused(match lock {
            Some(_) => format!(
                "{WRONG}; after {} failed attempts this user is locked for 15 minutes",
                session::LOCKOUT_THRESHOLD
            ),
            None => WRONG.into(),
        }));
    }
    if user.status != "active" {
        return Ok(SignIn::Refused(
            "this user cannot sign in: the account is closed or the invitation was not accepted"
                .into(),
        ));
    }
    if user.role.is_vendor() && user.totp_secret.is_none() {
        return Ok(SignIn::Refused(
            "vendor staff must have a second factor; ask the vendor administrator to set one up"
                .into(),
        ));
    }
    clear_failures(&mut tx, &user.id).await?;
    let pending = user.totp_secret.is_some();
    let token = create_session(&mut tx, &user.id, pending, now).await?;
    let action = if pending {
        "user.password_ok"
    } else {
        "user.login"
    };
    audit::record(&mut tx, now, event(action)).await?;
    tx.commit().await?;
    let to = if pending {
        "/login/mfa"
    } else {
        landing(&user)
    };
    Ok(SignIn::Started { token, to })
}

/// The second step: the code from the authenticator app, for a session
/// that waits for it. Failures count towards the lockout, which also ends
/// the waiting session.
pub(crate) async fn second_factor(
    site: &Site,
    session: Session,
    code: &SecondFactorCode,
) -> Result<SignIn, SiteError> {
    let user = session.user;
    let now = site.now();
    // Codes come from the user's phone, which knows only the real time.
    let step = user
        .totp_secret
        .as_deref()
        .and_then(|s| TotpSecret::from_base32(s).ok())
        .and_then(|secret| totp::matching_step(&secret, &code.0, site.clock.outside_now()))
        .filter(|step| user.totp_last_step.is_none_or(|last| *step > last));
    let mut tx = site.store.write().await?;
    let subject = format!("user:{}", user.id);
    let Some(step) = step else {
        let lock = count_failure(&mut tx, &user, now).await?;
        if lock.is_some() {
            delete_session(&mut tx, &session.token_hash).await?;
        }
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some(&subject),
                action: "user.mfa_failed",
                subject: Some(&subject),
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(SignIn::Refused(
            "that code is not valid now; enter the 6-digit code your authenticator app shows"
                .into(),
        ));
    };
    second_factor_passed(&mut tx, &user.id, step).await?;
    delete_session(&mut tx, &session.token_hash).await?;
    let token = create_session(&mut tx, &user.id, false, now).await?;
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&subject),
            action: "user.login",
            subject: Some(&subject),
            detail: Some("with second factor"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SignIn::Started {
        token,
        to: landing(&user),
    })
}

/// Ends the session of the cookie's token.
pub(crate) async fn sign_out(site: &Site, token: &str) -> Result<(), SiteError> {
    let mut tx = site.store.write().await?;
    delete_session(&mut tx, &token_hash(token)).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns a user's second factor on, once a code proved their app holds the
/// secret (`step` is that code's time step).
pub(crate) async fn enrol_second_factor(
    site: &Site,
    user: &User,
    secret: &TotpSecret,
    step: i64,
) -> Result<(), SiteError> {
    let mut tx = site.store.write().await?;
    set_second_factor(&mut tx, &user.id, &secret.to_base32(), step).await?;
    let subject = format!("user:{}", user.id);
    audit::record(
        &mut tx,
        site.now(),
        Event {
            actor: Some(&subject),
            action: "user.mfa_enrolled",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
