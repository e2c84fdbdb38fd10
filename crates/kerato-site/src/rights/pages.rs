//! The privacy center's pages: the request form, the verification and
//! status pages behind the e-mailed links, and the one-time download.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kerato_core::rights_request::{self, RequestType};
use kerato_core::{ValidationErrors, phi_guard};
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::{Form, FormFields};

use crate::Site;
use crate::rights::links::{check_download, check_verify_link, take_download};
use crate::rights::requests::{receive, verify};
use crate::rights::rules::{
    MAX_DETAILS, OFFERED, RightsInput, ValidRights, calendar, date, request_label, state_label,
};
use crate::rights::store::links::timeline_by_status_token;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "privacy_center.html")]
struct CenterPage {
    layout: Layout,
    input: RightsInput,
    errors: ValidationErrors,
    kinds: &'static [RequestType],
    max_details: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "rights_sent.html")]
struct SentPage {
    layout: Layout,
    redacted: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "rights_verify.html")]
struct VerifyPage {
    layout: Layout,
    token: String,
    /// The status link's token, once verified.
    status_token: Option<String>,
    state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "rights_status.html")]
struct StatusPage {
    layout: Layout,
    kind: &'static str,
    state: &'static str,
    closed: bool,
    received: String,
    due: String,
    days_left: i64,
}

fn center(
    site: &Site,
    csrf: &CsrfToken,
    input: RightsInput,
    errors: ValidationErrors,
) -> CenterPage {
    CenterPage {
        layout: Layout::new(site, csrf, "Privacy center", Section::Privacy),
        input,
        errors,
        kinds: OFFERED,
        max_details: MAX_DETAILS,
    }
}

async fn form(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> CenterPage {
    center(
        &site,
        &csrf,
        RightsInput::default(),
        ValidationErrors::new(),
    )
}

async fn submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: Form<ValidRights>,
) -> Result<Response, SiteError> {
    match form.input {
        Ok(valid) => {
            let (_, redacted) = receive(&site, valid).await?;
            Ok(SentPage {
                layout: Layout::new(&site, &csrf, "Check your e-mail", Section::Privacy),
                redacted,
            }
            .into_response())
        }
        Err(errors) => {
            let input: RightsInput = form.fields.raw();
            // The form comes back with patient data taken out: it is not
            // sent out again, not even to the person who typed it.
            let input = RightsInput {
                details: phi_guard::redact(&input.details).text,
                ..input
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                center(&site, &csrf, input, errors),
            )
                .into_response())
        }
    }
}

/// The link from the e-mail shows a button rather than verifying at once,
/// so that a mail filter that opens links to scan them cannot use up the
/// single-use link before the person does.
async fn verify_page(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<VerifyPage, SiteError> {
    check_verify_link(&site, &token).await?;
    Ok(VerifyPage {
        layout: Layout::new(&site, &csrf, "Verify your e-mail", Section::Privacy),
        token,
        status_token: None,
        state: "",
    })
}

async fn verify_submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    _form: FormFields,
) -> Result<VerifyPage, SiteError> {
    let (timeline, status_token) = verify(&site, &token).await?;
    Ok(VerifyPage {
        layout: Layout::new(&site, &csrf, "E-mail verified", Section::Privacy),
        token,
        status_token: Some(status_token),
        state: state_label(timeline.state()),
    })
}

async fn status(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<StatusPage, SiteError> {
    let now = site.now();
    let t = timeline_by_status_token(&site, &token).await?;
    let cal = calendar();
    Ok(StatusPage {
        layout: Layout::new(&site, &csrf, "Your privacy request", Section::Privacy),
        kind: request_label(t.request_type),
        state: state_label(t.state()),
        closed: t.state().is_closed(),
        received: date(t.received_at),
        due: date(rights_request::due_at(&t, &cal)),
        days_left: rights_request::days_left(&t, now, &cal),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "rights_download.html")]
struct DownloadPage {
    layout: Layout,
    token: String,
}

/// The link shows a button, so that a mail scanner opening it does not
/// use up the single download.
async fn download_page(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<DownloadPage, SiteError> {
    check_download(&site, &token).await?;
    Ok(DownloadPage {
        layout: Layout::new(&site, &csrf, "Your copy", Section::Privacy),
        token,
    })
}

async fn download(
    State(site): State<Site>,
    Path(token): Path<String>,
    _form: FormFields,
) -> Result<Response, SiteError> {
    let copy = take_download(&site, &token).await?;
    let json = serde_json::to_vec_pretty(&copy).map_err(|e| SiteError::Internal(e.to_string()))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-data.json\"",
            ),
        ],
        json,
    )
        .into_response())
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/privacy-center", get(form).post(submit))
        .route(
            "/privacy-center/download/{token}",
            get(download_page).post(download),
        )
        .route(
            "/privacy-center/verify/{token}",
            get(verify_page).post(verify_submit),
        )
        .route("/privacy-center/status/{token}", get(status))
}
