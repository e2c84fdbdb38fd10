//! The organisation and its locations: HTML pages and the JSON API.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::LocationId;
use kerato_domain::tenancy::{
    Location, LocationInput, MAX_ADDRESS_LINE_CHARS, MAX_CITY_CHARS, MAX_NAME_CHARS, Organisation,
    Specialty,
};
use kerato_domain::time::available_time_zones;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::{ApiJson, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::FieldView;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, SignedIn};
    use kerato_domain::identity::{Action as A, Resource as R};
    r.add(
        "GET",
        "/locations",
        Needs(R::Location, A::Query),
        get(list_page),
    )
    .add(
        "POST",
        "/locations",
        Needs(R::Location, A::Create),
        post(create_form),
    )
    .add(
        "GET",
        "/locations/new",
        Needs(R::Location, A::Create),
        get(new_page),
    )
    .add(
        "GET",
        "/locations/{id}/edit",
        Needs(R::Location, A::Update),
        get(edit_page),
    )
    .add(
        "POST",
        "/locations/{id}",
        Needs(R::Location, A::Update),
        post(update_form),
    )
    .add(
        "GET",
        "/api/organisation",
        SignedIn,
        get(api_get_organisation),
    )
    .add(
        "PUT",
        "/api/organisation",
        Needs(R::Organisation, A::Update),
        put(api_rename_organisation),
    )
    .add(
        "GET",
        "/api/locations",
        Needs(R::Location, A::Query),
        get(api_list),
    )
    .add(
        "POST",
        "/api/locations",
        Needs(R::Location, A::Create),
        post(api_create),
    )
    .add(
        "GET",
        "/api/locations/{id}",
        Needs(R::Location, A::View),
        get(api_get),
    )
    .add(
        "PUT",
        "/api/locations/{id}",
        Needs(R::Location, A::Update),
        put(api_update),
    )
}

fn parse_location_id(raw: &str) -> Result<LocationId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("location"))
}

/// The start page. An administrator whose practice is not yet set up
/// resumes the set-up; everyone else goes to the locations list, which
/// sends strangers to sign in.
pub(crate) async fn home(State(state): State<WebState>, user: Option<CurrentUser>) -> Redirect {
    if let Some(CurrentUser(caller)) = user
        && role_permits(caller.actor.role, Resource::Organisation, Action::Update)
        && let Ok(progress) = state.app.setup_progress(&caller).await
        && progress.next.is_some()
    {
        return Redirect::to("/setup");
    }
    Redirect::to("/locations")
}

// ---------------------------------------------------------------- HTML

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
struct LocationsPage {
    layout: Layout,
    notice: Option<&'static str>,
    locations: Vec<LocationRow>,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    notice: Option<String>,
}

async fn list_page(
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
struct LocationFormPage {
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

fn input_from_form(form: &FormFields) -> LocationInput {
    let line2 = form.get("address_line2");
    LocationInput {
        name: form.get("name"),
        time_zone: form.get("time_zone"),
        address_line1: form.get("address_line1"),
        address_line2: (!line2.trim().is_empty()).then_some(line2),
        city: form.get("city"),
        state: form.get("state"),
        zip: form.get("zip"),
        specialties: form.all("specialties"),
    }
}

/// Turns a failed save into the form again, with the problem shown next to
/// the fields (422) or above the form (409); other errors go to the renderer.
fn form_failure(mut page: LocationFormPage, err: AppError) -> Response {
    match err {
        AppError::Validation(errors) => {
            let input = LocationInput::default();
            let rebuilt = LocationFormPage::new(
                page.layout.clone(),
                page.heading,
                page.action.clone(),
                page.version,
                &input,
                &errors,
            );
            page.form.name.error = rebuilt.form.name.error;
            page.form.address_line1.error = rebuilt.form.address_line1.error;
            page.form.address_line2.error = rebuilt.form.address_line2.error;
            page.form.city.error = rebuilt.form.city.error;
            page.form.state.error = rebuilt.form.state.error;
            page.form.zip.error = rebuilt.form.zip.error;
            page.form.time_zone.error = rebuilt.form.time_zone.error;
            page.specialties_error = rebuilt.specialties_error;
            page.problem =
                Some("Some fields need attention; see the messages next to them.".into());
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        AppError::Conflict(message) => {
            page.problem = Some(message);
            (StatusCode::CONFLICT, page).into_response()
        }
        other => WebError::App(other).into_response(),
    }
}

async fn new_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<LocationFormPage, WebError> {
    state
        .app
        .require(&caller, Resource::Location, Action::Create, None)
        .await?;
    Ok(LocationFormPage::new(
        Layout::signed_in(&state, &csrf, &caller, "locations").await?,
        "Add location",
        "/locations".into(),
        None,
        &LocationInput::default(),
        &ValidationErrors::new(),
    ))
}

async fn create_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let input = input_from_form(&form);
    match state.app.create_location(&caller, &input).await {
        Ok(_) => Ok(Redirect::to("/locations?notice=created").into_response()),
        Err(err) => {
            let page = LocationFormPage::new(
                Layout::signed_in(&state, &csrf, &caller, "locations").await?,
                "Add location",
                "/locations".into(),
                None,
                &input,
                &ValidationErrors::new(),
            );
            Ok(form_failure(page, err))
        }
    }
}

async fn edit_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<LocationFormPage, WebError> {
    let id = parse_location_id(&id)?;
    let loc = state.app.get_location(&caller, id).await?;
    state
        .app
        .require(&caller, Resource::Location, Action::Update, Some(id))
        .await?;
    Ok(LocationFormPage::new(
        Layout::signed_in(&state, &csrf, &caller, "locations").await?,
        "Edit location",
        format!("/locations/{id}"),
        Some(loc.version),
        &loc.to_input(),
        &ValidationErrors::new(),
    ))
}

async fn update_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_location_id(&id)?;
    let version = form.version("location")?;
    let input = input_from_form(&form);
    match state
        .app
        .update_location(&caller, id, version, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/locations?notice=updated").into_response()),
        Err(err) => {
            let page = LocationFormPage::new(
                Layout::signed_in(&state, &csrf, &caller, "locations").await?,
                "Edit location",
                format!("/locations/{id}"),
                Some(version),
                &input,
                &ValidationErrors::new(),
            );
            Ok(form_failure(page, err))
        }
    }
}

// ---------------------------------------------------------------- JSON API

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

/// A location to create, or the new content of one to update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// 1 to 120 characters, unique within the organisation (ignoring case).
    pub name: String,
    /// IANA time zone name, such as `America/Chicago`.
    pub time_zone: String,
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: Option<String>,
    pub city: String,
    /// USPS two-letter code.
    pub state: String,
    /// `12345` or `12345-6789`.
    pub zip: String,
    /// At least one of `dermatology`, `eye_care`, `optical_shop`.
    pub specialties: Vec<String>,
    /// Required on update: the version the edit started from.
    #[serde(default)]
    pub version: Option<i64>,
}

impl LocationBody {
    fn into_input(self) -> (LocationInput, Option<i64>) {
        (
            LocationInput {
                name: self.name,
                time_zone: self.time_zone,
                address_line1: self.address_line1,
                address_line2: self.address_line2,
                city: self.city,
                state: self.state,
                zip: self.zip,
                specialties: self.specialties,
            },
            self.version,
        )
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationBody {
    /// 1 to 120 characters.
    pub name: String,
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
    ApiJson(body): ApiJson<OrganisationBody>,
) -> Result<Json<OrganisationView>, WebError> {
    let org = state.app.rename_organisation(&caller, &body.name).await?;
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
    ApiJson(body): ApiJson<LocationBody>,
) -> Result<Response, WebError> {
    let (input, version) = body.into_input();
    if version.is_some() {
        return Err(ValidationErrors::single(
            "version",
            "a new location has no version yet; leave version out",
        )
        .into());
    }
    let loc = state.app.create_location(&caller, &input).await?;
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
    ApiJson(body): ApiJson<LocationBody>,
) -> Result<Json<LocationView>, WebError> {
    let id = parse_location_id(&id)?;
    let (input, version) = body.into_input();
    let version = version.ok_or_else(|| {
        ValidationErrors::single("version", "send the version you edited, as returned by GET")
    })?;
    let loc = state
        .app
        .update_location(&caller, id, version, &input)
        .await?;
    Ok(Json(LocationView::from(&loc)))
}
