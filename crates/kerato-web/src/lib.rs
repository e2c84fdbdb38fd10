//! The clinic system's web layer: server-rendered HTML with htmx, a JSON API
//! described by OpenAPI 3.1, health endpoints, and the cross-cutting layers
//! (security headers, CSRF, error rendering) set once for every route.
//!
//! Handlers call `kerato-app` only; they never touch the store. Every route
//! is registered with the access it requires ([`routes::Access`]).

pub mod assets;
mod audit;
mod auth;
mod biopsies;
mod error;
mod extract;
mod eye;
mod health;
mod identity;
mod import;
mod layout;
mod lesions;
pub mod openapi;
pub mod patients;
mod privacy;
mod procedures;
mod providers;
mod recalls;
mod rights;
pub mod routes;
pub mod scheduling;
mod setup;
mod tenancy;
mod view;
mod waitlist;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use kerato_app::App;
use kerato_http::Tls;

pub use error::{Problem, WebError};
pub use routes::{Access, RouteSpec};

/// Largest request body accepted anywhere, in bytes. Clinic forms are small;
/// uploads (photos, imports) get their own, larger limits on their routes.
pub const MAX_BODY_BYTES: usize = kerato_http::extract::MAX_BODY_BYTES;

/// What the web layer needs besides the application.
#[derive(Debug, Clone, Copy)]
pub struct WebOptions {
    /// Whether the server is reached over TLS: turns on HSTS and `Secure` cookies.
    pub tls: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct WebState {
    pub app: App,
    pub options: WebOptions,
}

fn all_routes(state: Option<WebState>) -> routes::Routes {
    use routes::Access::Public;
    let r = routes::Routes::new(state)
        .add("GET", "/", Public, get(tenancy::home))
        .add("GET", "/healthz", Public, get(health::healthz))
        .add("GET", "/readyz", Public, get(health::readyz))
        .add("GET", "/api/openapi.json", Public, get(openapi::serve))
        .add("GET", "/assets/{file}", Public, get(assets::serve));
    let r = tenancy::routes(r);
    let r = identity::routes(r);
    let r = audit::routes(r);
    let r = patients::routes(r);
    let r = scheduling::routes(r);
    let r = providers::routes(r);
    let r = setup::routes(r);
    let r = waitlist::routes(r);
    let r = recalls::routes(r);
    let r = eye::routes(r);
    let r = biopsies::routes(r);
    let r = lesions::routes(r);
    let r = procedures::routes(r);
    let r = rights::routes(r);
    let r = import::routes(r);
    privacy::routes(r)
}

/// The whole clinic web application. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the audit trail
/// records client addresses.
pub fn router(app: App, options: WebOptions) -> Router {
    let state = WebState { app, options };
    all_routes(Some(state.clone()))
        .router
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(
            Tls(state.options.tls),
            kerato_http::csrf::layer,
        ))
        .layer(middleware::from_fn(error::render))
        .layer(middleware::from_fn_with_state(
            Tls(state.options.tls),
            kerato_http::headers::layer,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(trace))
        .with_state(state)
}

/// Logs each request by its route template, never its concrete URI: paths
/// and query strings can carry IDs and filters that are nobody's business
/// in a log file.
async fn trace(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".into());
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    tracing::debug!(%method, route, status = resp.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    resp
}

/// Every route the router serves, with the access it requires; the security
/// tests walk this list, so a route cannot be added without an access rule.
pub fn route_table() -> Vec<RouteSpec> {
    all_routes(None).specs
}
