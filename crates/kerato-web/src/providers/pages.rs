//! The administrator's provider pages: the list, a new provider, and a
//! provider's page with its details, hours and time off, each of whose
//! forms is shown again with its problems when refused.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::providers::hours::HoursInput;
use kerato_domain::providers::time_off::TimeOffFields;
use kerato_domain::providers::{
    COMMON_TAXONOMIES, MAX_CREDENTIALS_CHARS, Provider, ProviderForm, ProviderFormInput,
    ProviderInput, ProviderStatus,
};
use kerato_domain::tenancy::{Location, MAX_NAME_CHARS, Specialty};

use super::hours::{HoursFormView, HoursLine, hours_form, hours_summary};
use super::{Choices, choices, provider_id, today, us_date};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::{Choice, FieldView};
use kerato_http::csrf::CsrfToken;

struct ProviderLine {
    id: String,
    name: String,
    specialties: String,
    locations: String,
    npi: String,
    login: &'static str,
    status: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "providers.html")]
pub(super) struct ListPage {
    layout: Layout,
    providers: Vec<ProviderLine>,
}

fn names_of(ids: &[kerato_domain::ids::LocationId], locations: &[Location]) -> String {
    ids.iter()
        .filter_map(|id| locations.iter().find(|l| l.id == *id))
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn list_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<ListPage, WebError> {
    let providers = state.app.providers(&caller).await?;
    let locations = state.app.list_locations(&caller).await?;
    Ok(ListPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "providers").await?,
        providers: providers
            .iter()
            .map(|p| ProviderLine {
                id: p.id.to_string(),
                name: p.display_name(),
                specialties: if p.specialties.is_empty() {
                    "Any".into()
                } else {
                    p.specialties
                        .iter()
                        .map(|s| s.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                locations: names_of(&p.locations, &locations),
                npi: p.npi.as_ref().map(ToString::to_string).unwrap_or_default(),
                login: if p.user_id.is_some() {
                    "Signs in"
                } else {
                    "No login"
                },
                status: p.status.label(),
            })
            .collect(),
    })
}

pub(super) struct ProviderFormView {
    name: FieldView,
    credentials: FieldView,
    npi: FieldView,
    taxonomy_code: FieldView,
    users: Vec<Choice>,
    user_error: Option<String>,
    specialties: Vec<Choice>,
    specialties_error: Option<String>,
    locations: Vec<Choice>,
    locations_error: Option<String>,
    all_types: bool,
    types: Vec<Choice>,
    types_error: Option<String>,
    statuses: Vec<Choice>,
    taxonomies: Vec<(&'static str, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "provider.html")]
pub(super) struct ProviderPage {
    layout: Layout,
    heading: String,
    action: String,
    id: Option<String>,
    version: Option<i64>,
    problem: Option<String>,
    form: ProviderFormView,
    hours: Vec<HoursLine>,
    new_hours: Option<HoursFormView>,
    time_off: Vec<String>,
    time_off_locations: Vec<Choice>,
    time_off_error: Option<String>,
}

fn provider_form(
    input: &ProviderInput,
    c: &Choices,
    errors: &ValidationErrors,
) -> ProviderFormView {
    let field = |name: &str, value: &str, max| FieldView::new(value, errors, name, max);
    let given = |v: &Option<String>| v.clone().unwrap_or_default();
    let user = given(&input.user_id);
    let mut users = vec![Choice {
        value: String::new(),
        label: "No login (a locum or visiting provider)".into(),
        selected: user.is_empty(),
    }];
    users.extend(c.users.iter().map(|u| Choice {
        value: u.id.to_string(),
        label: format!("{} ({})", u.display_name, u.role.label()),
        selected: u.id.to_string() == user,
    }));
    let chosen_types = input.visit_type_ids.clone().unwrap_or_default();
    let status = input.status.clone().unwrap_or_else(|| "active".into());
    ProviderFormView {
        name: field("name", &input.name, MAX_NAME_CHARS),
        credentials: field(
            "credentials",
            &given(&input.credentials),
            MAX_CREDENTIALS_CHARS,
        ),
        npi: field("npi", &given(&input.npi), 12),
        taxonomy_code: field("taxonomy_code", &given(&input.taxonomy_code), 10),
        users,
        user_error: errors.for_field("user_id").map(str::to_string),
        specialties: Specialty::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: input.specialties.iter().any(|x| x == s.as_str()),
            })
            .collect(),
        specialties_error: errors.for_field("specialties").map(str::to_string),
        locations: c
            .locations
            .iter()
            .map(|l| Choice {
                value: l.id.to_string(),
                label: l.name.clone(),
                selected: input.location_ids.contains(&l.id.to_string()),
            })
            .collect(),
        locations_error: errors.for_field("location_ids").map(str::to_string),
        all_types: input.visit_type_ids.is_none(),
        types: c
            .types
            .iter()
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.name.clone(),
                selected: chosen_types.contains(&t.id.to_string()),
            })
            .collect(),
        types_error: errors.for_field("visit_type_ids").map(str::to_string),
        statuses: ProviderStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: s.as_str() == status,
            })
            .collect(),
        taxonomies: COMMON_TAXONOMIES.to_vec(),
    }
}

pub(super) async fn new_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<ProviderPage, WebError> {
    let c = choices(&state, &caller).await?;
    let input = ProviderInput::new("", &c.locations.iter().map(|l| l.id).collect::<Vec<_>>());
    Ok(ProviderPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "providers").await?,
        heading: "Add a provider".into(),
        action: "/setup/providers".into(),
        id: None,
        version: None,
        problem: None,
        form: provider_form(&input, &c, &ValidationErrors::new()),
        hours: Vec::new(),
        new_hours: None,
        time_off: Vec::new(),
        time_off_locations: Vec::new(),
        time_off_error: None,
    })
}

/// Which of the provider page's forms was refused, with what was typed and
/// why.
pub(super) enum Refused<'a> {
    None,
    Details(&'a ProviderInput, &'a ValidationErrors),
    Hours(&'a HoursInput, &'a ValidationErrors),
    TimeOff(&'a ValidationErrors),
}

/// The provider's page (details, hours, time off), with the problems of a
/// refused form next to its fields.
pub(super) async fn page_for(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    provider: &Provider,
    refused: Refused<'_>,
) -> Result<ProviderPage, WebError> {
    let saved = provider.to_input();
    let no_errors = ValidationErrors::new();
    let (input, errors) = match refused {
        Refused::Details(input, errors) => (input, errors),
        _ => (&saved, &no_errors),
    };
    let hours_input = match refused {
        Refused::Hours(input, errors) => Some((input, errors)),
        _ => None,
    };
    let time_off_error = match refused {
        Refused::TimeOff(errors) => Some(
            errors
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    };
    let c = choices(state, caller).await?;
    let templates = state.app.provider_hours(caller, provider.id).await?;
    let closures = state.app.upcoming_closures(caller).await?;
    let here: Vec<Location> = c
        .locations
        .iter()
        .filter(|l| provider.locations.contains(&l.id))
        .cloned()
        .collect();
    // The form starts as the usual clinic week at their first location,
    // from today; with no location to work at there is nothing to offer.
    let default_hours = here
        .first()
        .map(|l| HoursInput::weekdays(l.id, today(state, &c.locations), "08:00", "17:00"));
    let new_hours = match (hours_input, &default_hours) {
        (Some((given, errors)), _) => Some(hours_form(given, &here, errors)),
        (None, Some(default)) => Some(hours_form(default, &here, &no_errors)),
        (None, None) => None,
    };
    let zone_of = |id: Option<kerato_domain::ids::LocationId>| {
        id.and_then(|id| c.locations.iter().find(|l| l.id == id))
            .or(here.first())
            .map_or(jiff::tz::TimeZone::UTC, |l| l.time_zone.zone().clone())
    };
    Ok(ProviderPage {
        layout: Layout::signed_in(state, csrf, caller, "providers").await?,
        heading: provider.display_name(),
        action: format!("/setup/providers/{}", provider.id),
        id: Some(provider.id.to_string()),
        version: Some(provider.version),
        problem: (!errors.is_empty())
            .then(|| "Some fields need attention; see the messages next to them.".into()),
        form: provider_form(input, &c, errors),
        hours: templates
            .iter()
            .map(|t| {
                let (place, when, days) = hours_summary(t, &c.locations);
                HoursLine {
                    id: t.id.to_string(),
                    place,
                    when,
                    days,
                }
            })
            .collect(),
        new_hours,
        time_off: closures
            .iter()
            .filter(|t| t.provider_id == Some(provider.id))
            .map(|t| {
                let zone = zone_of(t.location_id);
                let first = t.starts_at.to_jiff().to_zoned_datetime(zone.clone()).date();
                // A closure ends at the midnight after its last day.
                let last = t
                    .ends_at
                    .plus_micros(-1)
                    .to_jiff()
                    .to_zoned_datetime(zone)
                    .date();
                let place = t
                    .location_id
                    .and_then(|id| c.locations.iter().find(|l| l.id == id))
                    .map_or("every location".to_string(), |l| l.name.clone());
                if first == last {
                    format!("{}: {} ({place})", us_date(first), t.reason)
                } else {
                    format!(
                        "{} to {}: {} ({place})",
                        us_date(first),
                        us_date(last),
                        t.reason
                    )
                }
            })
            .collect(),
        time_off_locations: here
            .iter()
            .map(|l| Choice {
                value: l.id.to_string(),
                label: l.name.clone(),
                selected: false,
            })
            .collect(),
        time_off_error,
    })
}

/// The provider form as typed, to refill it when refused.
fn typed(fields: &FormFields) -> ProviderInput {
    fields.raw::<ProviderFormInput>().into()
}

pub(super) async fn create_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<ProviderForm>,
) -> Result<Response, WebError> {
    let created = match form
        .input
        .and_then(|ProviderForm(change)| change.for_new("provider"))
    {
        Ok(fields) => state.app.create_provider(&caller, &fields).await,
        Err(errors) => Err(errors.into()),
    };
    match created {
        Ok(p) => Ok(Redirect::to(&format!("/setup/providers/{}", p.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let c = choices(&state, &caller).await?;
            let page = ProviderPage {
                layout: Layout::signed_in(&state, &csrf, &caller, "providers").await?,
                heading: "Add a provider".into(),
                action: "/setup/providers".into(),
                id: None,
                version: None,
                problem: Some("Some fields need attention; see the messages next to them.".into()),
                form: provider_form(&typed(&form.fields), &c, &errors),
                hours: Vec::new(),
                new_hours: None,
                time_off: Vec::new(),
                time_off_locations: Vec::new(),
                time_off_error: None,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn provider_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ProviderPage, WebError> {
    let p = state.app.provider(&caller, provider_id(&id)?).await?;
    page_for(&state, &csrf, &caller, &p, Refused::None).await
}

pub(super) async fn update_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<ProviderForm>,
) -> Result<Response, WebError> {
    let id = provider_id(&id)?;
    let updated = match form
        .input
        .and_then(|ProviderForm(change)| change.for_edit())
    {
        Ok((version, fields)) => {
            state
                .app
                .update_provider(&caller, id, version, &fields)
                .await
        }
        Err(errors) => Err(errors.into()),
    };
    match updated {
        Ok(p) => Ok(Redirect::to(&format!("/setup/providers/{}", p.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let p = state.app.provider(&caller, id).await?;
            let input = typed(&form.fields);
            let page = page_for(
                &state,
                &csrf,
                &caller,
                &p,
                Refused::Details(&input, &errors),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn time_off_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<TimeOffFields>,
) -> Result<Response, WebError> {
    let id = provider_id(&id)?;
    let closed = match form.input {
        Ok(t) => {
            state
                .app
                .close_days(&caller, Some(id), t.location_id, t.first, t.last, &t.reason)
                .await
        }
        Err(errors) => Err(errors.into()),
    };
    match closed {
        Ok(_) => Ok(Redirect::to(&format!("/setup/providers/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let p = state.app.provider(&caller, id).await?;
            let page = page_for(&state, &csrf, &caller, &p, Refused::TimeOff(&errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
