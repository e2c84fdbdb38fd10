//! Providers and their time: the administrator's pages (the list, a
//! provider's details, working-hours templates and time off) and the JSON
//! API a booking script reads them from.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post, put};
use jiff::civil::Weekday;
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Role};
use kerato_domain::ids::{HoursTemplateId, ProviderId};
use kerato_domain::providers::hours::{
    DayHoursInput, HoursInput, HoursTemplate, Repeats, parse_date, weekday_name,
};
use kerato_domain::providers::{
    COMMON_TAXONOMIES, MAX_CREDENTIALS_CHARS, Provider, ProviderInput, ProviderStatus,
    VisitTypeScope,
};
use kerato_domain::tenancy::{Location, MAX_NAME_CHARS, Specialty};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::{ApiJson, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::{Choice, FieldView};
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let setup = Needs(Resource::Organisation, Action::Update);
    let read = Needs(Resource::Appointment, Action::Query);
    r.add("GET", "/setup/providers", setup, get(list_page))
        .add("GET", "/setup/providers/new", setup, get(new_page))
        .add("POST", "/setup/providers", setup, post(create_form))
        .add("GET", "/setup/providers/{id}", setup, get(provider_page))
        .add("POST", "/setup/providers/{id}", setup, post(update_form))
        .add(
            "POST",
            "/setup/providers/{id}/hours",
            setup,
            post(add_hours_form),
        )
        .add(
            "POST",
            "/setup/providers/{id}/time-off",
            setup,
            post(time_off_form),
        )
        .add("GET", "/setup/hours/{id}", setup, get(hours_page))
        .add("POST", "/setup/hours/{id}", setup, post(replace_hours_form))
        .add(
            "POST",
            "/setup/hours/{id}/remove",
            setup,
            post(remove_hours_form),
        )
        .add("GET", "/api/providers", read, get(api_list))
        .add("POST", "/api/providers", setup, post(api_create))
        .add("GET", "/api/providers/{id}", read, get(api_get))
        .add("PUT", "/api/providers/{id}", setup, put(api_update))
        .add("GET", "/api/providers/{id}/hours", read, get(api_hours))
        .add(
            "POST",
            "/api/providers/{id}/hours",
            setup,
            post(api_add_hours),
        )
        .add(
            "GET",
            "/api/providers/{id}/hours/{template}",
            read,
            get(api_get_hours),
        )
        .add(
            "PUT",
            "/api/providers/{id}/hours/{template}",
            setup,
            put(api_replace_hours),
        )
        .add(
            "DELETE",
            "/api/providers/{id}/hours/{template}",
            setup,
            delete(api_remove_hours),
        )
        .add(
            "POST",
            "/api/providers/{id}/time-off",
            setup,
            post(api_time_off),
        )
}

fn provider_id(raw: &str) -> Result<ProviderId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("provider"))
}

fn template_id(raw: &str) -> Result<HoursTemplateId, WebError> {
    raw.parse()
        .map_err(|_| WebError::NotFound("working-hours template"))
}

/// One display format for dates, as the practice reads them.
fn us_date(d: jiff::civil::Date) -> String {
    d.strftime("%m/%d/%Y").to_string()
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn short_day(d: Weekday) -> &'static str {
    &weekday_name(d)[..3]
}

/// A template in a sentence: "Mon–Fri 08:00–12:00 at Main Street, every
/// week from 01/04/2027".
fn hours_summary(t: &HoursTemplate, locations: &[Location]) -> (String, String, String) {
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

// ---------------------------------------------------------------- HTML

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
struct ListPage {
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

async fn list_page(
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

struct ProviderForm {
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

struct HoursLine {
    id: String,
    place: String,
    when: String,
    days: String,
}

struct DayRow {
    key: &'static str,
    label: &'static str,
    start: String,
    end: String,
    overbook: bool,
}

struct HoursForm {
    locations: Vec<Choice>,
    effective_from: FieldView,
    effective_until: FieldView,
    repeats: Vec<Choice>,
    days: Vec<DayRow>,
    errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "provider.html")]
struct ProviderPage {
    layout: Layout,
    heading: String,
    action: String,
    id: Option<String>,
    version: Option<i64>,
    problem: Option<String>,
    form: ProviderForm,
    hours: Vec<HoursLine>,
    new_hours: Option<HoursForm>,
    time_off: Vec<String>,
    time_off_locations: Vec<Choice>,
    time_off_error: Option<String>,
}

/// What the provider form needs besides the input: the practice's
/// clinicians, locations and visit types.
struct Choices {
    users: Vec<kerato_domain::identity::User>,
    locations: Vec<Location>,
    types: Vec<kerato_domain::scheduling::AppointmentType>,
}

async fn choices(state: &WebState, caller: &kerato_app::Caller) -> Result<Choices, WebError> {
    let users = state
        .app
        .list_users(caller)
        .await?
        .into_iter()
        .filter(|u| matches!(u.role, Role::Physician | Role::Optometrist))
        .collect();
    let locations = state.app.list_locations(caller).await?;
    let (_, types) = state.app.booking_choices(caller).await?;
    Ok(Choices {
        users,
        locations,
        types,
    })
}

fn provider_form(input: &ProviderInput, c: &Choices, errors: &ValidationErrors) -> ProviderForm {
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
    ProviderForm {
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

/// The provider form as a [`ProviderInput`]: its fields carry the input's
/// names; the visit types come with a choice between all and some.
fn provider_input(form: &FormFields) -> ProviderInput {
    let optional = |name: &str| Some(form.get(name)).filter(|v| !v.trim().is_empty());
    ProviderInput {
        name: form.get("name"),
        user_id: optional("user_id"),
        credentials: optional("credentials"),
        npi: optional("npi"),
        taxonomy_code: optional("taxonomy_code"),
        specialties: form.all("specialties"),
        location_ids: form.all("location_ids"),
        visit_type_ids: (form.get("visit_scope") == "only").then(|| form.all("visit_type_ids")),
        status: optional("status"),
        version: None,
    }
}

fn hours_form(input: &HoursInput, locations: &[Location], errors: &ValidationErrors) -> HoursForm {
    let repeats = input
        .repeats
        .clone()
        .unwrap_or_else(|| Repeats::EveryWeek.as_str().into());
    HoursForm {
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
                let given = input.days.iter().find(|x| {
                    kerato_domain::providers::hours::parse_weekday(&x.weekday) == Some(*d)
                });
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

/// The hours form as an [`HoursInput`]: one row per weekday, its start and
/// end times; a day with both left empty is not worked.
fn hours_input(form: &FormFields) -> HoursInput {
    let days = WEEK
        .iter()
        .filter_map(|d| {
            let key = short_day(*d).to_ascii_lowercase();
            let start = form.get(&format!("{key}_start"));
            let end = form.get(&format!("{key}_end"));
            (!start.trim().is_empty() || !end.trim().is_empty()).then(|| DayHoursInput {
                weekday: key.clone(),
                start,
                end,
                overbook: form.get(&format!("{key}_overbook")) == "on",
            })
        })
        .collect();
    let until = form.get("effective_until");
    HoursInput {
        location_id: form.get("location_id"),
        effective_from: form.get("effective_from"),
        effective_until: (!until.trim().is_empty()).then_some(until),
        repeats: Some(form.get("repeats")).filter(|r| !r.is_empty()),
        days,
    }
}

/// Today at the practice's first location.
fn today(state: &WebState, locations: &[Location]) -> jiff::civil::Date {
    let zone = locations
        .first()
        .map_or_else(|| jiff::tz::TimeZone::UTC, |l| l.time_zone.zone().clone());
    state.app.now().to_jiff().to_zoned_datetime(zone).date()
}

async fn new_page(
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
enum Refused<'a> {
    None,
    Details(&'a ProviderInput, &'a ValidationErrors),
    Hours(&'a HoursInput, &'a ValidationErrors),
    TimeOff(&'a ValidationErrors),
}

/// The provider's page (details, hours, time off), with the problems of a
/// refused form next to its fields.
async fn page_for(
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

async fn create_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let input = provider_input(&form);
    match state.app.create_provider(&caller, &input).await {
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
                form: provider_form(&input, &c, &errors),
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

async fn provider_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ProviderPage, WebError> {
    let p = state.app.provider(&caller, provider_id(&id)?).await?;
    page_for(&state, &csrf, &caller, &p, Refused::None).await
}

async fn update_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = provider_id(&id)?;
    let version = form.version("provider")?;
    let input = provider_input(&form);
    match state
        .app
        .update_provider(&caller, id, version, &input)
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/setup/providers/{}", p.id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let p = state.app.provider(&caller, id).await?;
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

async fn add_hours_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = provider_id(&id)?;
    let input = hours_input(&form);
    match state.app.add_hours(&caller, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/setup/providers/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let p = state.app.provider(&caller, id).await?;
            let page =
                page_for(&state, &csrf, &caller, &p, Refused::Hours(&input, &errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn time_off_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = provider_id(&id)?;
    let body = TimeOffBody {
        first: form.get("first"),
        last: Some(form.get("last")).filter(|l| !l.trim().is_empty()),
        location_id: Some(form.get("location_id")).filter(|l| !l.trim().is_empty()),
        reason: form.get("reason"),
    };
    match close_view(&state, &caller, id, &body).await {
        Ok(_) => Ok(Redirect::to(&format!("/setup/providers/{id}")).into_response()),
        Err(WebError::App(AppError::Validation(errors))) => {
            let p = state.app.provider(&caller, id).await?;
            let page = page_for(&state, &csrf, &caller, &p, Refused::TimeOff(&errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "provider_hours.html")]
struct HoursPage {
    layout: Layout,
    provider: String,
    provider_id: String,
    id: String,
    form: HoursForm,
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

/// A template of the caller's practice; with `provider`, it must be that
/// provider's too (as its API address says).
async fn find_template(
    state: &WebState,
    caller: &kerato_app::Caller,
    id: HoursTemplateId,
    provider: Option<ProviderId>,
) -> Result<HoursTemplate, WebError> {
    let t = state.app.hours_template(caller, id).await?;
    if provider.is_some_and(|p| p != t.provider_id) {
        return Err(WebError::NotFound("working-hours template"));
    }
    Ok(t)
}

async fn hours_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<HoursPage, WebError> {
    let t = find_template(&state, &caller, template_id(&id)?, None).await?;
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

async fn replace_hours_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = template_id(&id)?;
    let input = hours_input(&form);
    match state.app.replace_hours(&caller, id, &input).await {
        Ok(t) => Ok(Redirect::to(&format!("/setup/providers/{}", t.provider_id)).into_response()),
        Err(AppError::Validation(errors)) => {
            let t = find_template(&state, &caller, id, None).await?;
            let page = hours_page_for(&state, &csrf, &caller, &t, &input, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn remove_hours_form(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let id = template_id(&id)?;
    let t = find_template(&state, &caller, id, None).await?;
    state.app.remove_hours(&caller, id).await?;
    Ok(Redirect::to(&format!("/setup/providers/{}", t.provider_id)).into_response())
}

// ---------------------------------------------------------------- JSON API

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

/// Days a provider is away: closed for bookings from the first day's
/// midnight to the last day's end, at one location or all of theirs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffBody {
    /// `YYYY-MM-DD`.
    pub first: String,
    /// `YYYY-MM-DD`; absent for one day.
    #[serde(default)]
    pub last: Option<String>,
    /// Absent: wherever they work.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Shown to the front desk when a booking runs into it.
    pub reason: String,
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

async fn close_view(
    state: &WebState,
    caller: &kerato_app::Caller,
    provider: ProviderId,
    body: &TimeOffBody,
) -> Result<TimeOffView, WebError> {
    let mut errors = ValidationErrors::new();
    let first = parse_date(&body.first)
        .map_err(|m| errors.add("first", m))
        .ok();
    let last = match body.last.as_deref() {
        None => first,
        Some(raw) => parse_date(raw).map_err(|m| errors.add("last", m)).ok(),
    };
    let location = body
        .location_id
        .as_deref()
        .and_then(|raw| kerato_domain::ids::parse_field(&mut errors, "location_id", raw));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(errors.into());
    };
    errors.into_result(())?;
    let row = state
        .app
        .close_days(caller, Some(provider), location, first, last, &body.reason)
        .await?;
    Ok(TimeOffView {
        id: row.id.to_string(),
        provider_id: row.provider_id.map(|p| p.to_string()),
        location_id: row.location_id.map(|l| l.to_string()),
        starts_at: row.starts_at.to_string(),
        ends_at: row.ends_at.to_string(),
        reason: row.reason,
    })
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
    ApiJson(body): ApiJson<ProviderInput>,
) -> Result<Response, WebError> {
    if body.version.is_some() {
        return Err(ValidationErrors::single(
            "version",
            "a new provider has no version yet; leave version out",
        )
        .into());
    }
    let p = state.app.create_provider(&caller, &body).await?;
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
    ApiJson(body): ApiJson<ProviderInput>,
) -> Result<Json<ProviderView>, WebError> {
    let version = body.version.ok_or_else(|| {
        ValidationErrors::single("version", "send the version you edited, as returned by GET")
    })?;
    let p = state
        .app
        .update_provider(&caller, provider_id(&id)?, version, &body)
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
    let t = find_template(
        &state,
        &caller,
        template_id(&template)?,
        Some(provider_id(&id)?),
    )
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
    ApiJson(body): ApiJson<HoursInput>,
) -> Result<Response, WebError> {
    let provider = provider_id(&id)?;
    let t = state.app.add_hours(&caller, provider, &body).await?;
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
    ApiJson(body): ApiJson<HoursInput>,
) -> Result<Json<HoursView>, WebError> {
    let template = template_id(&template)?;
    find_template(&state, &caller, template, Some(provider_id(&id)?)).await?;
    let t = state.app.replace_hours(&caller, template, &body).await?;
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
    let template = template_id(&template)?;
    find_template(&state, &caller, template, Some(provider_id(&id)?)).await?;
    state.app.remove_hours(&caller, template).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/providers/{id}/time-off", tag = "providers", operation_id = "add_provider_time_off", request_body = TimeOffBody,
    params(("id" = String, Path, description = "provider ID")),
    responses((status = 201, description = "Recorded; bookings then are refused with the reason", body = TimeOffView),
        (status = 404, description = "No such provider or location", body = Problem),
        (status = 422, description = "A field is not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_time_off(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TimeOffBody>,
) -> Result<Response, WebError> {
    let view = close_view(&state, &caller, provider_id(&id)?, &body).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
