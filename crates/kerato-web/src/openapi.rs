//! The OpenAPI 3.1 document of the JSON API, served at `/api/openapi.json`.

use axum::Json;
use kerato_domain::FieldError;
use utoipa::OpenApi;

use crate::error::Problem;
use crate::{import, patients, scheduling, tenancy};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Kerato clinic API", description = "The clinic system's JSON API."),
    paths(
        tenancy::api_get_organisation,
        tenancy::api_rename_organisation,
        tenancy::api_list,
        tenancy::api_get,
        tenancy::api_create,
        tenancy::api_update,
        patients::api_search,
        patients::api_create,
        patients::api_get,
        patients::api_update,
        scheduling::book,
        scheduling::api_status,
        scheduling::api_next_available,
        import::api_start,
        import::api_job,
    ),
    components(schemas(Problem, FieldError, tenancy::LocationView, tenancy::LocationBody,
        tenancy::OrganisationView, tenancy::OrganisationBody, patients::PatientView,
        patients::PatientSearchBody, patients::PatientCreateBody, patients::PatientUpdateBody,
        kerato_domain::patients::PatientInput, scheduling::AppointmentView,
        kerato_app::scheduling::BookingRequest, kerato_domain::scheduling::RepeatedHour,
        scheduling::StatusBody, scheduling::NextAvailableBody, scheduling::NextAvailableView,
        kerato_domain::scheduling::VisitStatus, import::ImportBody, import::ImportJobView,
        kerato_domain::import::ImportReport, kerato_domain::import::RowIssue,
        kerato_domain::import::DuplicateRow, kerato_domain::import::SkippedRows)),
    tags((name = "tenancy", description = "The organisation and its locations"),
        (name = "patients", description = "The patient registry"),
        (name = "scheduling", description = "Appointments"),
        (name = "imports", description = "Imports from another system's CSV export (administrators)"))
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}

pub(crate) async fn serve() -> Json<serde_json::Value> {
    Json(serde_json::to_value(ApiDoc::openapi()).unwrap_or_default())
}
