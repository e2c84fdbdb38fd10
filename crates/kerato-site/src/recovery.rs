//! Getting back in, and changing one's password, for customers and vendor
//! staff alike: "Forgot your password?", the page a reset link opens, and
//! "Change my password" for a signed-in person.
//!
//! The rules are the clinic's (`kerato_core::password::reset`): a link works
//! once, within 30 minutes; at most 3 requests per address and 10 per
//! client an hour, counted whether or not a user has the address; the same
//! answer, in the same time, for every address. A reset or a change ends
//! every session of the person, clears the lockout and is recorded in the
//! site's audit chain (never the token, never the password). A reset signs
//! nobody in: the next sign-in asks for the second factor as before, and
//! vendor staff always have one.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{ConnectInfo, Extension, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kerato_core::ValidationErrors;
use kerato_core::password::reset;
use kerato_core::time::Timestamp;
use kerato_db::{Tx, execute, on_tx};
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::accounts::{self, User, new_token, token_hash};
use crate::audit::{self, Event};
use crate::auth::{self, SignedIn};
use crate::outbox::{self, Outgoing};
use crate::web::{self, Form, Layout, Section, SiteError};

/// The client's address as the connection gives it (no forwarded-for
/// header is trusted), for the per-client rate limit.
struct Client(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| a.ip().to_string()),
        ))
    }
}

fn link_unusable() -> SiteError {
    SiteError::Gone(reset::LINK_UNUSABLE.into())
}

fn subject_of(user: &User) -> String {
    format!("user:{}", user.id)
}

/// Ends every open link of a user (a newer link or a new password
/// replaces them).
async fn spend_links(tx: &mut Tx, user_id: &str, now: Timestamp) -> Result<(), SiteError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE site_password_resets SET used_at = $1 \
             WHERE user_id = $2 AND token_hash IS NOT NULL AND used_at IS NULL"
        )
        .bind(now.as_micros())
        .bind(user_id)
    )?;
    Ok(())
}

/// Records a request (with its link, if one is sent).
async fn insert_request(
    tx: &mut Tx,
    now: Timestamp,
    keys: (&str, &str),
    user_id: Option<&str>,
    token: Option<&str>,
) -> Result<(), SiteError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_password_resets (id, requested_at, address_key, client_key, user_id, token_hash, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(kerato_core::ids::uuid_v7(now, rand::random()).to_string())
        .bind(now.as_micros())
        .bind(keys.0)
        .bind(keys.1)
        .bind(user_id)
        .bind(token.map(token_hash))
        .bind(token.map(|_| reset::expires_at(now).as_micros()))
    )?;
    Ok(())
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

async fn queue_reset(site: &Site, email: &str, client: Option<&str>) -> Result<(), SiteError> {
    let mut errors = ValidationErrors::new();
    let email = web::email(&mut errors, "email", email);
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    let now = site.now();
    let address_key = reset::address_key(&email);
    let client_key = reset::client_key(client);
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query("DELETE FROM site_password_resets WHERE requested_at < $1")
            .bind(now.plus_micros(-reset::KEEP_MICROS).as_micros())
    )?;
    let (by_address, by_client): (i64, i64) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM site_password_resets WHERE address_key = $1 AND requested_at > $3), \
           (SELECT count(*) FROM site_password_resets WHERE client_key = $2 AND requested_at > $3)"
    )
    .bind(&address_key)
    .bind(&client_key)
    .bind(now.plus_micros(-reset::WINDOW_MICROS).as_micros())
    .fetch_one(&mut **c)
    .await)?;
    let user = accounts::user_by_email(&mut tx, &email)
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

/// The active user behind a link that still works.
async fn link_owner(tx: &mut Tx, token: &str, now: Timestamp) -> Result<Option<User>, SiteError> {
    if !reset::token_shape_ok(token) {
        return Ok(None);
    }
    let row: Option<(String, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM site_password_resets \
         WHERE token_hash = $1 AND user_id IS NOT NULL AND expires_at IS NOT NULL"
    )
    .bind(token_hash(token))
    .fetch_optional(&mut **c)
    .await)?;
    let Some((user_id, expires, used)) = row else {
        return Ok(None);
    };
    if !reset::usable(
        Timestamp::from_micros(expires),
        used.map(Timestamp::from_micros),
        now,
    ) {
        return Ok(None);
    }
    Ok(accounts::user_by_id(tx, &user_id)
        .await?
        .filter(|u| u.status == "active"))
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
    accounts::check_password(&mut errors, password, confirm, &[&user.email, &user.name]);
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    let hash = accounts::hash_password(password.to_string()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    // Spent in one statement, so two requests racing with one link cannot
    // both use it.
    let spent: Option<(String,)> = on_tx!(&mut tx, c => sqlx::query_as(
        "UPDATE site_password_resets SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id"
    )
    .bind(now.as_micros())
    .bind(token_hash(token))
    .fetch_optional(&mut **c)
    .await)?;
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

/// Stores a password the person chose: the lockout is cleared, open links
/// are spent and every session ends; returns how many sessions ended.
async fn set_password(
    tx: &mut Tx,
    user: &User,
    hash: &str,
    now: Timestamp,
) -> Result<u64, SiteError> {
    execute!(
        tx,
        sqlx::query(
            "UPDATE site_users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2"
        )
        .bind(hash)
        .bind(&user.id)
    )?;
    spend_links(tx, &user.id, now).await?;
    Ok(execute!(
        tx,
        sqlx::query("DELETE FROM site_sessions WHERE user_id = $1").bind(&user.id)
    )?)
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
    let current_ok = auth::verify_password(
        current.chars().take(1024).collect(),
        user.password_hash.clone(),
    )
    .await;
    let mut errors = ValidationErrors::new();
    if !current_ok {
        errors.add("current", "the current password is not right");
    }
    accounts::check_password(&mut errors, password, confirm, &[&user.email, &user.name]);
    if current_ok && errors.is_empty() && password == current {
        errors.add(
            "password",
            "choose a password different from the current one",
        );
    }
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    let hash = accounts::hash_password(password.to_string()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    set_password(&mut tx, user, &hash, now).await?;
    let token = auth::create_session(&mut tx, &user.id, false, now).await?;
    let subject = subject_of(user);
    let event = Event {
        actor: Some(&subject),
        action: "user.password_changed",
        subject: Some(&subject),
        detail: Some("every other session ended"),
    };
    audit::record(&mut tx, now, event).await?;
    tx.commit().await?;
    Ok(auth::session_cookie(site, &token))
}

// ------------------------------------------------------------ pages

#[derive(Template, WebTemplate)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    problem: Option<String>,
    errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "password_message.html")]
struct MessagePage {
    layout: Layout,
    message: String,
    href: &'static str,
    link: &'static str,
}

fn message_page(
    site: &Site,
    csrf: &CsrfToken,
    title: &str,
    message: &str,
    (href, link): (&'static str, &'static str),
) -> MessagePage {
    MessagePage {
        layout: Layout::new(site, csrf, title, Section::Portal),
        message: message.into(),
        href,
        link,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "account_password.html")]
struct ChangePage {
    layout: Layout,
    changed: bool,
    errors: ValidationErrors,
}

fn forgot_page(
    site: &Site,
    csrf: &CsrfToken,
    email: String,
    problem: Option<String>,
    errors: ValidationErrors,
) -> ForgotPage {
    ForgotPage {
        layout: Layout::new(site, csrf, "Forgot your password?", Section::Portal),
        email,
        problem,
        errors,
    }
}

async fn forgot_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> ForgotPage {
    forgot_page(&site, &csrf, String::new(), None, ValidationErrors::new())
}

async fn forgot(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    client: Client,
    form: Form,
) -> Result<Response, SiteError> {
    let email = form.get("email");
    match request_reset(&site, &email, client.0.as_deref()).await {
        Ok(()) => Ok(message_page(
            &site,
            &csrf,
            "Check your e-mail",
            reset::REQUESTED,
            ("/login", "Back to sign-in"),
        )
        .into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            forgot_page(&site, &csrf, email, None, errors),
        )
            .into_response()),
        Err(SiteError::TooManyRequests(m)) => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            forgot_page(&site, &csrf, email, Some(m), ValidationErrors::new()),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

fn link_gone(site: &Site, csrf: &CsrfToken, message: &str) -> Response {
    (
        StatusCode::GONE,
        message_page(
            site,
            csrf,
            "This link no longer works",
            message,
            ("/password/forgot", "Ask for a new link"),
        ),
    )
        .into_response()
}

fn reset_page(site: &Site, csrf: &CsrfToken, token: String, errors: ValidationErrors) -> ResetPage {
    ResetPage {
        layout: Layout::new(site, csrf, "Choose a new password", Section::Portal),
        token,
        errors,
    }
}

async fn reset_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<Response, SiteError> {
    match check_link(&site, &token).await {
        Ok(()) => Ok(reset_page(&site, &csrf, token, ValidationErrors::new()).into_response()),
        Err(SiteError::Gone(m)) => Ok(link_gone(&site, &csrf, &m)),
        Err(e) => Err(e),
    }
}

async fn reset(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    match reset_password(&site, &token, &form.get("password"), &form.get("confirm")).await {
        Ok(()) => Ok(message_page(
            &site,
            &csrf,
            "Password changed",
            "Your new password is saved and every session has ended. Sign in with it; if you use a second factor, it is still asked.",
            ("/login", "Sign in"),
        )
        .into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            reset_page(&site, &csrf, token, errors),
        )
            .into_response()),
        Err(SiteError::Gone(m)) => Ok(link_gone(&site, &csrf, &m)),
        Err(e) => Err(e),
    }
}

fn change_page(
    site: &Site,
    csrf: &CsrfToken,
    changed: bool,
    errors: ValidationErrors,
) -> ChangePage {
    ChangePage {
        layout: Layout::new(site, csrf, "Change my password", Section::Portal),
        changed,
        errors,
    }
}

async fn change_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    _who: SignedIn,
) -> ChangePage {
    change_page(&site, &csrf, false, ValidationErrors::new())
}

async fn change(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: Form,
) -> Result<Response, SiteError> {
    match change_password(
        &site,
        &who.user,
        &form.get("current"),
        &form.get("password"),
        &form.get("confirm"),
    )
    .await
    {
        Ok(cookie) => Ok((
            [(header::SET_COOKIE, cookie)],
            change_page(&site, &csrf, true, ValidationErrors::new()),
        )
            .into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            change_page(&site, &csrf, false, errors),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset/{token}", get(reset_form).post(reset))
        .route("/account/password", get(change_form).post(change))
}
