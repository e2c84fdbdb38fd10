//! The patient registry's pages and API: search (as you type, by POST so
//! nothing a user types ends up in a URL), registration, chart and edit.
//! `search` is the search page, `register` the registration and
//! demographics forms, `chart` the chart with its coverage, guarantor and
//! merge forms, `api` the JSON API. Booking from a chart is scheduling's
//! (`crate::scheduling::booking`).

use axum::routing::{get, post, put};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::PatientId;
use kerato_domain::patients::Patient;

use crate::error::WebError;
use crate::routes::{Access, Routes};

pub(crate) mod api;
mod chart;
mod register;
mod search;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    use Action as A;
    let p = Resource::Patient;
    r.add(
        "GET",
        "/patients",
        Needs(p, A::Query),
        get(search::search_page),
    )
    .add(
        "POST",
        "/patients/search",
        Needs(p, A::Query),
        post(search::search_submit),
    )
    .add(
        "GET",
        "/patients/new",
        Needs(p, A::Create),
        get(register::new_page),
    )
    .add(
        "POST",
        "/patients",
        Needs(p, A::Create),
        post(register::create_submit),
    )
    .add(
        "GET",
        "/patients/{id}",
        Needs(p, A::View),
        get(chart::chart_page),
    )
    .add(
        "GET",
        "/patients/{id}/edit",
        Needs(p, A::Update),
        get(register::edit_page),
    )
    .add(
        "POST",
        "/patients/{id}",
        Needs(p, A::Update),
        post(register::edit_submit),
    )
    .add(
        "POST",
        "/patients/{id}/coverages",
        Needs(p, A::Update),
        post(chart::coverage_submit),
    )
    .add(
        "POST",
        "/patients/{id}/guarantor",
        Needs(p, A::Update),
        post(chart::guarantor_submit),
    )
    .add(
        "POST",
        "/patients/{id}/merge",
        Needs(p, A::Update),
        post(chart::merge_submit),
    )
    .add(
        "POST",
        "/api/patients/search",
        Needs(p, A::Query),
        post(api::api_search),
    )
    .add(
        "POST",
        "/api/patients",
        Needs(p, A::Create),
        post(api::api_create),
    )
    .add(
        "GET",
        "/api/patients/{id}",
        Needs(p, A::View),
        get(api::api_get),
    )
    .add(
        "PUT",
        "/api/patients/{id}",
        Needs(p, A::Update),
        put(api::api_update),
    )
}

fn parse_id(raw: &str) -> Result<PatientId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("patient"))
}

pub(crate) fn display_name(p: &Patient) -> String {
    let f = &p.fields;
    match &f.preferred_name {
        Some(pref) => format!("{}, {} ({pref})", f.legal_last_name, f.legal_first_name),
        None => format!("{}, {}", f.legal_last_name, f.legal_first_name),
    }
}
