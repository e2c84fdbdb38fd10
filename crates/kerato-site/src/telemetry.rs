//! Receiving the clinics' opt-in telemetry (`kerato_core::telemetry`): a
//! JSON report of one day's counts, stored once per installation and day
//! (a resent report replaces the earlier one, so retries are harmless).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kerato_core::telemetry::Report;
use kerato_db::{StoreError, execute};

use crate::Site;
use crate::web::SiteError;

/// Stores a checked report.
pub async fn store(site: &Site, r: &Report) -> Result<(), SiteError> {
    r.validate().map_err(SiteError::Validation)?;
    let mut tx = site.store.write().await?;
    let c = r.counts;
    let n = |v: u32| i64::from(v);
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO telemetry_reports (installation, day, version, received_at, appointments_booked, patients_registered, eye_exams_signed, biopsies_logged, prescriptions_issued, active_users) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (installation, day) DO UPDATE SET version = $3, received_at = $4, appointments_booked = $5, patients_registered = $6, eye_exams_signed = $7, biopsies_logged = $8, prescriptions_issued = $9, active_users = $10"
        )
        .bind(r.installation.to_string())
        .bind(r.day.to_string())
        .bind(&r.version)
        .bind(site.now().as_micros())
        .bind(n(c.appointments_booked))
        .bind(n(c.patients_registered))
        .bind(n(c.eye_exams_signed))
        .bind(n(c.biopsies_logged))
        .bind(n(c.prescriptions_issued))
        .bind(n(c.active_users))
    )
    .map_err(StoreError::from)?;
    tx.commit().await?;
    Ok(())
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// `POST /api/telemetry`: JSON only, every field checked; the answer is
/// JSON too, since a program sends it.
async fn receive(State(site): State<Site>, headers: HeaderMap, body: Bytes) -> Response {
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
