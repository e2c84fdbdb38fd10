//! The providers' JSON API: providers, their working-hours templates and
//! time off, each body parsed once into the domain's input.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kerato_domain::providers::hours::{HoursFields, HoursInput, HoursTemplate};
use kerato_domain::providers::time_off::{TimeOffFields, TimeOffInput};
use kerato_domain::providers::{Provider, ProviderChange, ProviderInput, VisitTypeScope};
use serde::Serialize;
use utoipa::ToSchema;

use super::{provider_id, template_id};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::ApiInput;

/// A provider as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    pub id: String,
    pub name: String,
    /// The name with the credentials, as schedules show it.
    pub display_name: String,
    /// The staff account of a provider who signs in; null for one without
    /// a login.
    pub user_id: Option<String>,
    pub credentials: String,
    pub npi: Option<String>,
    pub taxonomy_code: Option<String>,
    /// The NUCC name of a common taxonomy code.
    pub taxonomy_label: Option<String>,
    /// Empty: any specialty.
    pub specialties: Vec<String>,
    pub location_ids: Vec<String>,
    /// Null: every visit type of their specialties.
    pub visit_type_ids: Option<Vec<String>>,
    /// `active` or `inactive`.
    pub status: String,
    /// Send this back with an update.
    pub version: i64,
}

impl From<&Provider> for ProviderView {
    fn from(p: &Provider) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            display_name: p.display_name(),
            user_id: p.user_id.map(|u| u.to_string()),
            credentials: p.credentials.clone(),
            npi: p.npi.as_ref().map(ToString::to_string),
            taxonomy_code: p.taxonomy.as_ref().map(ToString::to_string),
            taxonomy_label: p
                .taxonomy
                .as_ref()
                .and_then(|t| t.label())
                .map(str::to_string),
            specialties: p.specialties.iter().map(|s| s.as_str().into()).collect(),
            location_ids: p.locations.iter().map(ToString::to_string).collect(),
            visit_type_ids: match &p.visit_types {
                VisitTypeScope::AllOfSpecialties => None,
                VisitTypeScope::Only(t) => Some(t.iter().map(ToString::to_string).collect()),
            },
            status: p.status.as_str().into(),
            version: p.version,
        }
    }
}

/// One window of a template as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// `monday` … `sunday`.
    pub weekday: String,
    /// Local time, `HH:MM`.
    pub start: String,
    pub end: String,
    pub overbook: bool,
}

/// A working-hours template as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoursView {
    pub id: String,
    pub provider_id: String,
    pub location_id: String,
    /// The first day it applies, `YYYY-MM-DD` (the location's local date).
    pub effective_from: String,
    /// The last day, if it ends.
    pub effective_until: Option<String>,
    /// `every_week` or `every_other_week` (counted from the first week).
    pub repeats: String,
    pub days: Vec<WindowView>,
}

impl From<&HoursTemplate> for HoursView {
    fn from(t: &HoursTemplate) -> Self {
        let i = t.to_input();
        Self {
            id: t.id.to_string(),
            provider_id: t.provider_id.to_string(),
            location_id: i.location_id,
            effective_from: i.effective_from,
            effective_until: i.effective_until,
            repeats: t.pattern.repeats.as_str().into(),
            days: i
                .days
                .into_iter()
                .map(|d| WindowView {
                    weekday: d.weekday,
                    start: d.start,
                    end: d.end,
                    overbook: d.overbook,
                })
                .collect(),
        }
    }
}

/// A closure as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeOffView {
    pub id: String,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    /// RFC 3339, UTC: the first day's local midnight.
    pub starts_at: String,
    /// RFC 3339, UTC: the midnight after the last day.
    pub ends_at: String,
    pub reason: String,
}

#[utoipa::path(get, path = "/api/providers", tag = "providers", operation_id = "list_providers",
    responses((status = 200, description = "Every provider of the practice, by name", body = Vec<ProviderView>),
        (status = 403, description = "The caller may not read the schedule", body = Problem)))]
pub(crate) async fn api_list(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<Vec<ProviderView>>, WebError> {
    let all = state.app.providers(&caller).await?;
    Ok(Json(all.iter().map(ProviderView::from).collect()))
}

#[utoipa::path(get, path = "/api/providers/{id}", tag = "providers", operation_id = "get_provider",
    params(("id" = String, Path, description = "provider ID")),
    responses((status = 200, description = "The provider", body = ProviderView),
        (status = 404, description = "No such provider in this practice", body = Problem)))]
pub(crate) async fn api_get(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ProviderView>, WebError> {
    let p = state.app.provider(&caller, provider_id(&id)?).await?;
    Ok(Json(ProviderView::from(&p)))
}

#[utoipa::path(post, path = "/api/providers", tag = "providers", operation_id = "create_provider", request_body = ProviderInput,
    responses((status = 201, description = "Created; the Location header names it", body = ProviderView),
        (status = 403, description = "Only an administrator sets up providers", body = Problem),
        (status = 422, description = "A field is not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_create(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(change): ApiInput<ProviderChange>,
) -> Result<Response, WebError> {
    let p = state
        .app
        .create_provider(&caller, &change.for_new("provider")?)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/providers/{}", p.id))],
        Json(ProviderView::from(&p)),
    )
        .into_response())
}

#[utoipa::path(put, path = "/api/providers/{id}", tag = "providers", operation_id = "update_provider", request_body = ProviderInput,
    params(("id" = String, Path, description = "provider ID")),
    responses((status = 200, description = "Saved", body = ProviderView),
        (status = 404, description = "No such provider in this practice", body = Problem),
        (status = 409, description = "Someone else saved it since that version", body = Problem),
        (status = 422, description = "A field is not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_update(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiInput(change): ApiInput<ProviderChange>,
) -> Result<Json<ProviderView>, WebError> {
    let id = provider_id(&id)?;
    let (version, fields) = change.for_edit()?;
    let p = state
        .app
        .update_provider(&caller, id, version, &fields)
        .await?;
    Ok(Json(ProviderView::from(&p)))
}

#[utoipa::path(get, path = "/api/providers/{id}/hours", tag = "providers", operation_id = "list_provider_hours",
    params(("id" = String, Path, description = "provider ID")),
    responses((status = 200, description = "Their working-hours templates, in the order they took effect", body = Vec<HoursView>),
        (status = 404, description = "No such provider in this practice", body = Problem)))]
pub(crate) async fn api_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<HoursView>>, WebError> {
    let all = state.app.provider_hours(&caller, provider_id(&id)?).await?;
    Ok(Json(all.iter().map(HoursView::from).collect()))
}

#[utoipa::path(get, path = "/api/providers/{id}/hours/{template}", tag = "providers", operation_id = "get_provider_hours",
    params(("id" = String, Path, description = "provider ID"), ("template" = String, Path, description = "template ID")),
    responses((status = 200, description = "The template", body = HoursView),
        (status = 404, description = "No such provider or template", body = Problem)))]
pub(crate) async fn api_get_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, template)): Path<(String, String)>,
) -> Result<Json<HoursView>, WebError> {
    let t = state
        .app
        .hours_template(&caller, Some(provider_id(&id)?), template_id(&template)?)
        .await?;
    Ok(Json(HoursView::from(&t)))
}

#[utoipa::path(post, path = "/api/providers/{id}/hours", tag = "providers", operation_id = "add_provider_hours", request_body = HoursInput,
    params(("id" = String, Path, description = "provider ID")),
    responses((status = 201, description = "Created; the Location header names it", body = HoursView),
        (status = 404, description = "No such provider in this practice", body = Problem),
        (status = 422, description = "A field is not valid, or the hours clash with the provider's other hours", body = Problem)))]
pub(crate) async fn api_add_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiInput(hours): ApiInput<HoursFields>,
) -> Result<Response, WebError> {
    let provider = provider_id(&id)?;
    let t = state.app.add_hours(&caller, provider, &hours).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/providers/{provider}/hours/{}", t.id),
        )],
        Json(HoursView::from(&t)),
    )
        .into_response())
}

#[utoipa::path(put, path = "/api/providers/{id}/hours/{template}", tag = "providers", operation_id = "replace_provider_hours", request_body = HoursInput,
    params(("id" = String, Path, description = "provider ID"), ("template" = String, Path, description = "template ID")),
    responses((status = 200, description = "Replaced", body = HoursView),
        (status = 404, description = "No such provider or template", body = Problem),
        (status = 422, description = "A field is not valid, or the hours clash with the provider's other hours", body = Problem)))]
pub(crate) async fn api_replace_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, template)): Path<(String, String)>,
    ApiInput(hours): ApiInput<HoursFields>,
) -> Result<Json<HoursView>, WebError> {
    let (provider, template) = (provider_id(&id)?, template_id(&template)?);
    let t = state
        .app
        .replace_hours(&caller, Some(provider), template, &hours)
        .await?;
    Ok(Json(HoursView::from(&t)))
}

#[utoipa::path(delete, path = "/api/providers/{id}/hours/{template}", tag = "providers", operation_id = "remove_provider_hours",
    params(("id" = String, Path, description = "provider ID"), ("template" = String, Path, description = "template ID")),
    responses((status = 204, description = "Removed; appointments already booked stay"),
        (status = 404, description = "No such provider or template", body = Problem)))]
pub(crate) async fn api_remove_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, template)): Path<(String, String)>,
) -> Result<StatusCode, WebError> {
    let (provider, template) = (provider_id(&id)?, template_id(&template)?);
    state
        .app
        .remove_hours(&caller, Some(provider), template)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/providers/{id}/time-off", tag = "providers", operation_id = "add_provider_time_off", request_body = TimeOffInput,
    params(("id" = String, Path, description = "provider ID")),
    responses((status = 201, description = "Recorded; bookings then are refused with the reason", body = TimeOffView),
        (status = 404, description = "No such provider or location", body = Problem),
        (status = 422, description = "A field is not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_time_off(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiInput(t): ApiInput<TimeOffFields>,
) -> Result<Response, WebError> {
    let provider = provider_id(&id)?;
    let row = state
        .app
        .close_days(
            &caller,
            Some(provider),
            t.location_id,
            t.first,
            t.last,
            &t.reason,
        )
        .await?;
    let view = TimeOffView {
        id: row.id.to_string(),
        provider_id: row.provider_id.map(|p| p.to_string()),
        location_id: row.location_id.map(|l| l.to_string()),
        starts_at: row.starts_at.to_string(),
        ends_at: row.ends_at.to_string(),
        reason: row.reason,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
