//! Booking from a chart: the form, the next free slots, and the booking
//! itself (moved here unchanged from the former `patients.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::ids::PatientId;

use super::{display_name, parse_id};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::FormFields;
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

#[derive(Template, WebTemplate)]
#[template(path = "book.html")]
pub(super) struct BookPage {
    layout: Layout,
    id: String,
    patient: String,
    problem: Option<String>,
    notice: Option<String>,
    locations: Vec<Choice>,
    providers: Vec<Choice>,
    types: Vec<Choice>,
    date: String,
    time: String,
}

/// The booking form, with `chosen` (location, provider, type) selected.
async fn book_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    id: PatientId,
    chosen: [&str; 3],
) -> Result<BookPage, WebError> {
    let patient = state.app.get_patient(caller, id).await?;
    let locations = state.app.list_locations(caller).await?;
    let (providers, types) = state.app.booking_choices(caller).await?;
    let pick = |value: String, label: String, i: usize| Choice {
        selected: chosen[i] == value,
        value,
        label,
    };
    Ok(BookPage {
        layout: Layout::signed_in(state, csrf, caller, "schedule").await?,
        id: id.to_string(),
        patient: display_name(&patient),
        problem: None,
        notice: None,
        locations: locations
            .into_iter()
            .map(|l| pick(l.id.to_string(), l.name, 0))
            .collect(),
        providers: std::iter::once(pick(String::new(), "Any provider".into(), 1))
            .chain(
                providers
                    .into_iter()
                    .map(|p| pick(p.id.to_string(), p.name, 1)),
            )
            .collect(),
        types: types
            .into_iter()
            .map(|t| {
                pick(
                    t.id.to_string(),
                    format!("{} ({} min)", t.name, t.duration_minutes),
                    2,
                )
            })
            .collect(),
        date: String::new(),
        time: String::new(),
    })
}

pub(super) async fn book_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<BookPage, WebError> {
    book_view(&state, &csrf, &caller, parse_id(&id)?, ["", "", ""]).await
}

pub(super) async fn book_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (loc, prov, kind) = (
        form.get("location_id"),
        form.get("provider_id"),
        form.get("appointment_type_id"),
    );
    let mut page = book_view(&state, &csrf, &caller, id, [&loc, &prov, &kind]).await?;
    if form.get("action") == "find" {
        let bad = |field: &str, what: &str| {
            WebError::Validation(ValidationErrors::single(field, format!("choose {what}")))
        };
        let query = kerato_app::scheduling::SlotQuery {
            appointment_type: Some(
                kind.parse()
                    .map_err(|_| bad("appointment_type_id", "a visit"))?,
            ),
            provider: match prov.as_str() {
                "" => None,
                p => Some(p.parse().map_err(|_| bad("provider_id", "a provider"))?),
            },
            location: Some(loc.parse().map_err(|_| bad("location_id", "a location"))?),
            from: None,
            limit: 5,
        };
        let offers = state.app.find_slots(&caller, &query).await?;
        match offers.first() {
            Some(first) => {
                page.date = first.date.to_string();
                page.time = first.time.strftime("%H:%M").to_string();
                let chosen = first.provider_id.to_string();
                for p in &mut page.providers {
                    p.selected = p.value == chosen;
                }
                let others: Vec<String> = offers[1..]
                    .iter()
                    .map(|o| {
                        format!(
                            "{} {} ({})",
                            o.date,
                            o.time.strftime("%H:%M"),
                            o.provider_name
                        )
                    })
                    .collect();
                page.notice = Some(format!(
                    "Next available: {} at {} with {}.{}",
                    page.date,
                    page.time,
                    first.provider_name,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" Then: {}.", others.join("; "))
                    }
                ));
            }
            None => {
                page.problem = Some(format!(
                    "Nothing is free in the next {} days for that visit there.",
                    kerato_app::scheduling::HORIZON_DAYS
                ))
            }
        }
        return Ok(page.into_response());
    }
    let req = kerato_app::scheduling::BookingRequest {
        provider_id: prov,
        patient_id: id.to_string(),
        location_id: loc.clone(),
        appointment_type_id: kind,
        date: form.get("date"),
        time: form.get("time"),
        ..Default::default()
    };
    let weekdays = form.get("weekdays");
    let booked = if weekdays.trim().is_empty() {
        state.app.book_appointment(&caller, &req).await.map(|_| ())
    } else {
        let weeks = form.get("weeks").trim().parse().map_err(|_| {
            WebError::Validation(ValidationErrors::single(
                "weeks",
                "write the number of weeks",
            ))
        })?;
        state
            .app
            .book_series(&caller, &req, &weekdays, weeks)
            .await
            .map(|_| ())
    };
    match booked {
        Ok(()) => Ok(Redirect::to(&format!(
            "/schedule?location={loc}&date={}",
            req.date.trim()
        ))
        .into_response()),
        Err(AppError::Validation(e)) => {
            page.date = req.date;
            page.time = req.time;
            page.problem = Some(
                e.errors
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(m)) => {
            page.date = req.date;
            page.time = req.time;
            page.problem = Some(m);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
