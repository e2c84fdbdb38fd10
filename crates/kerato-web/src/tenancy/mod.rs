//! The organisation and its locations: HTML pages and the JSON API.

pub(crate) mod api;
mod pages;

use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{get, post, put};
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::LocationId;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::routes::{Access, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, SignedIn};
    use kerato_domain::identity::{Action as A, Resource as R};
    r.add(
        "GET",
        "/locations",
        Needs(R::Location, A::Query),
        get(pages::list_page),
    )
    .add(
        "POST",
        "/locations",
        Needs(R::Location, A::Create),
        post(pages::create_form),
    )
    .add(
        "GET",
        "/locations/new",
        Needs(R::Location, A::Create),
        get(pages::new_page),
    )
    .add(
        "GET",
        "/locations/{id}/edit",
        Needs(R::Location, A::Update),
        get(pages::edit_page),
    )
    .add(
        "POST",
        "/locations/{id}",
        Needs(R::Location, A::Update),
        post(pages::update_form),
    )
    .add(
        "GET",
        "/api/organisation",
        SignedIn,
        get(api::api_get_organisation),
    )
    .add(
        "PUT",
        "/api/organisation",
        Needs(R::Organisation, A::Update),
        put(api::api_rename_organisation),
    )
    .add(
        "GET",
        "/api/locations",
        Needs(R::Location, A::Query),
        get(api::api_list),
    )
    .add(
        "POST",
        "/api/locations",
        Needs(R::Location, A::Create),
        post(api::api_create),
    )
    .add(
        "GET",
        "/api/locations/{id}",
        Needs(R::Location, A::View),
        get(api::api_get),
    )
    .add(
        "PUT",
        "/api/locations/{id}",
        Needs(R::Location, A::Update),
        put(api::api_update),
    )
}

fn parse_location_id(raw: &str) -> Result<LocationId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("location"))
}

/// The start page. An administrator whose practice is not yet set up
/// resumes the set-up; everyone else goes to the locations list, which
/// sends strangers to sign in.
pub(crate) async fn home(State(state): State<WebState>, user: Option<CurrentUser>) -> Redirect {
    if let Some(CurrentUser(caller)) = user
        && role_permits(caller.actor.role, Resource::Organisation, Action::Update)
        && let Ok(progress) = state.app.setup_progress(&caller).await
        && progress.next.is_some()
    {
        return Redirect::to("/setup");
    }
    Redirect::to("/locations")
}
