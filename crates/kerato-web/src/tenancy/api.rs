//! The organisation and its locations over the JSON API, each body parsed
//! once into the domain's input.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kerato_domain::tenancy::{
    Location, LocationBody, LocationChange, Organisation, OrganisationBody, OrganisationName,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::parse_location_id;
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::ApiInput;

/// A location as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    /// UUIDv7 of the location.
    pub id: String,
    pub organisation_id: String,
    pub name: String,
    /// IANA time zone name.
    pub time_zone: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    /// USPS two-letter code.
    pub state: String,
    pub zip: String,
    /// Any of `dermatology`, `eye_care`, `optical_shop`.
    pub specialties: Vec<String>,
    /// Send this back with an update; it changes on every save.
    pub version: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Location> for LocationView {
    fn from(l: &Location) -> Self {
        Self {
            id: l.id.to_string(),
            organisation_id: l.organisation_id.to_string(),
            name: l.name.clone(),
            time_zone: l.time_zone.as_str().to_string(),
            address_line1: l.address.line1.clone(),
            address_line2: l.address.line2.clone(),
            city: l.address.city.clone(),
            state: l.address.state.clone(),
            zip: l.address.zip.clone(),
            specialties: l
                .specialties
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            version: l.version,
            created_at: l.created_at.to_string(),
            updated_at: l.updated_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub name: String,
    /// `practice` or `group`.
    pub kind: String,
}

impl From<&Organisation> for OrganisationView {
    fn from(o: &Organisation) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name.clone(),
            kind: o.kind.as_str().to_string(),
        }
    }
}

#[utoipa::path(get, path = "/api/organisation", tag = "tenancy",
    responses((status = 200, description = "Success", body = OrganisationView), (status = 404, description = "No such resource", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_get_organisation(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<OrganisationView>, WebError> {
    let org = state.app.organisation(&caller).await?;
    Ok(Json(OrganisationView::from(&org)))
}

#[utoipa::path(put, path = "/api/organisation", tag = "tenancy", request_body = OrganisationBody,
    responses((status = 200, description = "Success", body = OrganisationView), (status = 400, description = "The body is not valid JSON", body = Problem),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem), (status = 415, description = "The body is not sent as application/json", body = Problem), (status = 422, description = "A field is missing, of the wrong type, unknown or not valid; `fields` names each", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_rename_organisation(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(name): ApiInput<OrganisationName>,
) -> Result<Json<OrganisationView>, WebError> {
    let org = state.app.rename_organisation(&caller, &name).await?;
    Ok(Json(OrganisationView::from(&org)))
}

#[utoipa::path(get, path = "/api/locations", tag = "tenancy",
    responses((status = 200, description = "Success", body = Vec<LocationView>), (status = 404, description = "No such resource", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_list(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<Vec<LocationView>>, WebError> {
    let locations = state.app.list_locations(&caller).await?;
    Ok(Json(locations.iter().map(LocationView::from).collect()))
}

#[utoipa::path(get, path = "/api/locations/{id}", tag = "tenancy",
    params(("id" = String, Path, description = "location ID")),
    responses((status = 200, description = "Success", body = LocationView), (status = 404, description = "No such resource", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_get(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<LocationView>, WebError> {
    let id = parse_location_id(&id)?;
    let loc = state.app.get_location(&caller, id).await?;
    Ok(Json(LocationView::from(&loc)))
}

#[utoipa::path(post, path = "/api/locations", tag = "tenancy", request_body = LocationBody,
    responses((status = 201, description = "Created; the Location header names the new resource", body = LocationView), (status = 400, description = "The body is not valid JSON", body = Problem),
        (status = 409, description = "A conflict: a duplicate name, or an edit of an older version", body = Problem), (status = 413, description = "The body is larger than 64 KiB", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem), (status = 422, description = "A field is missing, of the wrong type, unknown or not valid; `fields` names each", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_create(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(change): ApiInput<LocationChange>,
) -> Result<Response, WebError> {
    let fields = change.for_new("location")?;
    let loc = state.app.create_location(&caller, &fields).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/locations/{}", loc.id))],
        Json(LocationView::from(&loc)),
    )
        .into_response())
}

#[utoipa::path(put, path = "/api/locations/{id}", tag = "tenancy", request_body = LocationBody,
    params(("id" = String, Path, description = "location ID")),
    responses((status = 200, description = "Success", body = LocationView), (status = 400, description = "The body is not valid JSON", body = Problem),
        (status = 404, description = "No such resource", body = Problem), (status = 409, description = "A conflict: a duplicate name, or an edit of an older version", body = Problem),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem), (status = 415, description = "The body is not sent as application/json", body = Problem), (status = 422, description = "A field is missing, of the wrong type, unknown or not valid; `fields` names each", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_update(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiInput(change): ApiInput<LocationChange>,
) -> Result<Json<LocationView>, WebError> {
    let id = parse_location_id(&id)?;
    let (version, fields) = change.for_edit()?;
    let loc = state
        .app
        .update_location(&caller, id, version, &fields)
        .await?;
    Ok(Json(LocationView::from(&loc)))
}
