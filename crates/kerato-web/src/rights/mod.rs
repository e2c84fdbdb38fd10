//! The privacy officer's workspace (requests on their legal clocks, each
//! request's steps, legal holds, policy versions) and the public pages a
//! patient uses: the rights request form (honouring Global Privacy
//! Control) and the one-time download of an access package.
//!
//! - [`dashboard`]: the workspace and its forms (a request entered by
//!   staff, holds, policies, acknowledgements).
//! - [`request`]: one request and its steps.
//! - [`public`]: the public request form and the download pages.

mod dashboard;
mod public;
mod request;

use axum::http::HeaderMap;
use axum::routing::{get, post};
use kerato_app::rights::RequestView;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::rights::{Jurisdiction, RequestType};

use crate::routes::{Access, Routes};
use crate::view::Choice;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public};
    let p = Resource::PrivacyRequest;
    r.add(
        "GET",
        "/privacy",
        Needs(p, Action::Query),
        get(dashboard::dashboard),
    )
    .add(
        "POST",
        "/privacy/requests",
        Needs(p, Action::Create),
        post(dashboard::staff_request),
    )
    .add(
        "GET",
        "/privacy/requests/{id}",
        Needs(p, Action::View),
        get(request::request_page),
    )
    .add(
        "POST",
        "/privacy/requests/{id}/step",
        Needs(p, Action::Update),
        post(request::step),
    )
    .add(
        "POST",
        "/privacy/requests/{id}/disagreement",
        Needs(p, Action::Update),
        post(request::disagreement),
    )
    .add(
        "POST",
        "/privacy/holds",
        Needs(p, Action::Create),
        post(dashboard::place_hold),
    )
    .add(
        "POST",
        "/privacy/holds/{id}/release",
        Needs(p, Action::Update),
        post(dashboard::release_hold),
    )
    .add(
        "POST",
        "/privacy/policies",
        Needs(p, Action::Create),
        post(dashboard::publish),
    )
    .add(
        "POST",
        "/patients/{id}/policy-acknowledgements",
        Needs(Resource::Patient, Action::Update),
        post(dashboard::acknowledge),
    )
    .add("GET", "/privacy/request", Public, get(public::public_form))
    .add(
        "POST",
        "/privacy/request",
        Public,
        post(public::public_request),
    )
    .add(
        "GET",
        "/privacy/download/{token}",
        Public,
        get(public::download_page),
    )
    .add(
        "POST",
        "/privacy/download/{token}",
        Public,
        post(public::download),
    )
}

fn request_types() -> Vec<Choice> {
    RequestType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: t.label().into(),
            selected: false,
        })
        .collect()
}

fn jurisdictions() -> Vec<Choice> {
    Jurisdiction::ALL
        .iter()
        .map(|j| Choice {
            value: j.as_str().into(),
            label: j.label().into(),
            selected: *j == Jurisdiction::UnitedStates,
        })
        .collect()
}

/// Whether the browser sent the Global Privacy Control signal.
fn gpc(headers: &HeaderMap) -> bool {
    headers
        .get("sec-gpc")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1")
}

fn day(t: kerato_domain::time::Timestamp) -> String {
    t.to_jiff().strftime("%Y-%m-%d").to_string()
}

/// A request as the dashboard and its own page list it.
struct RequestLine {
    id: String,
    kind: &'static str,
    requester: String,
    state: String,
    due: String,
    days_left: i64,
    overdue: bool,
    closed: bool,
}

impl RequestLine {
    fn of(v: &RequestView) -> Self {
        let r = &v.request;
        RequestLine {
            id: r.id.to_string(),
            kind: r.request_type().label(),
            requester: r.requester.name.clone(),
            state: r.state().as_str().replace('_', " "),
            due: day(v.due_at),
            days_left: v.days_left,
            overdue: v.overdue,
            closed: r.state().is_closed(),
        }
    }
}
