//! The telemetry endpoint clinics report to.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kerato_core::telemetry::Report;

use crate::Site;
use crate::telemetry::store::*;
use crate::web::SiteError;

pub(crate) fn refuse(status: StatusCode, message: String) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// `POST /api/telemetry`: JSON only, every field checked; the answer is
/// JSON too, since a program sends it.
pub(crate) async fn receive(State(site): State<Site>, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim() == "application/json")
        });
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the report as JSON with Content-Type: application/json".into(),
        );
    }
    let report: Report = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("the report does not match the telemetry schema: {e}"),
            );
        }
    };
    match store(&site, &report).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(SiteError::Validation(e)) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            e.errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => e.into_response(),
    }
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/api/telemetry", post(receive))
}
