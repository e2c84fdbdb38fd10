//! Appointments: booking, the visit flow and next-available over the API,
//! and the day's schedule page, which refreshes itself as the flow moves.
//! The API's reads for a booking script are in `reads`, the patient's
//! booking form in `booking`, one appointment's page in `appointments`,
//! the flow board and week grid in `board`, the set-up page in `setup`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::AppointmentId;
use kerato_domain::scheduling::{Appointment, BookingInput, StatusChange, VisitStatus};
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::{ApiInput, ApiJson, Form};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

mod appointments;
mod board;
mod booking;
pub(crate) mod pick;
pub(crate) mod reads;
mod setup;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let a = Resource::Appointment;
    let set_up = Needs(Resource::Organisation, Action::Update);
    r.add(
        "POST",
        "/api/appointments",
        Needs(a, Action::Create),
        post(book),
    )
    .add(
        "POST",
        "/api/appointments/next-available",
        Needs(a, Action::Query),
        post(api_next_available),
    )
    .add(
        "POST",
        "/api/appointments/{id}/status",
        Needs(a, Action::Update),
        post(api_status),
    )
    .add(
        "GET",
        "/api/appointments/{id}",
        Needs(a, Action::View),
        get(reads::api_get),
    )
    .add(
        "GET",
        "/api/visit-types",
        Needs(a, Action::Query),
        get(reads::api_visit_types),
    )
    .add(
        "GET",
        "/api/resources",
        Needs(a, Action::Query),
        get(reads::api_resources),
    )
    .add(
        "GET",
        "/api/closures",
        Needs(a, Action::Query),
        get(reads::api_closures),
    )
    .add(
        "GET",
        "/api/schedule",
        Needs(a, Action::Query),
        get(reads::api_schedule),
    )
    .add(
        "GET",
        "/schedule",
        Needs(a, Action::Query),
        get(schedule_page),
    )
    .add(
        "POST",
        "/appointments/{id}/status",
        Needs(a, Action::Update),
        post(status_form),
    )
    .add(
        "GET",
        "/flow",
        Needs(a, Action::Query),
        get(board::flow_page),
    )
    .add(
        "GET",
        "/schedule/week",
        Needs(a, Action::Query),
        get(board::week_page),
    )
    .add(
        "GET",
        "/appointments/{id}",
        Needs(a, Action::View),
        get(appointments::appointment_page),
    )
    .add(
        "POST",
        "/appointments/{id}/reschedule",
        Needs(a, Action::Update),
        post(appointments::reschedule_submit),
    )
    .add(
        "POST",
        "/appointments/{id}/cancel",
        Needs(a, Action::Update),
        post(appointments::cancel_submit),
    )
    .add("GET", "/setup/scheduling", set_up, get(setup::setup_page))
    .add(
        "POST",
        "/setup/resources",
        set_up,
        post(setup::setup_resource),
    )
    .add("POST", "/setup/types", set_up, post(setup::setup_type))
    .add("POST", "/setup/breaks", set_up, post(setup::setup_break))
    .add(
        "POST",
        "/setup/closures",
        set_up,
        post(setup::setup_closure),
    )
    .add(
        "POST",
        "/setup/recall-types",
        set_up,
        post(setup::setup_recall_defaults),
    )
    .add(
        "GET",
        "/patients/{id}/book",
        Needs(a, Action::Create),
        get(booking::book_page),
    )
    .add(
        "POST",
        "/patients/{id}/book",
        Needs(a, Action::Create),
        post(booking::book_submit),
    )
}

fn parse_appointment(raw: &str) -> Result<AppointmentId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("appointment"))
}

/// A status change as the API takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: VisitStatus,
    /// Required when cancelling.
    #[serde(default)]
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/appointments/{id}/status", tag = "scheduling", operation_id = "set_visit_status",
    request_body = StatusBody, params(("id" = String, Path, description = "appointment ID")),
    responses((status = 200, description = "Moved", body = AppointmentView),
        (status = 404, description = "No such appointment", body = Problem),
        (status = 409, description = "The flow does not allow that move", body = Problem),
        (status = 422, description = "A field is not valid (a cancellation needs a reason)", body = Problem)))]
pub(crate) async fn api_status(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<AppointmentView>, WebError> {
    let a = state
        .app
        .set_visit_status(
            &caller,
            parse_appointment(&id)?,
            body.status,
            body.reason.as_deref(),
        )
        .await?;
    Ok(Json(AppointmentView::from(&a)))
}

/// What to look for the next free slot of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextAvailableBody {
    pub provider_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
}

/// The next free start, if any in the next 60 days.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextAvailableView {
    /// RFC 3339, UTC; absent when nothing is free.
    pub starts_at: Option<String>,
}

#[utoipa::path(post, path = "/api/appointments/next-available", tag = "scheduling", operation_id = "next_available",
    request_body = NextAvailableBody,
    responses((status = 200, description = "The first free start", body = NextAvailableView),
        (status = 404, description = "No such provider, location or type", body = Problem),
        (status = 422, description = "An ID is not valid", body = Problem)))]
pub(crate) async fn api_next_available(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<NextAvailableBody>,
) -> Result<Json<NextAvailableView>, WebError> {
    let bad = |f: &str| WebError::Validation(ValidationErrors::single(f, "not a valid ID"));
    let provider = body.provider_id.parse().map_err(|_| bad("provider_id"))?;
    let location = body.location_id.parse().map_err(|_| bad("location_id"))?;
    let kind = body
        .appointment_type_id
        .parse()
        .map_err(|_| bad("appointment_type_id"))?;
    let at = state
        .app
        .next_available(&caller, provider, location, kind)
        .await?;
    Ok(Json(NextAvailableView {
        starts_at: at.map(|t| t.to_string()),
    }))
}

struct NextStep {
    value: &'static str,
    label: &'static str,
}

struct LineView {
    id: String,
    time: String,
    patient_id: String,
    patient: String,
    provider: String,
    kind: String,
    status: &'static str,
    waiting: Option<i64>,
    next: Vec<NextStep>,
}

#[derive(Template, WebTemplate)]
#[template(path = "schedule.html")]
struct SchedulePage {
    layout: Layout,
    locations: Vec<Choice>,
    date: String,
    refresh: String,
    problem: Option<String>,
    lines: Vec<LineView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DayQuery {
    location: String,
    date: String,
}

async fn schedule_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<DayQuery>,
) -> Result<SchedulePage, WebError> {
    let locations = state.app.list_locations(&caller).await?;
    let chosen = q
        .location
        .parse()
        .ok()
        .and_then(|id| locations.iter().find(|l| l.id == id))
        .or(locations.first());
    let now = state.app.now();
    let (date, problem) = match q.date.trim() {
        "" => (
            chosen.map(|l| {
                now.to_jiff()
                    .to_zoned_datetime(l.time_zone.zone().clone())
                    .date()
            }),
            None,
        ),
        d => match d.parse::<jiff::civil::Date>() {
            Ok(d) => (Some(d), None),
            Err(_) => (None, Some("write the date as YYYY-MM-DD".to_string())),
        },
    };
    let mut lines = Vec::new();
    if let (Some(loc), Some(date)) = (chosen, date) {
        for l in state.app.day_schedule(&caller, loc.id, date).await? {
            let status = l.appointment.status;
            lines.push(LineView {
                id: l.appointment.id.to_string(),
                time: l
                    .appointment
                    .starts_at
                    .to_jiff()
                    .to_zoned_datetime(loc.time_zone.zone().clone())
                    .strftime("%H:%M")
                    .to_string(),
                patient_id: l.appointment.patient_id.to_string(),
                patient: l.patient_name,
                provider: l.provider_name,
                kind: l.type_name,
                status: status.label(),
                waiting: l.waiting_minutes,
                next: VisitStatus::ALL
                    .into_iter()
                    .filter(|n| status.can_move_to(*n) && *n != VisitStatus::Cancelled)
                    .map(|n| NextStep {
                        value: n.as_str(),
                        label: n.label(),
                    })
                    .collect(),
            });
        }
    }
    let date_text = date
        .map(|d| d.to_string())
        .unwrap_or_else(|| q.date.clone());
    let loc_text = chosen.map(|l| l.id.to_string()).unwrap_or_default();
    Ok(SchedulePage {
        layout: Layout::signed_in(&state, &csrf, &caller, "schedule").await?,
        locations: locations
            .iter()
            .map(|l| Choice {
                value: l.id.to_string(),
                label: l.name.clone(),
                selected: chosen.is_some_and(|c| c.id == l.id),
            })
            .collect(),
        refresh: format!("/schedule?location={loc_text}&date={date_text}"),
        date: date_text,
        problem,
        lines,
    })
}

async fn status_form(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<StatusChange>,
) -> Result<Response, WebError> {
    let change = form.input?;
    state
        .app
        .set_visit_status(
            &caller,
            parse_appointment(&id)?,
            change.status,
            change.reason.as_deref(),
        )
        .await?;
    // Back to the day it came from; only our own schedule addresses are followed.
    let back = form.fields.get("back");
    let ours = back.starts_with("/schedule?") || back.starts_with("/flow?");
    let back = if ours && !back.contains("//") {
        back
    } else {
        "/schedule".to_string()
    };
    Ok(Redirect::to(&back).into_response())
}

/// A booked appointment as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: String,
    pub provider_id: String,
    pub patient_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    /// RFC 3339, UTC.
    pub starts_at: String,
    pub ends_at: String,
    pub status: String,
    /// True when booked over another appointment in a window that allows it.
    pub overbooked: bool,
}

impl From<&Appointment> for AppointmentView {
    fn from(a: &Appointment) -> Self {
        Self {
            id: a.id.to_string(),
            provider_id: a.provider_id.to_string(),
            patient_id: a.patient_id.to_string(),
            location_id: a.location_id.to_string(),
            appointment_type_id: a.appointment_type_id.to_string(),
            starts_at: a.starts_at.to_string(),
            ends_at: a.ends_at.to_string(),
            status: a.status.as_str().to_string(),
            overbooked: a.overbooked,
        }
    }
}

#[utoipa::path(post, path = "/api/appointments", tag = "scheduling", operation_id = "book_appointment",
    request_body = kerato_domain::scheduling::BookingRequest,
    responses((status = 201, description = "Booked; the Location header names the appointment", body = AppointmentView),
        (status = 409, description = "The provider is already booked then", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "A field is not valid: outside the provider's hours, in the past, a time skipped or repeated by DST, an ID of another practice", body = Problem)))]
pub(crate) async fn book(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(input): ApiInput<BookingInput>,
) -> Result<Response, WebError> {
    let a = state.app.book_appointment(&caller, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/appointments/{}", a.id))],
        Json(AppointmentView::from(&a)),
    )
        .into_response())
}
