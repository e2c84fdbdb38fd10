//! The registry's JSON API: search a page at a time, register, read and
//! change a chart's demographics.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kerato_domain::patients::search::{PatientSearchInput, SearchQuery};
use kerato_domain::patients::{
    DemographicsUpdate, Patient, PatientCreateBody, PatientUpdateBody, Registration,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::parse_id;
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::ApiInput;

/// One page of a search's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientSearchPage {
    /// Best matches first.
    pub patients: Vec<PatientView>,
    /// Send this back as `cursor`, with the same query, for the next page;
    /// absent on the last page.
    pub next_cursor: Option<String>,
}

/// A chart's demographics as the API returns them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    pub mrn: String,
    pub legal_first_name: String,
    pub legal_middle_name: Option<String>,
    pub legal_last_name: String,
    pub preferred_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub sex_at_birth: Option<String>,
    pub gender_identity: Option<String>,
    /// E.164, such as `+12175550123`.
    pub mobile_phone: Option<String>,
    pub home_phone: Option<String>,
    pub email: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub preferred_language: String,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub reminder_channel: String,
    pub results_channel: String,
    pub statement_channel: String,
    pub marketing_consent: bool,
    pub version: i64,
}

impl From<&Patient> for PatientView {
    fn from(p: &Patient) -> Self {
        let f = &p.fields;
        let a = f.address.as_ref();
        Self {
            id: p.id.to_string(),
            mrn: p.mrn.clone(),
            legal_first_name: f.legal_first_name.clone(),
            legal_middle_name: f.legal_middle_name.clone(),
            legal_last_name: f.legal_last_name.clone(),
            preferred_name: f.preferred_name.clone(),
            date_of_birth: f.date_of_birth.to_string(),
            sex_at_birth: f.sex_at_birth.map(|s| s.as_str().to_string()),
            gender_identity: f.gender_identity.clone(),
            mobile_phone: f.mobile_phone.as_ref().map(|p| p.e164().to_string()),
            home_phone: f.home_phone.as_ref().map(|p| p.e164().to_string()),
            email: f.email.clone(),
            address_line1: a.map(|a| a.line1.clone()),
            address_line2: a.and_then(|a| a.line2.clone()),
            city: a.map(|a| a.city.clone()),
            state: a.map(|a| a.state.clone()),
            zip: a.map(|a| a.zip.clone()),
            preferred_language: f.preferred_language.clone(),
            emergency_contact_name: f.emergency_contact.as_ref().map(|(n, _)| n.clone()),
            emergency_contact_phone: f
                .emergency_contact
                .as_ref()
                .map(|(_, p)| p.e164().to_string()),
            reminder_channel: f.communication.reminders.as_str().into(),
            results_channel: f.communication.results.as_str().into(),
            statement_channel: f.communication.statements.as_str().into(),
            marketing_consent: f.communication.marketing_consent,
            version: p.version,
        }
    }
}

#[utoipa::path(post, path = "/api/patients/search", tag = "patients", operation_id = "search_patients", request_body = PatientSearchInput,
    description = "A page of the charts matching the query, best matches first. Pages follow each other without repeats or gaps while no chart changes: send `next_cursor` back as `cursor`, with the same query, for the next page. A search is a POST so that nothing typed into it lands in a URL.",
    responses((status = 200, description = "One page, `page_size` charts at most (25 unless asked, 100 at most)", body = PatientSearchPage),
        (status = 400, description = "The body is not valid JSON", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "A field is missing, unknown or not valid: a query over 100 characters, a page size outside 1 to 100, a cursor edited, sent with another query, or pointing at a chart changed since", body = Problem)))]
pub(crate) async fn api_search(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(search): ApiInput<SearchQuery>,
) -> Result<Json<PatientSearchPage>, WebError> {
    let page = state.app.search_patients_page(&caller, &search).await?;
    Ok(Json(PatientSearchPage {
        patients: page.patients.iter().map(PatientView::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

#[utoipa::path(post, path = "/api/patients", tag = "patients", operation_id = "register_patient", request_body = PatientCreateBody,
    responses((status = 201, description = "Registered; the Location header names the chart", body = PatientView),
        (status = 409, description = "A chart that may be the same person exists", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "A field is missing, unknown or not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_create(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiInput(registration): ApiInput<Registration>,
) -> Result<Response, WebError> {
    let p = state.app.register_patient(&caller, &registration).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/patients/{}", p.id))],
        Json(PatientView::from(&p)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/patients/{id}", tag = "patients", operation_id = "get_patient",
    params(("id" = String, Path, description = "patient ID")),
    responses((status = 200, description = "The chart's demographics", body = PatientView),
        (status = 404, description = "No such patient", body = Problem)))]
pub(crate) async fn api_get(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PatientView>, WebError> {
    Ok(Json(PatientView::from(
        &state.app.get_patient(&caller, parse_id(&id)?).await?,
    )))
}

#[utoipa::path(put, path = "/api/patients/{id}", tag = "patients", operation_id = "update_patient", request_body = PatientUpdateBody,
    params(("id" = String, Path, description = "patient ID")),
    responses((status = 200, description = "Saved", body = PatientView),
        (status = 404, description = "No such patient", body = Problem),
        (status = 409, description = "Someone else saved first; reload", body = Problem),
        (status = 422, description = "A field is missing, unknown or not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_update(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiInput(update): ApiInput<DemographicsUpdate>,
) -> Result<Json<PatientView>, WebError> {
    Ok(Json(PatientView::from(
        &state
            .app
            .update_patient(&caller, parse_id(&id)?, &update)
            .await?,
    )))
}
