//! Liveness and readiness for load balancers and service managers.

use axum::extract::State;
use axum::http::StatusCode;

use crate::WebState;

/// The process is up and answering.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and its schema matches this binary.
pub(crate) async fn readyz(State(state): State<WebState>) -> (StatusCode, String) {
    match state.app.ready().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready".into())
        }
    }
}
