//! The OpenAPI 3.1 document of the JSON API, served at `/api/openapi.json`.

use axum::Json;
use kerato_domain::FieldError;
use utoipa::OpenApi;

use crate::error::Problem;
use crate::tenancy;

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
    ),
    components(schemas(Problem, FieldError, tenancy::LocationView, tenancy::LocationBody,
        tenancy::OrganisationView, tenancy::OrganisationBody)),
    tags((name = "tenancy", description = "The organisation and its locations"))
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
