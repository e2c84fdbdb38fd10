//! The set-up over the JSON API: where it stands, skipping a step, the
//! specialties' defaults, the first notice, opening hours and messaging,
//! each body parsed once into the domain's input.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kerato_app::setup::SetupProgress;
use kerato_domain::setup::{
    FirstNotice, MessagingInput, MessagingSettings, MessagingStatus, NoticeInput, OpeningWeek,
    OpeningWeekInput, SpecialtyChoice, SpecialtyChoiceInput, TestMessage, TestMessageInput,
    week_input,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{location_id, step_of};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::ApiInput;

/// One step and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// `practice`, `specialties`, `providers`, `staff`, `privacy_notice`,
    /// `messaging` or `first_appointment`.
    pub step: String,
    pub label: String,
    /// `todo`, `done` or `skipped`.
    pub state: String,
}

/// Where the set-up stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupView {
    pub steps: Vec<StepView>,
    /// The step to resume at; null once the set-up is complete.
    pub next: Option<String>,
}

impl From<&SetupProgress> for SetupView {
    fn from(p: &SetupProgress) -> Self {
        Self {
            steps: p
                .steps
                .iter()
                .map(|(s, st)| StepView {
                    step: s.as_str().into(),
                    label: s.label().into(),
                    state: st.as_str().into(),
                })
                .collect(),
            next: p.next.map(|s| s.as_str().into()),
        }
    }
}

#[utoipa::path(get, path = "/api/setup", tag = "setup", operation_id = "setup_progress",
    responses((status = 200, description = "Every step and where it stands", body = SetupView),
        (status = 403, description = "Only an administrator sets the practice up", body = Problem)))]
pub(crate) async fn api_progress(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<SetupView>, WebError> {
    Ok(Json(SetupView::from(
        &state.app.setup_progress(&caller).await?,
    )))
}

#[utoipa::path(post, path = "/api/setup/steps/{step}/skip", tag = "setup", operation_id = "skip_setup_step",
    params(("step" = String, Path, description = "`staff` or `messaging`")),
    responses((status = 200, description = "Skipped for now", body = SetupView),
        (status = 404, description = "No such step", body = Problem),
        (status = 422, description = "The practice needs this step", body = Problem)))]
pub(crate) async fn api_skip(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(step): Path<String>,
) -> Result<Json<SetupView>, WebError> {
    state.app.skip_setup_step(&caller, step_of(&step)?).await?;
    Ok(Json(SetupView::from(
        &state.app.setup_progress(&caller).await?,
    )))
}

/// What was added (what existed by name was kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct DefaultsView {
    pub visit_types: usize,
    pub resources: usize,
    pub recall_types: usize,
}

#[utoipa::path(post, path = "/api/setup/defaults", tag = "setup", operation_id = "install_specialty_defaults",
    request_body = SpecialtyChoiceInput,
    responses((status = 200, description = "Added what was missing; again adds nothing", body = DefaultsView),
        (status = 422, description = "An unknown specialty, or none", body = Problem)))]
pub(crate) async fn api_defaults(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(SpecialtyChoice(set)): ApiInput<SpecialtyChoice>,
) -> Result<Json<DefaultsView>, WebError> {
    let added = state.app.install_specialty_defaults(&caller, &set).await?;
    Ok(Json(DefaultsView {
        visit_types: added.visit_types,
        resources: added.resources,
        recall_types: added.recall_types,
    }))
}

/// A published notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub version: i64,
    /// RFC 3339, UTC.
    pub effective_at: String,
}

#[utoipa::path(post, path = "/api/setup/privacy-notice", tag = "setup", operation_id = "publish_first_notice",
    request_body = NoticeInput,
    responses((status = 201, description = "Published", body = NoticeView),
        (status = 409, description = "The practice already has a notice", body = Problem),
        (status = 422, description = "A field is not valid", body = Problem)))]
pub(crate) async fn api_notice(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(notice): ApiInput<FirstNotice>,
) -> Result<Response, WebError> {
    let row = state.app.publish_setup_notice(&caller, &notice).await?;
    Ok((
        StatusCode::CREATED,
        Json(NoticeView {
            version: row.version,
            effective_at: row.effective_at.to_string(),
        }),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/locations/{id}/hours", tag = "setup", operation_id = "get_opening_hours",
    params(("id" = String, Path, description = "location ID")),
    responses((status = 200, description = "The opening hours, Monday first", body = OpeningWeekInput),
        (status = 404, description = "No such location", body = Problem)))]
pub(crate) async fn api_opening_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<OpeningWeekInput>, WebError> {
    let hours = state.app.opening_hours(&caller, location_id(&id)?).await?;
    Ok(Json(week_input(&hours)))
}

#[utoipa::path(put, path = "/api/locations/{id}/hours", tag = "setup", operation_id = "set_opening_hours",
    request_body = OpeningWeekInput, params(("id" = String, Path, description = "location ID")),
    responses((status = 200, description = "Saved", body = OpeningWeekInput),
        (status = 404, description = "No such location", body = Problem),
        (status = 422, description = "A day is not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_set_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiInput(week): ApiInput<OpeningWeek>,
) -> Result<Json<OpeningWeekInput>, WebError> {
    let id = location_id(&id)?;
    let hours = state.app.set_opening_hours(&caller, id, &week).await?;
    Ok(Json(week_input(&hours)))
}

/// The messaging settings in force (never a password or token).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagingView {
    /// The SMTP URL with any password hidden.
    pub smtp_server: Option<String>,
    pub from_address: String,
    pub sms_gateway_url: Option<String>,
    pub has_sms_token: bool,
    /// Set in the server's configuration file, which wins.
    pub from_configuration: bool,
    /// RFC 3339, UTC.
    pub tested_at: Option<String>,
    /// `email` or `sms`.
    pub tested_channel: Option<String>,
    pub test_passed: bool,
    /// Why the last test failed.
    pub test_error: Option<String>,
}

impl From<&MessagingStatus> for MessagingView {
    fn from(m: &MessagingStatus) -> Self {
        Self {
            smtp_server: m.smtp_server.clone(),
            from_address: m.from_address.clone(),
            sms_gateway_url: m.sms_gateway_url.clone(),
            has_sms_token: m.has_sms_token,
            from_configuration: m.from_configuration,
            tested_at: m.tested_at.map(|t| t.to_string()),
            tested_channel: m.tested_channel.map(|c| c.as_str().into()),
            test_passed: m.test_passed,
            test_error: m.test_error.clone(),
        }
    }
}

#[utoipa::path(get, path = "/api/settings/messaging", tag = "setup", operation_id = "get_messaging",
    responses((status = 200, description = "The settings in force", body = MessagingView),
        (status = 403, description = "Only an administrator sees them", body = Problem)))]
pub(crate) async fn api_messaging(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<MessagingView>, WebError> {
    Ok(Json(MessagingView::from(
        &state.app.messaging_status(&caller).await?,
    )))
}

#[utoipa::path(put, path = "/api/settings/messaging", tag = "setup", operation_id = "save_messaging",
    request_body = MessagingInput,
    responses((status = 200, description = "Saved; send a test next", body = MessagingView),
        (status = 422, description = "A setting is not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_save_messaging(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(settings): ApiInput<MessagingSettings>,
) -> Result<Json<MessagingView>, WebError> {
    Ok(Json(MessagingView::from(
        &state.app.save_messaging(&caller, &settings).await?,
    )))
}

#[utoipa::path(post, path = "/api/settings/messaging/test", tag = "setup", operation_id = "send_test_message",
    request_body = TestMessageInput,
    responses((status = 200, description = "Tried; `test_passed` and `test_error` say how it went", body = MessagingView),
        (status = 422, description = "A field is not valid", body = Problem)))]
pub(crate) async fn api_test_message(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(test): ApiInput<TestMessage>,
) -> Result<Json<MessagingView>, WebError> {
    Ok(Json(MessagingView::from(
        &state.app.send_test_message(&caller, &test).await?,
    )))
}
