//! The vendor site (`kerato site`): the public website, the customer portal
//! and the privacy center. It never holds PHI, so this crate depends on no
//! clinical area. For now it is the shell the later work fills in.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const HOME: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Kerato: practice software for dermatology, eye care and optical shops</title></head>\
<body><main><h1>Kerato</h1><p>Practice software for dermatology practices, eye care practices \
and optical shops, run on your own server so your patients' records stay with you.</p></main></body></html>";

async fn home() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        HOME,
    )
}

/// The vendor site's routes.
pub fn router() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
}
