//! The sign-in pages and the signed-in extractor.

use crate::Site;
use crate::accounts;
use crate::accounts::Permission;
use crate::accounts::User;
use crate::accounts::passwords::*;
use crate::accounts::rules::*;
use crate::accounts::sessions::*;
use crate::accounts::store::*;
use crate::accounts::token_hash;
use crate::audit;
use crate::audit::Event;
use crate::web::Layout;
use crate::web::Section;
use crate::web::SiteError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::Extension;
use axum::extract::FromRequestParts;
use axum::extract::OptionalFromRequestParts;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::response::Redirect;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use kerato_core::ValidationErrors;
use kerato_core::session;
use kerato_core::totp;
use kerato_core::totp::TotpSecret;
use kerato_db::execute;
use kerato_http::csrf::CsrfToken;
use kerato_http::csrf::token_cookie;
use kerato_http::extract::FormFields;

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
pub(crate) struct LoginPage {
    pub(crate) layout: Layout,
    pub(crate) email: String,
    pub(crate) errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "login_mfa.html")]
pub(crate) struct MfaPage {
    pub(crate) layout: Layout,
    pub(crate) errors: ValidationErrors,
}

pub(crate) fn login_page(
    site: &Site,
    csrf: &CsrfToken,
    email: String,
    errors: ValidationErrors,
) -> LoginPage {
    LoginPage {
        layout: Layout::new(site, csrf, "Sign in", Section::Portal),
        email,
        errors,
    }
}

pub(crate) async fn login_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> LoginPage {
    login_page(&site, &csrf, String::new(), ValidationErrors::new())
}

pub(crate) async fn login(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: FormFields,
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

pub(crate) async fn mfa_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> MfaPage {
    MfaPage {
        layout: Layout::new(&site, &csrf, "Second step", Section::Portal),
        errors: ValidationErrors::new(),
    }
}

pub(crate) async fn mfa(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    form: FormFields,
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

pub(crate) async fn logout(
    State(site): State<Site>,
    headers: HeaderMap,
    _form: FormFields,
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
