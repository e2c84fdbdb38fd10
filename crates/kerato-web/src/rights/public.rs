//! The public pages a patient uses without signing in: the rights request
//! form and the one-time download of an access package.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kerato_domain::ids::OrganisationId;
use kerato_domain::rights::input::practice_of_link;
use kerato_domain::rights::{Channel, RequestInput};

use super::{gpc, jurisdictions, request_types};
use crate::WebState;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

#[derive(Template, WebTemplate)]
#[template(path = "privacy_public_request.html")]
pub(super) struct PublicFormPage {
    layout: Layout,
    /// The practice named by the link, carried by the form.
    practice: String,
    types: Vec<Choice>,
    jurisdictions: Vec<Choice>,
    gpc: bool,
    received: Option<String>,
}

impl PublicFormPage {
    /// The form of the practice its link names, with that practice's
    /// announcements.
    async fn new(
        state: &WebState,
        csrf: &CsrfToken,
        practice: Option<OrganisationId>,
        gpc: bool,
    ) -> Result<Self, WebError> {
        Ok(PublicFormPage {
            layout: Layout::public(csrf, "privacy")
                .with_announcements(&state.app.practice_announcements(practice).await?),
            practice: practice.map(|p| p.to_string()).unwrap_or_default(),
            types: request_types(),
            jurisdictions: jurisdictions(),
            gpc,
            received: None,
        })
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct PracticeQuery {
    practice: String,
}

pub(super) async fn public_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    Query(q): Query<PracticeQuery>,
) -> Result<PublicFormPage, WebError> {
    let practice = practice_of_link(&q.practice)?;
    PublicFormPage::new(&state, &csrf, practice, gpc(&headers)).await
}

pub(super) async fn public_request(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    form: Form<RequestInput>,
) -> Result<PublicFormPage, WebError> {
    let input = form.input?;
    let request = state
        .app
        .receive_rights_request(None, Channel::Portal, &input, gpc(&headers))
        .await?;
    let mut page = PublicFormPage::new(&state, &csrf, input.practice, request.gpc).await?;
    page.received = Some(request.id.to_string());
    Ok(page)
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy_download.html")]
pub(super) struct DownloadPage {
    layout: Layout,
    token: String,
    file_name: String,
}

pub(super) async fn download_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<DownloadPage, WebError> {
    // Opening the link does not spend it: mail scanners open links, and
    // only the button below downloads.
    let file_name = state.app.download_status(&token).await?;
    Ok(DownloadPage {
        layout: Layout::public(&csrf, "privacy"),
        token,
        file_name,
    })
}

pub(super) async fn download(
    State(state): State<WebState>,
    Path(token): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let (name, bytes) = state.app.download_package(&token).await?;
    Ok(crate::view::file_response(
        "application/zip",
        "attachment",
        &name,
        bytes,
    ))
}
