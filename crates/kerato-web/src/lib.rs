//! The clinic system's web layer: server-rendered HTML with htmx, a JSON API
//! described by OpenAPI 3.1, health endpoints, and the cross-cutting layers
//! (security headers, CSRF, error rendering) set once for every route.
//!
//! Handlers call `kerato-app` only; they never touch the store.

pub mod assets;
mod csrf;
mod error;
mod extract;
mod headers;
mod health;
mod layout;
pub mod openapi;
mod tenancy;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use kerato_app::App;

pub use error::{Problem, WebError};

/// Largest request body accepted anywhere, in bytes. Clinic forms are small;
/// uploads (photos, imports) get their own, larger limits on their routes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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

/// The whole clinic web application.
pub fn router(app: App, options: WebOptions) -> Router {
    let state = WebState { app, options };
    Router::new()
        .route("/", get(tenancy::home))
        .merge(tenancy::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/assets/{file}", get(assets::serve))
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::layer))
        .layer(middleware::from_fn(error::render))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            headers::layer,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Every route the router serves, as (method, path template); the security
/// tests walk this list so a new route cannot be forgotten.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    let mut routes = vec![
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/api/openapi.json"),
        ("GET", "/assets/{file}"),
    ];
    routes.extend(tenancy::ROUTES.iter().copied());
    routes
}
