//! One request with its clock and the privacy officer's steps on it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kerato_domain::ids::RightsRequestId;
use kerato_domain::rights::{DisagreementInput, Outcome, StepInput};

use super::{RequestLine, day};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use kerato_http::csrf::CsrfToken;

struct Candidate {
    id: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy_request.html")]
pub(super) struct RequestPage {
    layout: Layout,
    line: RequestLine,
    version: i64,
    regime: &'static str,
    received: String,
    contact: String,
    details: String,
    gpc: bool,
    patient: Option<String>,
    identity_note: Option<String>,
    candidates: Vec<Candidate>,
    outcome: Option<String>,
    extended: Option<String>,
    /// A download link made just now, shown this once.
    download: Option<String>,
    /// A denied amendment request, which can take the patient's statement
    /// of disagreement.
    may_attach_disagreement: bool,
}

fn request_id(raw: &str) -> Result<RightsRequestId, WebError> {
    raw.parse()
        .map_err(|_| WebError::NotFound("privacy request"))
}

async fn render_request(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    id: RightsRequestId,
    download: Option<String>,
) -> Result<RequestPage, WebError> {
    let view = state.app.rights_request(caller, id).await?;
    let r = &view.request;
    let candidates = if r.patient_id.is_none() {
        state
            .app
            .request_candidates(caller, r)
            .await?
            .into_iter()
            .map(|p| Candidate {
                id: p.id.to_string(),
                label: format!(
                    "{}, {} · MRN {} · born {}",
                    p.fields.legal_last_name,
                    p.fields.legal_first_name,
                    p.mrn,
                    p.fields.date_of_birth
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let contact = [
        r.requester.date_of_birth.map(|d| format!("born {d}")),
        r.requester.email.clone(),
        r.requester.phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    Ok(RequestPage {
        layout: Layout::signed_in(state, csrf, caller, "privacy").await?,
        line: RequestLine::of(&view),
        version: r.version,
        regime: r.regime().label(),
        received: day(r.timeline.received_at),
        contact,
        details: r.details.clone(),
        gpc: r.gpc,
        patient: r.patient_id.map(|p| p.to_string()),
        identity_note: r.identity_note.clone(),
        candidates,
        outcome: r.timeline.outcome.as_ref().map(|o| match o {
            Outcome::Fulfilled { at, summary } => format!("Fulfilled {}: {summary}", day(*at)),
            Outcome::Denied { at, reason } => format!("Denied {}: {reason}", day(*at)),
        }),
        extended: r
            .timeline
            .extension
            .as_ref()
            .map(|e| format!("Extended {}: {}", day(e.at), e.reason)),
        download,
        may_attach_disagreement: r.is_denied_amendment(),
    })
}

pub(super) async fn request_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<RequestPage, WebError> {
    render_request(&state, &csrf, &caller, request_id(&id)?, None).await
}

pub(super) async fn step(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<StepInput>,
) -> Result<Response, WebError> {
    let id = request_id(&id)?;
    let StepInput { version, step } = form.input?;
    let done = state
        .app
        .rights_request_step(&caller, id, version, step)
        .await?;
    match done.download_token {
        // The link is shown once, on this response; it is nowhere else.
        Some(token) => Ok(render_request(
            &state,
            &csrf,
            &caller,
            id,
            Some(format!("/privacy/download/{token}")),
        )
        .await?
        .into_response()),
        None => Ok(Redirect::to(&format!("/privacy/requests/{id}")).into_response()),
    }
}

pub(super) async fn disagreement(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<DisagreementInput>,
) -> Result<Response, WebError> {
    let id = request_id(&id)?;
    state
        .app
        .attach_disagreement(&caller, id, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/privacy/requests/{id}")).into_response())
}
