//! The booking form of a patient's page: find the next free slots, or book
//! the patient once or as a series. A submission is parsed once, booked by
//! one use case, and only a refused one builds the form again (reading the
//! patient's name and the practice's choices), so a booking that succeeds
//! reads nothing else and leaves exactly its own audit event.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::scheduling::{HORIZON_DAYS, SlotOffer};
use kerato_app::{AppError, Caller};
use kerato_domain::ValidationErrors;
use kerato_domain::ids::PatientId;
use kerato_domain::scheduling::{BookingForm, BookingInput, SlotQuery};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::patients::display_name;
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

/// What the form shows besides its choices: the fields as the user left
/// them, and what to tell them.
#[derive(Default)]
struct Shown {
    /// Location, provider and visit type, as their IDs' text.
    chosen: [String; 3],
    date: String,
    time: String,
    problem: Option<String>,
    notice: Option<String>,
}

impl Shown {
    /// The form as it was sent, with `problem` to show.
    fn sent(fields: &FormFields, problem: String) -> Self {
        Self {
            chosen: ["location_id", "provider_id", "appointment_type_id"].map(|f| fields.get(f)),
            date: fields.get("date"),
            time: fields.get("time"),
            problem: Some(problem),
            notice: None,
        }
    }
}

fn patient_id(raw: &str) -> Result<PatientId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("patient"))
}

/// The booking form for `id`.
async fn book_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &Caller,
    id: PatientId,
    shown: Shown,
) -> Result<BookPage, WebError> {
    let patient = state.app.get_patient(caller, id).await?;
    let locations = state.app.list_locations(caller).await?;
    let (providers, types) = state.app.booking_choices(caller).await?;
    let pick = |value: String, label: String, i: usize| Choice {
        selected: shown.chosen[i] == value,
        value,
        label,
    };
    Ok(BookPage {
        layout: Layout::signed_in(state, csrf, caller, "schedule").await?,
        id: id.to_string(),
        patient: display_name(&patient),
        problem: shown.problem.clone(),
        notice: shown.notice.clone(),
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
        date: shown.date,
        time: shown.time,
    })
}

pub(super) async fn book_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<BookPage, WebError> {
    book_view(&state, &csrf, &caller, patient_id(&id)?, Shown::default()).await
}

/// Every problem of a refusal, in one sentence for the form's banner.
fn sentence(e: &ValidationErrors) -> String {
    e.errors
        .iter()
        .map(|f| f.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The form filled in with the first free slot, the others named.
fn offered(query: &SlotQuery, offers: &[SlotOffer]) -> Shown {
    let text = |o: Option<String>| o.unwrap_or_default();
    let mut shown = Shown {
        chosen: [
            text(query.location.map(|l| l.to_string())),
            text(query.provider.map(|p| p.to_string())),
            text(query.appointment_type.map(|t| t.to_string())),
        ],
        ..Shown::default()
    };
    let Some(first) = offers.first() else {
        shown.problem = Some(format!(
            "Nothing is free in the next {} days for that visit there.",
            HORIZON_DAYS
        ));
        return shown;
    };
    shown.date = first.date.to_string();
    shown.time = first.time.strftime("%H:%M").to_string();
    shown.chosen[1] = first.provider_id.to_string();
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
    shown.notice = Some(format!(
        "Next available: {} at {} with {}.{}",
        shown.date,
        shown.time,
        first.provider_name,
        if others.is_empty() {
            String::new()
        } else {
            format!(" Then: {}.", others.join("; "))
        }
    ));
    shown
}

pub(super) async fn book_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<BookingForm>,
) -> Result<Response, WebError> {
    let id = patient_id(&id)?;
    // Built only when the booking was refused: the page reads the patient
    // and the practice's choices, which a booking does not need.
    let refused = async |status: StatusCode, problem: String| {
        let shown = Shown::sent(&form.fields, problem);
        let page = book_view(&state, &csrf, &caller, id, shown).await?;
        Ok((status, page).into_response())
    };
    let (slot, series) = match form.input {
        Err(ref e) => return refused(StatusCode::UNPROCESSABLE_ENTITY, sentence(e)).await,
        Ok(BookingForm::Find(ref query)) => {
            let offers = state.app.find_slots(&caller, query).await?;
            let page = book_view(&state, &csrf, &caller, id, offered(query, &offers)).await?;
            return Ok(page.into_response());
        }
        Ok(BookingForm::Book {
            ref slot,
            ref series,
        }) => (slot.clone(), series.clone()),
    };
    let back = format!("/schedule?location={}&date={}", slot.location_id, slot.date);
    let input = BookingInput {
        patient_id: id,
        slot,
    };
    let booked = match &series {
        None => state.app.book_appointment(&caller, &input).await.map(drop),
        Some(r) => state.app.book_series(&caller, &input, r).await.map(drop),
    };
    match booked {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(AppError::Validation(e)) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, sentence(&e)).await
        }
        Err(AppError::Conflict(m)) => refused(StatusCode::CONFLICT, m).await,
        Err(e) => Err(e.into()),
    }
}
