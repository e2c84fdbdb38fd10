//! The newsletter and unsubscribe pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_core::ValidationErrors;
use kerato_core::consent::Source;
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::Form;

use crate::Site;
use crate::marketing::newsletter::*;
use crate::marketing::rules::*;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "newsletter.html")]
pub(crate) struct NewsletterPage {
    pub(crate) layout: Layout,
    pub(crate) input: SignupInput,
    pub(crate) errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "newsletter_thanks.html")]
pub(crate) struct NewsletterThanks {
    pub(crate) layout: Layout,
}

/// Where an unsubscribe stands, for its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Confirm,
    Done,
    Unknown,
}

#[derive(Template, WebTemplate)]
#[template(path = "unsubscribe.html")]
pub(crate) struct UnsubscribePage {
    pub(crate) layout: Layout,
    pub(crate) step: Step,
    pub(crate) token: String,
}

pub(crate) fn newsletter_page(
    site: &Site,
    csrf: &CsrfToken,
    input: SignupInput,
    errors: ValidationErrors,
) -> NewsletterPage {
    NewsletterPage {
        layout: Layout::new(site, csrf, "Newsletter", Section::Contact),
        input,
        errors,
    }
}

pub(crate) async fn newsletter(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> NewsletterPage {
    newsletter_page(
        &site,
        &csrf,
        SignupInput::default(),
        ValidationErrors::new(),
    )
}

pub(crate) async fn newsletter_submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: Form<Signup>,
) -> Result<Response, SiteError> {
    match form.input {
        Ok(valid) => {
            subscribe(&site, "visitor", &valid, Source::Form).await?;
            Ok(Redirect::to("/newsletter/thanks").into_response())
        }
        Err(errors) => {
            let input: SignupInput = form.fields.raw();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                newsletter_page(&site, &csrf, input, errors),
            )
                .into_response())
        }
    }
}

pub(crate) async fn newsletter_thanks(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> NewsletterThanks {
    NewsletterThanks {
        layout: Layout::new(&site, &csrf, "You are subscribed", Section::Contact),
    }
}

pub(crate) fn unsubscribe_page(
    site: &Site,
    csrf: &CsrfToken,
    step: Step,
    token: String,
) -> Response {
    let (status, title) = match step {
        Step::Confirm => (StatusCode::OK, "Unsubscribe"),
        Step::Done => (StatusCode::OK, "You are unsubscribed"),
        Step::Unknown => (StatusCode::NOT_FOUND, "Unknown unsubscribe link"),
    };
    let page = UnsubscribePage {
        layout: Layout::new(site, csrf, title, Section::Privacy),
        step,
        token,
    };
    (status, page).into_response()
}

/// The page behind the link in the message. Opening it changes nothing,
/// because mail scanners open links; its one button unsubscribes.
pub(crate) async fn unsubscribe_confirm(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<Response, SiteError> {
    let known = unsubscribe_link_known(&site, &token).await?;
    let step = if known { Step::Confirm } else { Step::Unknown };
    Ok(unsubscribe_page(&site, &csrf, step, token))
}

/// The one-click unsubscribe of RFC 8058, sent by mail clients and by the
/// page's button alike. The token in the path is the credential: a mail
/// client has no cookie and no CSRF token, so the body is read here rather
/// than through `FormFields`, and it must be exactly `List-Unsubscribe=One-Click`.
pub(crate) async fn unsubscribe_post(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, SiteError> {
    let one_click =
        form_urlencoded::parse(&body).any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
    if !one_click {
        return Err(SiteError::BadRequest(format!(
            "an unsubscribe request carries the body {ONE_CLICK}; use the button on the unsubscribe page"
        )));
    }
    let step = if unsubscribe(&site, &token).await? {
        Step::Done
    } else {
        Step::Unknown
    };
    Ok(unsubscribe_page(&site, &csrf, step, token))
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/newsletter", get(newsletter).post(newsletter_submit))
        .route("/newsletter/thanks", get(newsletter_thanks))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_confirm).post(unsubscribe_post),
        )
}
