//! Working-hours templates on the administrator's pages: the summary lines
//! of a provider's page, the form (a row a weekday) and the page of one
//! template.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::providers::hours::{
    HoursForm, HoursFormInput, HoursInput, HoursTemplate, Repeats, parse_weekday, weekday_name,
};
use kerato_domain::tenancy::Location;

use super::pages::{Refused, page_for};
use super::{WEEK, provider_id, short_day, template_id, us_date};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::{Choice, FieldView};
use kerato_http::csrf::CsrfToken;

/// A template in a sentence: "Mon–Fri 08:00–12:00 at Main Street, every
/// week from 01/04/2027".
pub(super) fn hours_summary(t: &HoursTemplate, locations: &[Location]) -> (String, String, String) {
    let p = &t.pattern;
    let days = p
        .days
        .iter()
        .map(|w| {
            format!(
                "{} {}–{}{}",
                short_day(w.weekday),
                w.start.strftime("%H:%M"),
                w.end.strftime("%H:%M"),
                if w.overbook { " (overbooking)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let place = locations
        .iter()
        .find(|l| l.id == t.location_id)
        .map_or_else(String::new, |l| l.name.clone());
    let when = match p.effective_until {
        Some(u) => format!(
            "{}, {} to {}",
            p.repeats.label().to_lowercase(),
            us_date(p.effective_from),
            us_date(u)
        ),
        None => format!(
            "{}, from {}",
            p.repeats.label().to_lowercase(),
            us_date(p.effective_from)
        ),
    };
    (place, when, days)
}

pub(super) struct HoursLine {
    pub(super) id: String,
    pub(super) place: String,
    pub(super) when: String,
    pub(super) days: String,
}

pub(super) struct DayRow {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) start: String,
    pub(super) end: String,
    pub(super) overbook: bool,
}

pub(super) struct HoursFormView {
    pub(super) locations: Vec<Choice>,
    pub(super) effective_from: FieldView,
    pub(super) effective_until: FieldView,
    pub(super) repeats: Vec<Choice>,
    pub(super) days: Vec<DayRow>,
    pub(super) errors: Vec<String>,
}

pub(super) fn hours_form(
    input: &HoursInput,
    locations: &[Location],
    errors: &ValidationErrors,
) -> HoursFormView {
    let repeats = input
        .repeats
        .clone()
        .unwrap_or_else(|| Repeats::EveryWeek.as_str().into());
    HoursFormView {
        locations: locations
            .iter()
            .map(|l| Choice {
                value: l.id.to_string(),
                label: l.name.clone(),
                selected: l.id.to_string() == input.location_id,
            })
            .collect(),
        effective_from: FieldView::new(&input.effective_from, errors, "effective_from", 10),
        effective_until: FieldView::new(
            input.effective_until.as_deref().unwrap_or(""),
            errors,
            "effective_until",
            10,
        ),
        repeats: Repeats::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().into(),
                label: r.label().into(),
                selected: r.as_str() == repeats,
            })
            .collect(),
        days: WEEK
            .iter()
            .map(|d| {
                let key = short_day(*d);
                let given = input
                    .days
                    .iter()
                    .find(|x| parse_weekday(&x.weekday) == Some(*d));
                DayRow {
                    key,
                    label: weekday_name(*d),
                    start: given.map(|g| g.start.clone()).unwrap_or_default(),
                    end: given.map(|g| g.end.clone()).unwrap_or_default(),
                    overbook: given.is_some_and(|g| g.overbook),
                }
            })
            .collect(),
        // Errors of the days and of the template as a whole, in the
        // words the domain gave them, above the form.
        errors: errors
            .errors
            .iter()
            .filter(|e| {
                e.field.starts_with("days") || e.field == "location_id" || e.field == "repeats"
            })
            .map(|e| e.message.clone())
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "provider_hours.html")]
pub(super) struct HoursPage {
    layout: Layout,
    provider: String,
    provider_id: String,
    id: String,
    form: HoursFormView,
}

async fn hours_page_for(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    template: &HoursTemplate,
    input: &HoursInput,
    errors: &ValidationErrors,
) -> Result<HoursPage, WebError> {
    let p = state.app.provider(caller, template.provider_id).await?;
    let locations: Vec<Location> = state
        .app
        .list_locations(caller)
        .await?
        .into_iter()
        .filter(|l| p.locations.contains(&l.id))
        .collect();
    Ok(HoursPage {
        layout: Layout::signed_in(state, csrf, caller, "providers").await?,
        provider: p.display_name(),
        provider_id: p.id.to_string(),
        id: template.id.to_string(),
        form: hours_form(input, &locations, errors),
    })
}

/// The hours as typed into a refused form, to refill it.
pub(super) fn typed(fields: &FormFields) -> HoursInput {
    fields.raw::<HoursFormInput>().into()
}

pub(super) async fn hours_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<HoursPage, WebError> {
    let t = state
        .app
        .hours_template(&caller, None, template_id(&id)?)
        .await?;
    hours_page_for(
        &state,
        &csrf,
        &caller,
        &t,
        &t.to_input(),
        &ValidationErrors::new(),
    )
    .await
}

pub(super) async fn add_hours_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<HoursForm>,
) -> Result<Response, WebError> {
    let id = provider_id(&id)?;
    let added = match form.input {
        Ok(HoursForm(hours)) => state.app.add_hours(&caller, id, &hours).await,
        Err(errors) => Err(errors.into()),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!("/setup/providers/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let p = state.app.provider(&caller, id).await?;
            let input = typed(&form.fields);
            let page =
                page_for(&state, &csrf, &caller, &p, Refused::Hours(&input, &errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn replace_hours_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<HoursForm>,
) -> Result<Response, WebError> {
    let id = template_id(&id)?;
    let replaced = match form.input {
        Ok(HoursForm(hours)) => state.app.replace_hours(&caller, None, id, &hours).await,
        Err(errors) => Err(errors.into()),
    };
    match replaced {
        Ok(t) => Ok(Redirect::to(&format!("/setup/providers/{}", t.provider_id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let t = state.app.hours_template(&caller, None, id).await?;
            let input = typed(&form.fields);
            let page = hours_page_for(&state, &csrf, &caller, &t, &input, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn remove_hours_form(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let t = state
        .app
        .remove_hours(&caller, None, template_id(&id)?)
        .await?;
    Ok(Redirect::to(&format!("/setup/providers/{}", t.provider_id)).into_response())
}
