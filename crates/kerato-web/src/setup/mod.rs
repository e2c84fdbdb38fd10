//! The first-run set-up: a checklist of steps the administrator works
//! through after `kerato init`, each on its own page, resuming at the first
//! step still to do; and the same over the JSON API.

pub(crate) mod api;
mod pages;

use axum::routing::{get, post, put};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::LocationId;
use kerato_domain::setup::SetupStep;

use crate::error::WebError;
use crate::routes::{Access, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let admin = Needs(Resource::Organisation, Action::Update);
    let location = Needs(Resource::Location, Action::Update);
    r.add("GET", "/setup", admin, get(pages::resume))
        .add("GET", "/setup/steps/{step}", admin, get(pages::step_page))
        .add(
            "POST",
            "/setup/steps/{step}/skip",
            admin,
            post(pages::skip_form),
        )
        .add(
            "POST",
            "/setup/organisation",
            admin,
            post(pages::rename_form),
        )
        .add(
            "POST",
            "/setup/locations/{id}/hours",
            location,
            post(pages::hours_form),
        )
        .add("POST", "/setup/defaults", admin, post(pages::defaults_form))
        .add(
            "POST",
            "/setup/privacy-notice",
            admin,
            post(pages::notice_form),
        )
        .add(
            "POST",
            "/setup/messaging",
            admin,
            post(pages::messaging_form),
        )
        .add(
            "POST",
            "/setup/messaging/test",
            admin,
            post(pages::test_form),
        )
        .add("GET", "/api/setup", admin, get(api::api_progress))
        .add(
            "POST",
            "/api/setup/steps/{step}/skip",
            admin,
            post(api::api_skip),
        )
        .add(
            "POST",
            "/api/setup/defaults",
            admin,
            post(api::api_defaults),
        )
        .add(
            "POST",
            "/api/setup/privacy-notice",
            admin,
            post(api::api_notice),
        )
        .add(
            "GET",
            "/api/locations/{id}/hours",
            Needs(Resource::Location, Action::View),
            get(api::api_opening_hours),
        )
        .add(
            "PUT",
            "/api/locations/{id}/hours",
            location,
            put(api::api_set_hours),
        )
        .add(
            "GET",
            "/api/settings/messaging",
            admin,
            get(api::api_messaging),
        )
        .add(
            "PUT",
            "/api/settings/messaging",
            admin,
            put(api::api_save_messaging),
        )
        .add(
            "POST",
            "/api/settings/messaging/test",
            admin,
            post(api::api_test_message),
        )
}

fn step_of(raw: &str) -> Result<SetupStep, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("set-up step"))
}

fn location_id(raw: &str) -> Result<LocationId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("location"))
}
