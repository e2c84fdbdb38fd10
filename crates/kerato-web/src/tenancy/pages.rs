//! The locations' pages: the list, and the form that adds or edits one,
//! shown again with its problems when refused.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::tenancy::{
    Location, LocationForm, LocationFormInput, LocationInput, MAX_ADDRESS_LINE_CHARS,
    MAX_CITY_CHARS, MAX_NAME_CHARS, Specialty,
};
use kerato_domain::time::available_time_zones;
use kerato_domain::versioned::form_version;
use serde::Deserialize;

use super::parse_location_id;
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::FieldView;
use kerato_http::csrf::CsrfToken;

struct LocationRow {
    id: String,
    name: String,
    specialties: Vec<&'static str>,
    address: String,
    time_zone: String,
}

impl From<&Location> for LocationRow {
    fn from(l: &Location) -> Self {
        let a = &l.address;
        let line2 = a
            .line2
            .as_deref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default();
        Self {
            id: l.id.to_string(),
            name: l.name.clone(),
            specialties: l.specialties.iter().map(|s| s.label()).collect(),
            address: format!("{}{line2}, {}, {} {}", a.line1, a.city, a.state, a.zip),
            time_zone: l.time_zone.as_str().to_string(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "locations.html")]
pub(super) struct LocationsPage {
    layout: Layout,
    notice: Option<&'static str>,
    locations: Vec<LocationRow>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    notice: Option<String>,
}

pub(super) async fn list_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<LocationsPage, WebError> {
    let locations = state.app.list_locations(&caller).await?;
    // Notices are fixed texts chosen by a code, so no user data rides in the URL.
    let notice = match query.notice.as_deref() {
        Some("created") => Some("Location added."),
        Some("updated") => Some("Location saved."),
        _ => None,
    };
    Ok(LocationsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "locations").await?,
        notice,
        locations: locations.iter().map(LocationRow::from).collect(),
    })
}

struct SpecialtyOption {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

struct LocationFormView {
    name: FieldView,
    address_line1: FieldView,
    address_line2: FieldView,
    city: FieldView,
    state: FieldView,
    zip: FieldView,
    time_zone: FieldView,
}

#[derive(Template, WebTemplate)]
#[template(path = "location_form.html")]
pub(super) struct LocationFormPage {
    layout: Layout,
    heading: &'static str,
    action: String,
    version: Option<i64>,
    problem: Option<String>,
    form: LocationFormView,
    specialties: Vec<SpecialtyOption>,
    specialties_error: Option<String>,
    time_zones: Vec<String>,
}

impl LocationFormPage {
    fn new(
        layout: Layout,
        heading: &'static str,
        action: String,
        version: Option<i64>,
        input: &LocationInput,
        errors: &ValidationErrors,
    ) -> Self {
        let field = |name: &str, value: &str, max: usize| FieldView {
            value: value.to_string(),
            error: errors.for_field(name).map(str::to_string),
            max,
        };
        Self {
            layout,
            heading,
            action,
            version,
            problem: None,
            form: LocationFormView {
                name: field("name", &input.name, MAX_NAME_CHARS),
                address_line1: field(
                    "address_line1",
                    &input.address_line1,
                    MAX_ADDRESS_LINE_CHARS,
                ),
                address_line2: field(
                    "address_line2",
                    input.address_line2.as_deref().unwrap_or(""),
                    MAX_ADDRESS_LINE_CHARS,
                ),
                city: field("city", &input.city, MAX_CITY_CHARS),
                state: field("state", &input.state, 2),
                zip: field("zip", &input.zip, 10),
                time_zone: field("time_zone", &input.time_zone, 64),
            },
            specialties: Specialty::ALL
                .into_iter()
                .map(|s| SpecialtyOption {
                    value: s.as_str(),
                    label: s.label(),
                    checked: input.specialties.iter().any(|v| v == s.as_str()),
                })
                .collect(),
            specialties_error: errors.for_field("specialties").map(str::to_string),
            time_zones: available_time_zones(),
        }
    }
}

/// A refused save: the form again as typed, with the problems next to the
/// fields (422) or above the form (409); other errors go to the renderer.
async fn refused(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    (heading, action): (&'static str, String),
    fields: &FormFields,
    err: AppError,
) -> Result<Response, WebError> {
    let (status, problem, errors) = match err {
        AppError::Validation(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Some fields need attention; see the messages next to them.".to_string(),
            errors,
        ),
        AppError::Conflict(message) => (StatusCode::CONFLICT, message, ValidationErrors::new()),
        other => return Err(other.into()),
    };
    let typed = fields.raw::<LocationFormInput>();
    let version = form_version(&mut ValidationErrors::new(), typed.version.as_deref());
    let mut page = LocationFormPage::new(
        Layout::signed_in(state, csrf, caller, "locations").await?,
        heading,
        action,
        version,
        &typed.into(),
        &errors,
    );
    page.problem = Some(problem);
    Ok((status, page).into_response())
}

pub(super) async fn new_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<LocationFormPage, WebError> {
    Ok(LocationFormPage::new(
        Layout::signed_in(&state, &csrf, &caller, "locations").await?,
        "Add location",
        "/locations".into(),
        None,
        &LocationInput::default(),
        &ValidationErrors::new(),
    ))
}

pub(super) async fn create_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<LocationForm>,
) -> Result<Response, WebError> {
    let created = match form.input.and_then(|LocationForm(c)| c.for_new("location")) {
        Ok(fields) => state.app.create_location(&caller, &fields).await,
        Err(errors) => Err(errors.into()),
    };
    match created {
        Ok(_) => Ok(Redirect::to("/locations?notice=created").into_response()),
        Err(err) => {
            let page = ("Add location", "/locations".to_string());
            refused(&state, &csrf, &caller, page, &form.fields, err).await
        }
    }
}

pub(super) async fn edit_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<LocationFormPage, WebError> {
    let id = parse_location_id(&id)?;
    let loc = state.app.location_to_edit(&caller, id).await?;
    Ok(LocationFormPage::new(
        Layout::signed_in(&state, &csrf, &caller, "locations").await?,
        "Edit location",
        format!("/locations/{id}"),
        Some(loc.version),
        &loc.to_input(),
        &ValidationErrors::new(),
    ))
}

pub(super) async fn update_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<LocationForm>,
) -> Result<Response, WebError> {
    let id = parse_location_id(&id)?;
    let updated = match form.input.and_then(|LocationForm(c)| c.for_edit()) {
        Ok((version, fields)) => {
            state
                .app
                .update_location(&caller, id, version, &fields)
                .await
        }
        Err(errors) => Err(errors.into()),
    };
    match updated {
        Ok(_) => Ok(Redirect::to("/locations?notice=updated").into_response()),
        Err(err) => {
            let page = ("Edit location", format!("/locations/{id}"));
            refused(&state, &csrf, &caller, page, &form.fields, err).await
        }
    }
}
