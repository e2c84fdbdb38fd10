//! Use cases: password reset links and password changes.

use kerato_core::ValidationErrors;
use kerato_core::password::reset;

use crate::Site;
use crate::accounts::rules::{User, new_token, token_hash};
use crate::accounts::store::*;
use crate::audit::{self, Event};
use crate::mail::outbox::{self, Outgoing};
use crate::web::SiteError;

pub(crate) fn link_unusable() -> SiteError {
    SiteError::Gone(reset::LINK_UNUSABLE.into())
}

pub(crate) fn subject_of(user: &User) -> String {
    format!("user:{}", user.id)
}

/// "Forgot your password?": e-mails a reset link if an active user has the
/// address. The answer is the same whether or not one does (`Ok`), and
/// comes no sooner than [`reset::ANSWER_FLOOR`]; over the rate limit it is
/// [`SiteError::TooManyRequests`], for every address alike.
pub async fn request_reset(
    site: &Site,
    email: &str,
    client: Option<&str>,
) -> Result<(), SiteError> {
    let started = std::time::Instant::now();
    let result = queue_reset(site, email, client).await;
    kerato_http::timing::pad_to(started, reset::ANSWER_FLOOR).await;
    result
}

pub(crate) async fn queue_reset(
    site: &Site,
    email: &str,
    client: Option<&str>,
) -> Result<(), SiteError> {
    let mut errors = ValidationErrors::new();
    let email = crate::fields::email(&mut errors, "email", email);
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    let now = site.now();
    let address_key = reset::address_key(&email);
    let client_key = reset::client_key(client);
    let mut tx = site.store.write().await?;
    let (by_address, by_client) = recent_resets(&mut tx, &address_key, &client_key, now).await?;
    let user = crate::accounts::store::user_by_email(&mut tx, &email)
        .await?
        .filter(|u| u.status == "active");
    let subject = user.as_ref().map(subject_of);
    if !reset::within_limits(by_address, by_client) {
        let event = Event {
            actor: Some("visitor"),
            action: "password_reset.refused",
            subject: subject.as_deref(),
            detail: Some("too many requests in the last hour"),
        };
        audit::record(&mut tx, now, event).await?;
        tx.commit().await?;
        return Err(SiteError::TooManyRequests(reset::TOO_MANY.into()));
    }
    let keys = (address_key.as_str(), client_key.as_str());
    match &user {
        Some(user) => {
            spend_links(&mut tx, &user.id, now).await?;
            let token = new_token();
            insert_request(&mut tx, now, keys, Some(&user.id), Some(&token)).await?;
            let link = format!("{}/password/reset/{token}", site.config.public_url);
            let (subject_line, body) = reset::message(&link, &site.config.vendor_name, false);
            outbox::queue(
                &mut tx,
                now,
                rand::random(),
                Outgoing {
                    kind: "password_reset",
                    recipient: &user.email,
                    subject: subject_line,
                    body: &body,
                    headers: &[],
                },
            )
            .await?;
            let event = Event {
                actor: Some("visitor"),
                action: "user.password_reset_requested",
                subject: subject.as_deref(),
                detail: None,
            };
            audit::record(&mut tx, now, event).await?;
        }
        None => {
            // Counted like a sent link, so the limits hold for addresses
            // without a user too.
            insert_request(&mut tx, now, keys, None, None).await?;
            let event = Event {
                actor: Some("visitor"),
                action: "password_reset.refused",
                subject: None,
                detail: Some("no active user has the address"),
            };
            audit::record(&mut tx, now, event).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Whether a link still works, for the page it opens; only looks, so a
/// mail scanner that opens the link does not spend it.
pub async fn check_link(site: &Site, token: &str) -> Result<(), SiteError> {
    let mut tx = site.store.read().await?;
    let owner = link_owner(&mut tx, token, site.now()).await?;
    drop(tx);
    owner.map(|_| ()).ok_or_else(link_unusable)
}

/// Sets a new password with a reset link: the link is spent, every session
/// of the person ends, the lockout is cleared. A bad password changes
/// nothing and leaves the link usable.
pub async fn reset_password(
    site: &Site,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<(), SiteError> {
    let mut tx = site.store.read().await?;
    let owner = link_owner(&mut tx, token, site.now()).await?;
    drop(tx);
    let Some(user) = owner else {
        let mut tx = site.store.write().await?;
        let event = Event {
            actor: Some("visitor"),
            action: "password_reset.refused",
            subject: None,
            detail: Some("unknown, used or expired link"),
        };
        audit::record(&mut tx, site.now(), event).await?;
        tx.commit().await?;
        return Err(link_unusable());
    };
    let mut errors = ValidationErrors::new();
    crate::accounts::passwords::check_password(
        &mut errors,
        password,
        confirm,
        &[&user.email, &user.name],
    );
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    let hash = crate::accounts::passwords::hash_password(password.to_string()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    // Spent in one statement, so two requests racing with one link cannot
    // both use it.
    let spent = spend_link(&mut tx, &token_hash(token), now).await?;
    if spent.map(|(u,)| u) != Some(user.id.clone()) {
        // Used or expired while the password was being hashed.
        let event = Event {
            actor: Some("visitor"),
            action: "password_reset.refused",
            subject: Some(&subject_of(&user)),
            detail: Some("the link was used or expired meanwhile"),
        };
        audit::record(&mut tx, now, event).await?;
        tx.commit().await?;
        return Err(link_unusable());
    }
    let ended = set_password(&mut tx, &user, &hash, now).await?;
    let subject = subject_of(&user);
    let detail = format!("{ended} sessions ended");
    let event = Event {
        actor: Some(&subject),
        action: "user.password_reset",
        subject: Some(&subject),
        detail: Some(&detail),
    };
    audit::record(&mut tx, now, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a signed-in person's password, given the current one. Every
/// session ends; the returned cookie starts a new one for this browser.
pub async fn change_password(
    site: &Site,
    user: &User,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<axum::http::HeaderValue, SiteError> {
    let current_ok = crate::accounts::passwords::verify_password(
        current.chars().take(1024).collect(),
        user.password_hash.clone(),
    )
    .await;
    let mut errors = ValidationErrors::new();
    if !current_ok {
        errors.add("current", "the current password is not right");
    }
    crate::accounts::passwords::check_password(
        &mut errors,
        password,
        confirm,
        &[&user.email, &user.name],
    );
    if current_ok && errors.is_empty() && password == current {
        errors.add(
            "password",
            "choose a password different from the current one",
        );
    }
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    let hash = crate::accounts::passwords::hash_password(password.to_string()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    set_password(&mut tx, user, &hash, now).await?;
    let token = crate::accounts::store::create_session(&mut tx, &user.id, false, now).await?;
    let subject = subject_of(user);
    let event = Event {
        actor: Some(&subject),
        action: "user.password_changed",
        subject: Some(&subject),
        detail: Some("every other session ended"),
    };
    audit::record(&mut tx, now, event).await?;
    tx.commit().await?;
    Ok(crate::accounts::sessions::session_cookie(site, &token))
}
