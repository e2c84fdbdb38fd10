//! The recall due list and its forms: put a patient on recall, send the
//! notices due, record how a call went.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::recalls::{NoticesInput, Outreach, RecallInput};
use serde::Deserialize;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::scheduling::pick::{bad, parse_date, patient_param, plain};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let a = Resource::Appointment;
    r.add(
        "GET",
        "/recalls",
        Needs(a, Action::Query),
        get(recalls_page),
    )
    .add(
        "POST",
        "/recalls",
        Needs(a, Action::Create),
        post(recall_add),
    )
    .add(
        "POST",
        "/recalls/notices",
        Needs(a, Action::Update),
        post(recall_notices),
    )
    .add(
        "POST",
        "/recalls/{id}/outreach",
        Needs(a, Action::Update),
        post(recall_outreach),
    )
}

struct RecallView {
    id: String,
    due: String,
    patient_id: String,
    patient: String,
    kind: String,
    channel: String,
    outreach: &'static str,
    attempts: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "recalls.html")]
struct RecallsPage {
    layout: Layout,
    until: String,
    types: Vec<Choice>,
    recalls: Vec<RecallView>,
    outcomes: Vec<Choice>,
    patient: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecallQuery {
    until: String,
    kind: String,
    patient: String,
}

async fn recalls_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<RecallQuery>,
) -> Result<RecallsPage, WebError> {
    let until = if q.until.trim().is_empty() {
        // Due within the next 30 days by default.
        state
            .app
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .checked_add(jiff::Span::new().days(30))
            .map_err(|_| bad("until", "the date is out of range"))?
    } else {
        parse_date("until", &q.until)?
    };
    let kind = q.kind.parse().ok();
    let types = state.app.recall_types(&caller).await?;
    let due = state.app.due_recalls(&caller, until, kind).await?;
    Ok(RecallsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "recalls").await?,
        until: until.to_string(),
        types: types
            .iter()
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.name.clone(),
                selected: kind == Some(t.id),
            })
            .collect(),
        recalls: due
            .into_iter()
            .map(|d| RecallView {
                id: d.recall.id.to_string(),
                due: d.recall.due_date.to_string(),
                patient_id: d.recall.patient_id.to_string(),
                patient: format!("{}, {}", d.last_name, d.first_name),
                kind: d.type_name,
                channel: d.reminder_channel.as_str().to_string(),
                outreach: d.recall.outreach.label(),
                attempts: d.recall.outreach_attempts,
            })
            .collect(),
        outcomes: Outreach::outcomes()
            .map(|o| plain(o.as_str(), o.label()))
            .collect(),
        patient: patient_param(&q.patient),
    })
}

async fn recall_add(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<RecallInput>,
) -> Result<Response, WebError> {
    let r = state.app.add_recall(&caller, &form.input?).await?;
    Ok(Redirect::to(&format!("/patients/{}", r.patient_id)).into_response())
}

async fn recall_notices(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<NoticesInput>,
) -> Result<Response, WebError> {
    let until = form.input?.until;
    state.app.send_recall_notices(&caller, until).await?;
    Ok(Redirect::to(&format!("/recalls?until={until}")).into_response())
}

async fn recall_outreach(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<Outreach>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("recall"))?;
    state
        .app
        .record_recall_outreach(&caller, id, form.input?)
        .await?;
    Ok(Redirect::to("/recalls").into_response())
}
