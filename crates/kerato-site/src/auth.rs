//! Signing in and out, the session cookie, and the extractor every
//! protected page takes. Sessions are server-side: the cookie holds a
//! random token, the table its SHA-256. The token changes when sign-in
//! completes (after the second factor), so a token seen before sign-in is
//! worthless after it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, FromRequestParts, OptionalFromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_core::session::{self, SessionPolicy, SessionState};
use kerato_core::time::Timestamp;
use kerato_core::totp::{self, TotpSecret};
use kerato_db::{Tx, execute, on_tx};
use kerato_http::csrf::{CsrfToken, token_cookie};

use crate::Site;
use crate::accounts::{self, Permission, User, new_token, token_hash};
use crate::audit::{self, Event};
use crate::web::{Form, Layout, Section, SiteError};

fn cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-kerato_site_session"
    } else {
        "kerato_site_session"
    }
}

pub(crate) fn session_cookie(site: &Site, token: &str) -> HeaderValue {
    let secure = if site.tls { "; Secure" } else { "" };
    let value = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(site.tls)
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

fn clear_cookie(site: &Site) -> HeaderValue {
    let secure = if site.tls { "; Secure" } else { "" };
    let value = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        cookie_name(site.tls)
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

pub(crate) async fn create_session(
    tx: &mut Tx,
    user_id: &str,
    mfa_pending: bool,
    now: Timestamp,
) -> Result<String, SiteError> {
    let token = new_token();
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_sessions (token_hash, user_id, created_at, last_seen_at, mfa_pending) VALUES ($1, $2, $3, $3, $4)"
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(now.as_micros())
        .bind(i64::from(mfa_pending))
    )?;
    Ok(token)
}

/// Starts a completed session for a user who just proved who they are
/// (sign-up, accepted invitation); returns the cookie to set.
pub(crate) async fn start_session(site: &Site, user_id: &str) -> Result<HeaderValue, SiteError> {
    let mut tx = site.store.write().await?;
    let token = create_session(&mut tx, user_id, false, site.now()).await?;
    tx.commit().await?;
    Ok(session_cookie(site, &token))
}

/// The session a request carries, if it is valid.
struct Session {
    token_hash: String,
    user: User,
    mfa_pending: bool,
}

async fn session_of(site: &Site, headers: &HeaderMap) -> Result<Option<Session>, SiteError> {
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

/// A signed-in person (second factor done). Anonymous requests are sent
/// to the sign-in page.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
}

impl SignedIn {
    /// Refuses the request unless the person's role has the permission.
    pub fn require(&self, p: Permission) -> Result<&User, SiteError> {
        if self.user.role.permits(p) {
            Ok(&self.user)
        } else {
            Err(SiteError::Forbidden(format!(
                "your role ({}) cannot {}; ask your practice owner or vendor administrator",
                self.user.role.label().to_lowercase(),
                p.label().to_lowercase()
            )))
        }
    }

    /// The actor as the audit trail names it.
    pub fn actor(&self) -> String {
        if self.user.role.is_vendor() {
            format!("staff:{}", self.user.id)
        } else {
            format!("user:{}", self.user.id)
        }
    }
}

impl FromRequestParts<Site> for SignedIn {
    type Rejection = SiteError;

    async fn from_request_parts(parts: &mut Parts, site: &Site) -> Result<Self, Self::Rejection> {
        match session_of(site, &parts.headers).await? {
            Some(s) if !s.mfa_pending => Ok(SignedIn { user: s.user }),
            Some(_) => Err(SiteError::SecondFactor),
            None => Err(SiteError::SignIn),
        }
    }
}

/// The signed-in person on a page anyone may open, or `None` for a visitor
/// (or a sign-in still waiting for its second factor).
impl OptionalFromRequestParts<Site> for SignedIn {
    type Rejection = SiteError;

    async fn from_request_parts(
        parts: &mut Parts,
        site: &Site,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(session_of(site, &parts.headers)
            .await?
            .filter(|s| !s.mfa_pending)
            .map(|s| SignedIn { user: s.user }))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "login_mfa.html")]
struct MfaPage {
    layout: Layout,
    errors: ValidationErrors,
}

fn login_page(site: &Site, csrf: &CsrfToken, email: String, errors: ValidationErrors) -> LoginPage {
    LoginPage {
        layout: Layout::new(site, csrf, "Sign in", Section::Portal),
        email,
        errors,
    }
}

async fn login_form(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> LoginPage {
    login_page(&site, &csrf, String::new(), ValidationErrors::new())
}

const WRONG: &str = "the e-mail address or the password is wrong";

/// A hash verified against when the address is unknown, so that case costs
/// the same time as a wrong password and does not reveal who has a user.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub(crate) async fn verify_password(password: String, hash: Option<String>) -> bool {
    let hash = match hash {
        Some(h) => h,
        None => match DUMMY_HASH.get() {
            Some(h) => h.clone(),
            None => {
                let h = accounts::hash_password(new_token())
                    .await
                    .unwrap_or_default();
                DUMMY_HASH.get_or_init(|| h).clone()
            }
        },
    };
    tokio::task::spawn_blocking(move || kerato_core::password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}

async fn login(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: Form,
) -> Result<Response, SiteError> {
    let email = form.get("email").trim().to_lowercase();
    let password = form.get("password");
    let refuse = |message: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            login_page(
                &site,
                &csrf,
                email.clone(),
                ValidationErrors::single("password", message),
            ),
        )
            .into_response()
    };
    let now = site.now();
    let mut tx = site.store.write().await?;
    let user = accounts::user_by_email(&mut tx, &email).await?;
    let ok = verify_password(
        password.chars().take(1024).collect(),
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user else {
        return Ok(refuse(WRONG.into()));
    };
    let subject = format!("user:{}", user.id);
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some(&subject),
                action: "user.login_locked",
                subject: Some(&subject),
                detail: None,
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(refuse(format!(
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
                actor: Some(&subject),
                action: "user.login_failed",
                subject: Some(&subject),
                detail: lock.map(|_| "locked"),
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(refuse(match lock {
            Some(_) => format!(
                "{WRONG}; after {} failed attempts this user is locked for 15 minutes",
                session::LOCKOUT_THRESHOLD
            ),
            None => WRONG.into(),
        }));
    }
    if user.status != "active" {
        return Ok(refuse(
            "this user cannot sign in: the account is closed or the invitation was not accepted"
                .into(),
        ));
    }
    if user.role.is_vendor() && user.totp_secret.is_none() {
        return Ok(refuse(
            "vendor staff must have a second factor; ask the vendor administrator to set one up"
                .into(),
        ));
    }
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(&user.id)
    )?;
    let pending = user.totp_secret.is_some();
    let token = create_session(&mut tx, &user.id, pending, now).await?;
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&subject),
            action: if pending {
                "user.password_ok"
            } else {
                "user.login"
            },
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    let to = if pending {
        "/login/mfa"
    } else {
        landing(&user)
    };
    Ok((
        [(header::SET_COOKIE, session_cookie(&site, &token))],
        Redirect::to(to),
    )
        .into_response())
}

/// Counts a failed password or code towards the lockout; returns the end
/// of the lock if this failure started one.
async fn count_failure(
    tx: &mut Tx,
    user: &User,
    now: Timestamp,
) -> Result<Option<Timestamp>, SiteError> {
    let (failures, lock) = session::after_failed_login(user.failed_logins, now);
    execute!(
        tx,
        sqlx::query("UPDATE site_users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(failures)
            .bind(lock.map(|l| l.as_micros()))
            .bind(&user.id)
    )?;
    Ok(lock)
}

/// Where a person lands after signing in.
fn landing(user: &User) -> &'static str {
    if user.role.is_vendor() {
        "/staff"
    } else {
        "/portal"
    }
}

async fn mfa_form(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> MfaPage {
    MfaPage {
        layout: Layout::new(&site, &csrf, "Second step", Section::Portal),
        errors: ValidationErrors::new(),
    }
}

async fn mfa(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, SiteError> {
    let Some(session) = session_of(&site, &headers).await?.filter(|s| s.mfa_pending) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let user = session.user;
    let now = site.now();
    let code = form.get("code").trim().replace(' ', "");
    // Codes come from the user's phone, which knows only the real time.
    let step = user
        .totp_secret
        .as_deref()
        .and_then(|s| TotpSecret::from_base32(s).ok())
        .and_then(|secret| totp::matching_step(&secret, &code, site.clock.outside_now()))
        .filter(|step| user.totp_last_step.is_none_or(|last| *step > last));
    let mut tx = site.store.write().await?;
    let subject = format!("user:{}", user.id);
    let Some(step) = step else {
        let lock = count_failure(&mut tx, &user, now).await?;
        if lock.is_some() {
            execute!(
                &mut tx,
                sqlx::query("DELETE FROM site_sessions WHERE token_hash = $1")
                    .bind(&session.token_hash)
            )?;
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
        let page = MfaPage {
            layout: Layout::new(&site, &csrf, "Second step", Section::Portal),
            errors: ValidationErrors::single(
                "code",
                "that code is not valid now; enter the 6-digit code your authenticator app shows",
            ),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    execute!(
        &mut tx,
        sqlx::query("UPDATE site_users SET totp_last_step = $1, failed_logins = 0 WHERE id = $2")
            .bind(step)
            .bind(&user.id)
    )?;
    execute!(
        &mut tx,
        sqlx::query("DELETE FROM site_sessions WHERE token_hash = $1").bind(&session.token_hash)
    )?;
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
    Ok((
        [(header::SET_COOKIE, session_cookie(&site, &token))],
        Redirect::to(landing(&user)),
    )
        .into_response())
}

async fn logout(
    State(site): State<Site>,
    headers: HeaderMap,
    _form: Form,
) -> Result<Response, SiteError> {
    if let Some(token) = token_cookie(&headers, cookie_name(site.tls)) {
        let mut tx = site.store.write().await?;
        execute!(
            &mut tx,
            sqlx::query("DELETE FROM site_sessions WHERE token_hash = $1").bind(token_hash(&token))
        )?;
        tx.commit().await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_cookie(&site))],
        Redirect::to("/"),
    )
        .into_response())
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/login", get(login_form).post(login))
        .route("/login/mfa", get(mfa_form).post(mfa))
        .route("/logout", post(logout))
}
