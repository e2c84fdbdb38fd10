//! The sign-in pages and the signed-in extractor.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, FromRequestParts, OptionalFromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_http::csrf::{CsrfToken, token_cookie};
use kerato_http::extract::{Form, FormFields};

use crate::Site;
use crate::accounts::rules::{Permission, User, *};
use crate::accounts::sessions::*;
use crate::web::{Layout, Section, SiteError};

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
    form: Form<Credentials>,
) -> Result<Response, SiteError> {
    let credentials = form.input?;
    let email = credentials.email.clone();
    match sign_in(&site, credentials).await? {
        SignIn::Refused(message) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            login_page(
                &site,
                &csrf,
                email,
                ValidationErrors::single("password", message),
            ),
        )
            .into_response()),
        SignIn::Started { token, to } => Ok((
            [(header::SET_COOKIE, session_cookie(&site, &token))],
            Redirect::to(to),
        )
            .into_response()),
    }
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
    form: Form<SecondFactorCode>,
) -> Result<Response, SiteError> {
    let Some(session) = session_of(&site, &headers).await?.filter(|s| s.mfa_pending) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let code = form.input?;
    match second_factor(&site, session, &code).await? {
        SignIn::Refused(message) => {
            let page = MfaPage {
                layout: Layout::new(&site, &csrf, "Second step", Section::Portal),
                errors: ValidationErrors::single("code", message),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        SignIn::Started { token, to } => Ok((
            [(header::SET_COOKIE, session_cookie(&site, &token))],
            Redirect::to(to),
        )
            .into_response()),
    }
}

pub(crate) async fn logout(
    State(site): State<Site>,
    headers: HeaderMap,
    _form: FormFields,
) -> Result<Response, SiteError> {
    if let Some(token) = token_cookie(&headers, cookie_name(site.tls)) {
        sign_out(&site, &token).await?;
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
