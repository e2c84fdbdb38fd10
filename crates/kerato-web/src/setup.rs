//! The first-run set-up: a checklist of steps the administrator works
//! through after `kerato init`, each on its own page, resuming at the first
//! step still to do; and the same over the JSON API.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use jiff::civil::Weekday;
use kerato_app::AppError;
use kerato_app::setup::SetupProgress;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::LocationId;
use kerato_domain::policy::{PolicyInput, PolicyKind};
use kerato_domain::providers::hours::weekday_name;
use kerato_domain::setup::{
    Channel, MessagingInput, MessagingStatus, OpeningHours, OpeningHoursInput, SetupStep,
    StepState, notice_of_privacy_practices,
};
use kerato_domain::tenancy::{Location, Specialty};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::{ApiJson, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let admin = Needs(Resource::Organisation, Action::Update);
    let location = Needs(Resource::Location, Action::Update);
    r.add("GET", "/setup", admin, get(resume))
        .add("GET", "/setup/steps/{step}", admin, get(step_page))
        .add("POST", "/setup/steps/{step}/skip", admin, post(skip_form))
        .add("POST", "/setup/organisation", admin, post(rename_form))
        .add(
            "POST",
            "/setup/locations/{id}/hours",
            location,
            post(hours_form),
        )
        .add("POST", "/setup/defaults", admin, post(defaults_form))
        .add("POST", "/setup/privacy-notice", admin, post(notice_form))
        .add("POST", "/setup/messaging", admin, post(messaging_form))
        .add("POST", "/setup/messaging/test", admin, post(test_form))
        .add("GET", "/api/setup", admin, get(api_progress))
        .add(
            "POST",
            "/api/setup/steps/{step}/skip",
            admin,
            post(api_skip),
        )
        .add("POST", "/api/setup/defaults", admin, post(api_defaults))
        .add("POST", "/api/setup/privacy-notice", admin, post(api_notice))
        .add(
            "GET",
            "/api/locations/{id}/hours",
            Needs(Resource::Location, Action::View),
            get(api_opening_hours),
        )
        .add(
            "PUT",
            "/api/locations/{id}/hours",
            location,
            put(api_set_hours),
        )
        .add("GET", "/api/settings/messaging", admin, get(api_messaging))
        .add(
            "PUT",
            "/api/settings/messaging",
            admin,
            put(api_save_messaging),
        )
        .add(
            "POST",
            "/api/settings/messaging/test",
            admin,
            post(api_test_message),
        )
}

fn step_of(raw: &str) -> Result<SetupStep, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("set-up step"))
}

fn location_id(raw: &str) -> Result<LocationId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("location"))
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

// ---------------------------------------------------------------- HTML

struct StepLine {
    key: &'static str,
    label: &'static str,
    state: &'static str,
    done: bool,
    current: bool,
}

struct DayHours {
    key: String,
    label: &'static str,
    opens: String,
    closes: String,
}

struct LocationHours {
    id: String,
    name: String,
    address: String,
    days: Vec<DayHours>,
    set: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "setup.html")]
struct StepPage {
    layout: Layout,
    steps: Vec<StepLine>,
    step: &'static str,
    title: &'static str,
    next: Option<&'static str>,
    skippable: bool,
    complete: bool,
    problem: Option<String>,
    organisation: String,
    locations: Vec<LocationHours>,
    specialties: Vec<Choice>,
    counts: (usize, usize),
    providers: Vec<(String, String, bool)>,
    staff: Vec<(String, String)>,
    notice_text: String,
    notice_contact: String,
    notice_effective: String,
    has_notice: bool,
    messaging: Option<MessagingStatus>,
    tested: String,
}

fn step_lines(progress: &SetupProgress, current: SetupStep) -> Vec<StepLine> {
    progress
        .steps
        .iter()
        .map(|(s, state)| StepLine {
            key: s.as_str(),
            label: s.label(),
            state: state.label(),
            done: *state == StepState::Done,
            current: *s == current,
        })
        .collect()
}

fn address(l: &Location) -> String {
    let a = &l.address;
    format!("{}, {}, {} {}", a.line1, a.city, a.state, a.zip)
}

fn day_rows(hours: &[OpeningHours]) -> Vec<DayHours> {
    WEEK.iter()
        .map(|d| {
            let given = hours.iter().find(|h| h.weekday == *d);
            // A location with no hours yet is offered the usual weekdays.
            let weekday = !matches!(d, Weekday::Saturday | Weekday::Sunday);
            let (opens, closes) = match given {
                Some(h) => (
                    h.opens.strftime("%H:%M").to_string(),
                    h.closes.strftime("%H:%M").to_string(),
                ),
                None if hours.is_empty() && weekday => ("08:00".into(), "17:00".into()),
                None => (String::new(), String::new()),
            };
            DayHours {
                key: weekday_name(*d)[..3].to_ascii_lowercase(),
                label: weekday_name(*d),
                opens,
                closes,
            }
        })
        .collect()
}

fn local_today(state: &WebState, locations: &[Location]) -> jiff::civil::Date {
    let zone = locations
        .first()
        .map_or(jiff::tz::TimeZone::UTC, |l| l.time_zone.zone().clone());
    state.app.now().to_jiff().to_zoned_datetime(zone).date()
}

/// The page of one step, with `problem` above its form when a submission
/// was refused.
async fn page(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    step: SetupStep,
    problem: Option<String>,
) -> Result<StepPage, WebError> {
    let progress = state.app.setup_progress(caller).await?;
    let org = state.app.organisation(caller).await?;
    let locations = state.app.list_locations(caller).await?;
    let mut location_hours = Vec::new();
    for l in &locations {
        let hours = state.app.opening_hours(caller, l.id).await?;
        location_hours.push(LocationHours {
            id: l.id.to_string(),
            name: l.name.clone(),
            address: address(l),
            set: !hours.is_empty(),
            days: day_rows(&hours),
        });
    }
    let offered: BTreeSet<Specialty> = locations
        .iter()
        .flat_map(|l| l.specialties.iter().copied())
        .collect();
    let (providers, types) = state.app.booking_choices(caller).await?;
    let mut provider_lines = Vec::new();
    for p in &providers {
        let hours = state.app.provider_hours(caller, p.id).await?;
        provider_lines.push((p.id.to_string(), p.display_name(), !hours.is_empty()));
    }
    let staff = if step == SetupStep::Staff {
        state
            .app
            .list_users(caller)
            .await?
            .into_iter()
            .map(|u| (u.display_name, u.role.label().to_string()))
            .collect()
    } else {
        Vec::new()
    };
    let today = local_today(state, &locations);
    let first = locations.first();
    let messaging = match step {
        SetupStep::Messaging => Some(state.app.messaging_status(caller).await?),
        _ => None,
    };
    let tested = messaging
        .as_ref()
        .and_then(|m| m.tested_at)
        .map(|t| {
            let zone = first.map_or(jiff::tz::TimeZone::UTC, |l| l.time_zone.zone().clone());
            t.to_jiff()
                .to_zoned_datetime(zone)
                .strftime("%m/%d/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let next = progress
        .steps
        .iter()
        .skip_while(|(s, _)| *s != step)
        .skip(1)
        .find(|(_, st)| *st != StepState::Done)
        .map(|(s, _)| s.as_str());
    let complete = progress.next.is_none();
    Ok(StepPage {
        layout: Layout::signed_in(state, csrf, caller, "setup-wizard").await?,
        steps: step_lines(&progress, step),
        step: step.as_str(),
        title: step.label(),
        next,
        skippable: step.skippable(),
        complete,
        problem,
        organisation: org.name.clone(),
        locations: location_hours,
        specialties: Specialty::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
                selected: offered.contains(s),
            })
            .collect(),
        counts: (types.len(), state.app.resources(caller).await?.len()),
        providers: provider_lines,
        staff,
        notice_text: notice_of_privacy_practices(
            &org.name,
            &first.map(address).unwrap_or_default(),
            // Filled from the contact field when the notice is published.
            "{contact}",
            today,
        ),
        notice_contact: String::new(),
        notice_effective: today.to_string(),
        has_notice: progress.facts.privacy_notices > 0,
        messaging,
        tested,
    })
}

/// `/setup`: straight to the step to resume at, or the last step when all
/// is done (it says so and points on).
async fn resume(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Redirect, WebError> {
    let progress = state.app.setup_progress(&caller).await?;
    let step = progress.next.unwrap_or(SetupStep::FirstAppointment);
    Ok(Redirect::to(&format!("/setup/steps/{}", step.as_str())))
}

async fn step_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(step): Path<String>,
) -> Result<StepPage, WebError> {
    page(&state, &csrf, &caller, step_of(&step)?, None).await
}

/// Back to a step's page after a form was taken.
fn back_to(step: SetupStep) -> Response {
    Redirect::to(&format!("/setup/steps/{}", step.as_str())).into_response()
}

/// A refused form: its step's page again, with the problem in sentences.
async fn refused(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    step: SetupStep,
    err: AppError,
) -> Result<Response, WebError> {
    let (status, message) = match err {
        AppError::Validation(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AppError::Conflict(m) => (StatusCode::CONFLICT, m),
        other => return Err(other.into()),
    };
    let page = page(state, csrf, caller, step, Some(message)).await?;
    Ok((status, page).into_response())
}

async fn skip_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(step): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let step = step_of(&step)?;
    match state.app.skip_setup_step(&caller, step).await {
        Ok(()) => Ok(Redirect::to("/setup").into_response()),
        Err(e) => refused(&state, &csrf, &caller, step, e).await,
    }
}

async fn rename_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    match state
        .app
        .rename_organisation(&caller, &form.get("name"))
        .await
    {
        Ok(_) => Ok(back_to(SetupStep::Practice)),
        Err(e) => refused(&state, &csrf, &caller, SetupStep::Practice, e).await,
    }
}

/// The opening-hours form as the API's days: a day with both times empty
/// is closed.
fn opening_input(form: &FormFields) -> Vec<OpeningHoursInput> {
    WEEK.iter()
        .filter_map(|d| {
            let key = weekday_name(*d)[..3].to_ascii_lowercase();
            let opens = form.get(&format!("{key}_opens"));
            let closes = form.get(&format!("{key}_closes"));
            (!opens.trim().is_empty() || !closes.trim().is_empty()).then_some(OpeningHoursInput {
                weekday: key,
                opens,
                closes,
            })
        })
        .collect()
}

async fn hours_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = location_id(&id)?;
    match state
        .app
        .set_opening_hours(&caller, id, &opening_input(&form))
        .await
    {
        Ok(_) => Ok(back_to(SetupStep::Practice)),
        Err(e) => refused(&state, &csrf, &caller, SetupStep::Practice, e).await,
    }
}

fn specialties_of(raw: &[String]) -> Result<BTreeSet<Specialty>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let set = raw
        .iter()
        .filter_map(|s| s.parse().map_err(|m| errors.add("specialties", m)).ok())
        .collect();
    errors.into_result(set)
}

async fn defaults_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let outcome = match specialties_of(&form.all("specialties")) {
        Ok(set) => state.app.install_specialty_defaults(&caller, &set).await,
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(_) => Ok(back_to(SetupStep::Specialties)),
        Err(e) => refused(&state, &csrf, &caller, SetupStep::Specialties, e).await,
    }
}

/// The notice as published from the set-up: the body as edited, or
/// Kerato's own text with the practice's details when none is given.
async fn notice_input(
    state: &WebState,
    caller: &kerato_app::Caller,
    effective_on: &str,
    contact: &str,
    body: Option<&str>,
) -> Result<PolicyInput, WebError> {
    let mut errors = ValidationErrors::new();
    let effective = kerato_domain::providers::hours::parse_date(effective_on)
        .map_err(|m| errors.add("effective_on", m))
        .ok();
    let contact = contact.trim();
    if contact.is_empty() || contact.chars().count() > 300 {
        errors.add(
            "contact",
            "say how patients reach your privacy officer: a telephone number, an e-mail address or both",
        );
    }
    let Some(effective) = effective else {
        return Err(errors.into());
    };
    errors.into_result(())?;
    let body = match body.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => b.to_string(),
        None => {
            let org = state.app.organisation(caller).await?;
            let locations = state.app.list_locations(caller).await?;
            notice_of_privacy_practices(
                &org.name,
                &locations.first().map(address).unwrap_or_default(),
                contact,
                effective,
            )
        }
    };
    Ok(PolicyInput {
        kind: PolicyKind::NoticeOfPrivacyPractices,
        effective_on: effective,
        material: false,
        summary: "The practice's first notice of privacy practices.".into(),
        body: body.replace("{contact}", contact),
    })
}

async fn notice_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let body = form.get("body");
    let published = match notice_input(
        &state,
        &caller,
        &form.get("effective_on"),
        &form.get("contact"),
        Some(&body),
    )
    .await
    {
        Ok(input) => state.app.publish_first_notice(&caller, &input).await,
        Err(WebError::App(e)) => Err(e),
        Err(other) => return Err(other),
    };
    match published {
        Ok(_) => Ok(back_to(SetupStep::PrivacyNotice)),
        Err(e) => refused(&state, &csrf, &caller, SetupStep::PrivacyNotice, e).await,
    }
}

fn messaging_input(form: &FormFields) -> MessagingInput {
    let optional = |name: &str| Some(form.get(name)).filter(|v| !v.trim().is_empty());
    MessagingInput {
        smtp_url: optional("smtp_url"),
        from_address: form.get("from_address"),
        sms_gateway_url: optional("sms_gateway_url"),
        sms_token: optional("sms_token"),
    }
}

async fn messaging_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    match state
        .app
        .save_messaging(&caller, &messaging_input(&form))
        .await
    {
        Ok(_) => Ok(back_to(SetupStep::Messaging)),
        Err(e) => refused(&state, &csrf, &caller, SetupStep::Messaging, e).await,
    }
}

async fn test_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let channel = form.get("channel").parse::<Channel>();
    let outcome = match channel {
        Ok(c) => {
            state
                .app
                .send_test_message(&caller, c, &form.get("to"))
                .await
        }
        Err(m) => Err(ValidationErrors::single("channel", m).into()),
    };
    match outcome {
        // The page shows how the test went either way.
        Ok(_) => Ok(back_to(SetupStep::Messaging)),
        Err(e) => refused(&state, &csrf, &caller, SetupStep::Messaging, e).await,
    }
}

// ---------------------------------------------------------------- JSON API

/// One step and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// `practice`, `specialties`, `providers`, `staff`, `privacy_notice`,
    /// `messaging` or `first_appointment`.
    pub step: String,
    pub label: String,
    /// `todo`, `done` or `skipped`.
    pub state: String,
}

/// Where the set-up stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupView {
    pub steps: Vec<StepView>,
    /// The step to resume at; null once the set-up is complete.
    pub next: Option<String>,
}

impl From<&SetupProgress> for SetupView {
    fn from(p: &SetupProgress) -> Self {
        Self {
            steps: p
                .steps
                .iter()
                .map(|(s, st)| StepView {
                    step: s.as_str().into(),
                    label: s.label().into(),
                    state: st.as_str().into(),
                })
                .collect(),
            next: p.next.map(|s| s.as_str().into()),
        }
    }
}

#[utoipa::path(get, path = "/api/setup", tag = "setup", operation_id = "setup_progress",
    responses((status = 200, description = "Every step and where it stands", body = SetupView),
        (status = 403, description = "Only an administrator sets the practice up", body = Problem)))]
pub(crate) async fn api_progress(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<SetupView>, WebError> {
    Ok(Json(SetupView::from(
        &state.app.setup_progress(&caller).await?,
    )))
}

#[utoipa::path(post, path = "/api/setup/steps/{step}/skip", tag = "setup", operation_id = "skip_setup_step",
    params(("step" = String, Path, description = "`staff` or `messaging`")),
    responses((status = 200, description = "Skipped for now", body = SetupView),
        (status = 404, description = "No such step", body = Problem),
        (status = 422, description = "The practice needs this step", body = Problem)))]
pub(crate) async fn api_skip(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(step): Path<String>,
) -> Result<Json<SetupView>, WebError> {
    state.app.skip_setup_step(&caller, step_of(&step)?).await?;
    Ok(Json(SetupView::from(
        &state.app.setup_progress(&caller).await?,
    )))
}

/// The specialties whose defaults to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultsBody {
    /// Any of `dermatology`, `eye_care`, `optical_shop`.
    pub specialties: Vec<String>,
}

/// What was added (what existed by name was kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct DefaultsView {
    pub visit_types: usize,
    pub resources: usize,
    pub recall_types: usize,
}

#[utoipa::path(post, path = "/api/setup/defaults", tag = "setup", operation_id = "install_specialty_defaults",
    request_body = DefaultsBody,
    responses((status = 200, description = "Added what was missing; again adds nothing", body = DefaultsView),
        (status = 422, description = "An unknown specialty, or none", body = Problem)))]
pub(crate) async fn api_defaults(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<DefaultsBody>,
) -> Result<Json<DefaultsView>, WebError> {
    let set = specialties_of(&body.specialties)?;
    let added = state.app.install_specialty_defaults(&caller, &set).await?;
    Ok(Json(DefaultsView {
        visit_types: added.visit_types,
        resources: added.resources,
        recall_types: added.recall_types,
    }))
}

/// The first notice of privacy practices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    /// The day it takes effect, `YYYY-MM-DD`.
    pub effective_on: String,
    /// How patients reach the privacy officer.
    pub contact: String,
    /// The full text; absent for Kerato's notice with the practice's
    /// name, address and this contact.
    #[serde(default)]
    pub body: Option<String>,
}

/// A published notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub version: i64,
    /// RFC 3339, UTC.
    pub effective_at: String,
}

#[utoipa::path(post, path = "/api/setup/privacy-notice", tag = "setup", operation_id = "publish_first_notice",
    request_body = NoticeBody,
    responses((status = 201, description = "Published", body = NoticeView),
        (status = 409, description = "The practice already has a notice", body = Problem),
        (status = 422, description = "A field is not valid", body = Problem)))]
pub(crate) async fn api_notice(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<NoticeBody>,
) -> Result<Response, WebError> {
    let input = notice_input(
        &state,
        &caller,
        &body.effective_on,
        &body.contact,
        body.body.as_deref(),
    )
    .await?;
    let row = state.app.publish_first_notice(&caller, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(NoticeView {
            version: i64::from(row.version),
            effective_at: row.effective_at.to_string(),
        }),
    )
        .into_response())
}

/// A location's opening hours.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningHoursBody {
    /// One span a day; a day not given is closed.
    pub days: Vec<OpeningHoursInput>,
}

fn hours_view(hours: &[OpeningHours]) -> OpeningHoursBody {
    OpeningHoursBody {
        days: hours
            .iter()
            .map(|h| OpeningHoursInput {
                weekday: weekday_name(h.weekday).to_ascii_lowercase(),
                opens: h.opens.strftime("%H:%M").to_string(),
                closes: h.closes.strftime("%H:%M").to_string(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/locations/{id}/hours", tag = "setup", operation_id = "get_opening_hours",
    params(("id" = String, Path, description = "location ID")),
    responses((status = 200, description = "The opening hours, Monday first", body = OpeningHoursBody),
        (status = 404, description = "No such location", body = Problem)))]
pub(crate) async fn api_opening_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<OpeningHoursBody>, WebError> {
    let hours = state.app.opening_hours(&caller, location_id(&id)?).await?;
    Ok(Json(hours_view(&hours)))
}

#[utoipa::path(put, path = "/api/locations/{id}/hours", tag = "setup", operation_id = "set_opening_hours",
    request_body = OpeningHoursBody, params(("id" = String, Path, description = "location ID")),
    responses((status = 200, description = "Saved", body = OpeningHoursBody),
        (status = 404, description = "No such location", body = Problem),
        (status = 422, description = "A day is not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_set_hours(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OpeningHoursBody>,
) -> Result<Json<OpeningHoursBody>, WebError> {
    let hours = state
        .app
        .set_opening_hours(&caller, location_id(&id)?, &body.days)
        .await?;
    Ok(Json(hours_view(&hours)))
}

/// The messaging settings in force (never a password or token).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagingView {
    /// The SMTP URL with any password hidden.
    pub smtp_server: Option<String>,
    pub from_address: String,
    pub sms_gateway_url: Option<String>,
    pub has_sms_token: bool,
    /// Set in the server's configuration file, which wins.
    pub from_configuration: bool,
    /// RFC 3339, UTC.
    pub tested_at: Option<String>,
    /// `email` or `sms`.
    pub tested_channel: Option<String>,
    pub test_passed: bool,
    /// Why the last test failed.
    pub test_error: Option<String>,
}

impl From<&MessagingStatus> for MessagingView {
    fn from(m: &MessagingStatus) -> Self {
        Self {
            smtp_server: m.smtp_server.clone(),
            from_address: m.from_address.clone(),
            sms_gateway_url: m.sms_gateway_url.clone(),
            has_sms_token: m.has_sms_token,
            from_configuration: m.from_configuration,
            tested_at: m.tested_at.map(|t| t.to_string()),
            tested_channel: m.tested_channel.map(|c| c.as_str().into()),
            test_passed: m.test_passed,
            test_error: m.test_error.clone(),
        }
    }
}

#[utoipa::path(get, path = "/api/settings/messaging", tag = "setup", operation_id = "get_messaging",
    responses((status = 200, description = "The settings in force", body = MessagingView),
        (status = 403, description = "Only an administrator sees them", body = Problem)))]
pub(crate) async fn api_messaging(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<MessagingView>, WebError> {
    Ok(Json(MessagingView::from(
        &state.app.messaging_status(&caller).await?,
    )))
}

#[utoipa::path(put, path = "/api/settings/messaging", tag = "setup", operation_id = "save_messaging",
    request_body = MessagingInput,
    responses((status = 200, description = "Saved; send a test next", body = MessagingView),
        (status = 422, description = "A setting is not valid; `fields` names it", body = Problem)))]
pub(crate) async fn api_save_messaging(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<MessagingInput>,
) -> Result<Json<MessagingView>, WebError> {
    Ok(Json(MessagingView::from(
        &state.app.save_messaging(&caller, &body).await?,
    )))
}

/// Where to send a test message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    /// `email` or `sms`.
    pub channel: String,
    /// An e-mail address or a mobile number.
    pub to: String,
}

#[utoipa::path(post, path = "/api/settings/messaging/test", tag = "setup", operation_id = "send_test_message",
    request_body = TestBody,
    responses((status = 200, description = "Tried; `test_passed` and `test_error` say how it went", body = MessagingView),
        (status = 422, description = "A field is not valid", body = Problem)))]
pub(crate) async fn api_test_message(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<TestBody>,
) -> Result<Json<MessagingView>, WebError> {
    let channel = body
        .channel
        .parse::<Channel>()
        .map_err(|m| ValidationErrors::single("channel", m))?;
    Ok(Json(MessagingView::from(
        &state
            .app
            .send_test_message(&caller, channel, &body.to)
            .await?,
    )))
}
