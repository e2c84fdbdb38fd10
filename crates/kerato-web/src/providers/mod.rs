//! Providers and their time: the administrator's pages (the list, a
//! provider's details, working-hours templates and time off) and the JSON
//! API a booking script reads them from.

pub(crate) mod api;
mod hours;
mod pages;

use axum::routing::{delete, get, post, put};
use jiff::civil::Weekday;
use kerato_domain::identity::{Action, Resource, Role};
use kerato_domain::ids::{HoursTemplateId, ProviderId};
use kerato_domain::providers::hours::weekday_name;
use kerato_domain::tenancy::Location;

use crate::WebState;
use crate::error::WebError;
use crate::routes::{Access, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let setup = Needs(Resource::Organisation, Action::Update);
    let read = Needs(Resource::Appointment, Action::Query);
    r.add("GET", "/setup/providers", setup, get(pages::list_page))
        .add("GET", "/setup/providers/new", setup, get(pages::new_page))
        .add("POST", "/setup/providers", setup, post(pages::create_form))
        .add(
            "GET",
            "/setup/providers/{id}",
            setup,
            get(pages::provider_page),
        )
        .add(
            "POST",
            "/setup/providers/{id}",
            setup,
            post(pages::update_form),
        )
        .add(
            "POST",
            "/setup/providers/{id}/hours",
            setup,
            post(hours::add_hours_form),
        )
        .add(
            "POST",
            "/setup/providers/{id}/time-off",
            setup,
            post(pages::time_off_form),
        )
        .add("GET", "/setup/hours/{id}", setup, get(hours::hours_page))
        .add(
            "POST",
            "/setup/hours/{id}",
            setup,
            post(hours::replace_hours_form),
        )
        .add(
            "POST",
            "/setup/hours/{id}/remove",
            setup,
            post(hours::remove_hours_form),
        )
        .add("GET", "/api/providers", read, get(api::api_list))
        .add("POST", "/api/providers", setup, post(api::api_create))
        .add("GET", "/api/providers/{id}", read, get(api::api_get))
        .add("PUT", "/api/providers/{id}", setup, put(api::api_update))
        .add(
            "GET",
            "/api/providers/{id}/hours",
            read,
            get(api::api_hours),
        )
        .add(
            "POST",
            "/api/providers/{id}/hours",
            setup,
            post(api::api_add_hours),
        )
        .add(
            "GET",
            "/api/providers/{id}/hours/{template}",
            read,
            get(api::api_get_hours),
        )
        .add(
            "PUT",
            "/api/providers/{id}/hours/{template}",
            setup,
            put(api::api_replace_hours),
        )
        .add(
            "DELETE",
            "/api/providers/{id}/hours/{template}",
            setup,
            delete(api::api_remove_hours),
        )
        .add(
            "POST",
            "/api/providers/{id}/time-off",
            setup,
            post(api::api_time_off),
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

/// Today at the practice's first location.
fn today(state: &WebState, locations: &[Location]) -> jiff::civil::Date {
    let zone = locations
        .first()
        .map_or_else(|| jiff::tz::TimeZone::UTC, |l| l.time_zone.zone().clone());
    state.app.now().to_jiff().to_zoned_datetime(zone).date()
}
