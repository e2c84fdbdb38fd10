//! The API's reads for a booking script: an appointment, the visit types,
//! the rooms and devices, the closures in a run of days, and a location's
//! day as JSON. Dates are the location's local `YYYY-MM-DD`, instants RFC
//! 3339 in UTC.

use axum::Json;
use axum::extract::{Path, State};
use kerato_app::scheduling::{ClosureDays, ScheduledVisit};
use kerato_domain::scheduling::BookableResource;
use kerato_domain::scheduling::queries::{ClosuresQuery, ResourcesQuery, ScheduleQuery};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppointmentView, parse_appointment};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::ApiQuery;

#[utoipa::path(get, path = "/api/appointments/{id}", tag = "scheduling", operation_id = "get_appointment",
    params(("id" = String, Path, description = "appointment ID")),
    responses((status = 200, description = "The appointment, as its booking answered", body = AppointmentView),
        (status = 403, description = "The appointment is at a location outside the caller's", body = Problem),
        (status = 404, description = "No such appointment in this practice", body = Problem)))]
pub(crate) async fn api_get(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<AppointmentView>, WebError> {
    let a = state
        .app
        .appointment(&caller, parse_appointment(&id)?)
        .await?;
    Ok(Json(AppointmentView::from(&a)))
}

/// A kind of visit and what booking it takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitTypeView {
    /// What a booking names as `appointment_type_id`.
    pub id: String,
    pub name: String,
    pub duration_minutes: i64,
    /// Only providers of this specialty take it; any provider when absent.
    pub specialty: Option<String>,
    /// `#rrggbb`.
    pub colour: String,
    /// Meant for patients new to the practice.
    pub new_patient: bool,
    /// One room or device of each of these kinds is held for the visit.
    pub resource_kinds: Vec<String>,
}

#[utoipa::path(get, path = "/api/visit-types", tag = "scheduling", operation_id = "list_visit_types",
    responses((status = 200, description = "The practice's visit types, by name", body = Vec<VisitTypeView>),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "The role may not see the schedule", body = Problem)))]
pub(crate) async fn api_visit_types(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<Vec<VisitTypeView>>, WebError> {
    let types = state.app.visit_types(&caller).await?;
    Ok(Json(
        types
            .into_iter()
            .map(|t| VisitTypeView {
                id: t.id.to_string(),
                name: t.name,
                duration_minutes: t.duration_minutes,
                specialty: t.specialty.map(|s| s.as_str().to_string()),
                colour: t.colour,
                new_patient: t.new_patient,
                resource_kinds: t.resources.iter().map(|k| k.as_str().to_string()).collect(),
            })
            .collect(),
    ))
}

/// A room, lane or device.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceView {
    /// What a booking names in `resource_ids`.
    pub id: String,
    pub location_id: String,
    /// `exam_room`, `pretest_lane`, `oct`, … as visit types name them.
    pub kind: String,
    pub name: String,
}

impl From<&BookableResource> for ResourceView {
    fn from(r: &BookableResource) -> Self {
        Self {
            id: r.id.to_string(),
            location_id: r.location_id.to_string(),
            kind: r.kind.as_str().to_string(),
            name: r.name.clone(),
        }
    }
}

#[utoipa::path(get, path = "/api/resources", tag = "scheduling", operation_id = "list_resources",
    params(ResourcesQuery),
    responses((status = 200, description = "Rooms and devices by location, kind and name", body = Vec<ResourceView>),
        (status = 404, description = "No such location in this practice", body = Problem),
        (status = 422, description = "A parameter is unknown or not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_resources(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiQuery(q): ApiQuery<ResourcesQuery>,
) -> Result<Json<Vec<ResourceView>>, WebError> {
    let rows = state.app.resources_at(&caller, &q.validate()?).await?;
    Ok(Json(rows.iter().map(ResourceView::from).collect()))
}

/// A holiday (a location closed) or a provider's time off.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    pub id: String,
    /// `holiday` or `time_off`.
    pub kind: String,
    /// The provider off; absent for a holiday.
    pub provider_id: Option<String>,
    /// The location closed, or where the provider is off; absent for time
    /// off wherever the provider works.
    pub location_id: Option<String>,
    pub reason: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    /// RFC 3339, UTC; the first instant no longer closed.
    pub ends_at: String,
    /// The zone `first_day` and `last_day` are counted in: the location's,
    /// or the provider's first location's.
    pub time_zone: String,
    /// `YYYY-MM-DD`, local.
    pub first_day: String,
    /// `YYYY-MM-DD`, local: the day of the closure's last instant.
    pub last_day: String,
}

impl From<&ClosureDays> for ClosureView {
    fn from(c: &ClosureDays) -> Self {
        let row = &c.closure;
        Self {
            id: row.id.to_string(),
            kind: row.kind.as_str().to_string(),
            provider_id: row.provider_id.map(|p| p.to_string()),
            location_id: row.location_id.map(|l| l.to_string()),
            reason: row.reason.clone(),
            starts_at: row.starts_at.to_string(),
            ends_at: row.ends_at.to_string(),
            time_zone: c.time_zone.clone(),
            first_day: c.first_day.to_string(),
            last_day: c.last_day.to_string(),
        }
    }
}

#[utoipa::path(get, path = "/api/closures", tag = "scheduling", operation_id = "list_closures",
    params(ClosuresQuery),
    responses((status = 200, description = "Holidays and time off whose local days meet `from` to `to`, by start", body = Vec<ClosureView>),
        (status = 404, description = "No such location or provider in this practice", body = Problem),
        (status = 422, description = "A parameter is missing, unknown or not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_closures(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiQuery(q): ApiQuery<ClosuresQuery>,
) -> Result<Json<Vec<ClosureView>>, WebError> {
    let rows = state.app.closures_between(&caller, &q.validate()?).await?;
    Ok(Json(rows.iter().map(ClosureView::from).collect()))
}

/// One appointment of a day's schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleEntryView {
    pub id: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    /// `HH:MM`, the location's local time.
    pub start_time: String,
    pub end_time: String,
    pub patient_id: String,
    /// `Last, First`.
    pub patient_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub appointment_type_id: String,
    pub appointment_type_name: String,
    /// `booked`, `arrived`, `pretest`, `with_provider`, `checkout`, `done`,
    /// `no_show` or `cancelled`.
    pub status: String,
    pub overbooked: bool,
    /// Minutes since arrival, for a patient still in the building.
    pub waiting_minutes: Option<i64>,
    /// The rooms and devices the appointment holds.
    pub resources: Vec<ResourceView>,
}

/// A location's day.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub location_id: String,
    /// `YYYY-MM-DD`, local.
    pub date: String,
    /// The location's IANA time zone, which the local times are in.
    pub time_zone: String,
    /// By start time.
    pub appointments: Vec<ScheduleEntryView>,
}

#[utoipa::path(get, path = "/api/schedule", tag = "scheduling", operation_id = "get_schedule",
    params(ScheduleQuery),
    description = "One location's appointments on one local day, cancelled ones included. It names patients, so each read is audited.",
    responses((status = 200, description = "The day", body = ScheduleView),
        (status = 403, description = "The location is outside the caller's", body = Problem),
        (status = 404, description = "No such location in this practice", body = Problem),
        (status = 422, description = "A parameter is missing, unknown or not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_schedule(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiQuery(q): ApiQuery<ScheduleQuery>,
) -> Result<Json<ScheduleView>, WebError> {
    let day = state.app.schedule_day(&caller, &q.validate()?).await?;
    let tz = day.location.time_zone.zone().clone();
    let local = |t: kerato_domain::time::Timestamp| {
        t.to_jiff()
            .to_zoned_datetime(tz.clone())
            .strftime("%H:%M")
            .to_string()
    };
    let entry = |v: &ScheduledVisit| {
        let a = &v.line.appointment;
        ScheduleEntryView {
            id: a.id.to_string(),
            starts_at: a.starts_at.to_string(),
            ends_at: a.ends_at.to_string(),
            start_time: local(a.starts_at),
            end_time: local(a.ends_at),
            patient_id: a.patient_id.to_string(),
            patient_name: v.line.patient_name.clone(),
            provider_id: a.provider_id.to_string(),
            provider_name: v.line.provider_name.clone(),
            appointment_type_id: a.appointment_type_id.to_string(),
            appointment_type_name: v.line.type_name.clone(),
            status: a.status.as_str().to_string(),
            overbooked: a.overbooked,
            waiting_minutes: v.line.waiting_minutes,
            resources: v.resources.iter().map(ResourceView::from).collect(),
        }
    };
    Ok(Json(ScheduleView {
        location_id: day.location.id.to_string(),
        date: day.date.to_string(),
        time_zone: day.location.time_zone.as_str().to_string(),
        appointments: day.visits.iter().map(entry).collect(),
    }))
}
