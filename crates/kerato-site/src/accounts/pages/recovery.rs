//! The password reset and change pages.

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
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::FormFields;

use crate::Site;
use crate::accounts::pages::SignedIn;
use crate::accounts::recovery::*;
use crate::web::{Layout, Section, SiteError};

/// The client's address as the connection gives it (no forwarded-for
/// header is trusted), for the per-client rate limit.
pub(crate) struct Client(Option<String>);

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

#[derive(Template, WebTemplate)]
#[template(path = "password_forgot.html")]
pub(crate) struct ForgotPage {
    layout: Layout,
    email: String,
    problem: Option<String>,
    errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "password_message.html")]
pub(crate) struct MessagePage {
    pub(crate) layout: Layout,
    pub(crate) message: String,
    pub(crate) href: &'static str,
    pub(crate) link: &'static str,
}

pub(crate) fn message_page(
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
pub(crate) struct ResetPage {
    pub(crate) layout: Layout,
    pub(crate) token: String,
    pub(crate) errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "account_password.html")]
pub(crate) struct ChangePage {
    pub(crate) layout: Layout,
    pub(crate) changed: bool,
    pub(crate) errors: ValidationErrors,
}

pub(crate) fn forgot_page(
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

pub(crate) async fn forgot_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> ForgotPage {
    forgot_page(&site, &csrf, String::new(), None, ValidationErrors::new())
}

pub(crate) async fn forgot(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    client: Client,
    form: FormFields,
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

pub(crate) fn link_gone(site: &Site, csrf: &CsrfToken, message: &str) -> Response {
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

pub(crate) fn reset_page(
    site: &Site,
    csrf: &CsrfToken,
    token: String,
    errors: ValidationErrors,
) -> ResetPage {
    ResetPage {
        layout: Layout::new(site, csrf, "Choose a new password", Section::Portal),
        token,
        errors,
    }
}

pub(crate) async fn reset_form(
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

pub(crate) async fn reset(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    form: FormFields,
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

pub(crate) fn change_page(
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

pub(crate) async fn change_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    _who: SignedIn,
) -> ChangePage {
    change_page(&site, &csrf, false, ValidationErrors::new())
}

pub(crate) async fn change(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
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
