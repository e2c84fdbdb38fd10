//! One appointment's page, and its forms to move or cancel it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kerato_domain::scheduling::{CancelInput, RescheduleInput, VisitStatus};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use kerato_http::csrf::CsrfToken;

#[derive(Template, WebTemplate)]
#[template(path = "appointment.html")]
pub(super) struct AppointmentPage {
    layout: Layout,
    id: String,
    patient_id: String,
    when: String,
    date: String,
    time: String,
    status: &'static str,
    booked: bool,
    in_series: bool,
}

pub(super) async fn appointment_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<AppointmentPage, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("appointment"))?;
    let a = state.app.appointment(&caller, id).await?;
    let locations = state.app.list_locations(&caller).await?;
    let zone = locations
        .iter()
        .find(|l| l.id == a.location_id)
        .map(|l| l.time_zone.zone().clone())
        .ok_or(WebError::NotFound("location"))?;
    let local = a.starts_at.to_jiff().to_zoned_datetime(zone);
    let status = a.status;
    Ok(AppointmentPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "schedule").await?,
        id: a.id.to_string(),
        patient_id: a.patient_id.to_string(),
        when: local.strftime("%A %B %-d, %Y at %H:%M").to_string(),
        date: local.date().to_string(),
        time: local.time().strftime("%H:%M").to_string(),
        status: status.label(),
        booked: status == VisitStatus::Booked,
        in_series: a.series_id.is_some(),
    })
}

pub(super) async fn reschedule_submit(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<RescheduleInput>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("appointment"))?;
    let to = form.input?;
    let a = state.app.reschedule_appointment(&caller, id, &to).await?;
    Ok(Redirect::to(&format!(
        "/schedule?location={}&date={}",
        a.location_id, to.date
    ))
    .into_response())
}

pub(super) async fn cancel_submit(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<CancelInput>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("appointment"))?;
    let cancel = form.input?;
    let a = if cancel.whole_series {
        state.app.cancel_series(&caller, id, &cancel.reason).await?;
        state.app.appointment(&caller, id).await?
    } else {
        state
            .app
            .set_visit_status(&caller, id, VisitStatus::Cancelled, Some(&cancel.reason))
            .await?
    };
    Ok(Redirect::to(&format!("/schedule?location={}", a.location_id)).into_response())
}
