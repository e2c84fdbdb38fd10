//! Booking over the API. (The schedule grid pages come next.)

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kerato_app::scheduling::{AppointmentRow, BookingRequest};
use kerato_domain::identity::{Action, Resource};
use serde::Serialize;
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::ApiJson;
use crate::routes::{Access, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "POST",
        "/api/appointments",
        Access::Needs(Resource::Appointment, Action::Create),
        post(book),
    )
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

impl From<&AppointmentRow> for AppointmentView {
    fn from(a: &AppointmentRow) -> Self {
        Self {
            id: a.id.to_string(),
            provider_id: a.provider_id.to_string(),
            patient_id: a.patient_id.to_string(),
            location_id: a.location_id.to_string(),
            appointment_type_id: a.appointment_type_id.to_string(),
            starts_at: a.starts_at.to_string(),
            ends_at: a.ends_at.to_string(),
            status: a.status.clone(),
            overbooked: a.overbooked,
        }
    }
}

#[utoipa::path(post, path = "/api/appointments", tag = "scheduling", operation_id = "book_appointment",
    request_body = BookingRequest,
    responses((status = 201, description = "Booked; the Location header names the appointment", body = AppointmentView),
        (status = 409, description = "The provider is already booked then", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "A field is not valid: outside the provider's hours, in the past, a time skipped or repeated by DST, an ID of another practice", body = Problem)))]
pub(crate) async fn book(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<BookingRequest>,
) -> Result<Response, WebError> {
    let a = state.app.book_appointment(&caller, &body).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/appointments/{}", a.id))],
        Json(AppointmentView::from(&a)),
    )
        .into_response())
}
