//! The set-up's pages: one a step, with the checklist beside it; a form
//! the rules refuse shows its step again with the problem above it.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Weekday;
use kerato_app::AppError;
use kerato_app::setup::{SetupProgress, one_line_address};
use kerato_domain::providers::hours::weekday_name;
use kerato_domain::setup::{
    FirstNotice, MessagingSettings, MessagingStatus, OpeningHours, OpeningWeekForm, SetupStep,
    SpecialtyChoice, StepState, TestMessage, notice_of_privacy_practices,
};
use kerato_domain::tenancy::{Location, OrganisationName, Specialty};

use super::{location_id, step_of};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

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
pub(super) struct StepPage {
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
            address: one_line_address(l),
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
            &first.map(one_line_address).unwrap_or_default(),
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
pub(super) async fn resume(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Redirect, WebError> {
    let progress = state.app.setup_progress(&caller).await?;
    let step = progress.next.unwrap_or(SetupStep::FirstAppointment);
    Ok(Redirect::to(&format!("/setup/steps/{}", step.as_str())))
}

pub(super) async fn step_page(
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

pub(super) async fn skip_form(
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

/// Takes a parsed form to its use case, then back to the step's page: on
/// success the page as it now stands, on refusal with the problem.
async fn submitted<T>(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    step: SetupStep,
    outcome: Result<T, AppError>,
) -> Result<Response, WebError> {
    match outcome {
        Ok(_) => Ok(back_to(step)),
        Err(e) => refused(state, csrf, caller, step, e).await,
    }
}

pub(super) async fn rename_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<OrganisationName>,
) -> Result<Response, WebError> {
    let outcome = match form.input {
        Ok(name) => state.app.rename_organisation(&caller, &name).await,
        Err(errors) => Err(errors.into()),
    };
    submitted(&state, &csrf, &caller, SetupStep::Practice, outcome).await
}

pub(super) async fn hours_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<OpeningWeekForm>,
) -> Result<Response, WebError> {
    let id = location_id(&id)?;
    let outcome = match form.input {
        Ok(OpeningWeekForm(week)) => state.app.set_opening_hours(&caller, id, &week).await,
        Err(errors) => Err(errors.into()),
    };
    submitted(&state, &csrf, &caller, SetupStep::Practice, outcome).await
}

pub(super) async fn defaults_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<SpecialtyChoice>,
) -> Result<Response, WebError> {
    let outcome = match form.input {
        Ok(SpecialtyChoice(set)) => state.app.install_specialty_defaults(&caller, &set).await,
        Err(errors) => Err(errors.into()),
    };
    submitted(&state, &csrf, &caller, SetupStep::Specialties, outcome).await
}

pub(super) async fn notice_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<FirstNotice>,
) -> Result<Response, WebError> {
    let outcome = match form.input {
        Ok(notice) => state.app.publish_setup_notice(&caller, &notice).await,
        Err(errors) => Err(errors.into()),
    };
    submitted(&state, &csrf, &caller, SetupStep::PrivacyNotice, outcome).await
}

pub(super) async fn messaging_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<MessagingSettings>,
) -> Result<Response, WebError> {
    let outcome = match form.input {
        Ok(settings) => state.app.save_messaging(&caller, &settings).await,
        Err(errors) => Err(errors.into()),
    };
    submitted(&state, &csrf, &caller, SetupStep::Messaging, outcome).await
}

/// The page shows how the test went either way.
pub(super) async fn test_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<TestMessage>,
) -> Result<Response, WebError> {
    let outcome = match form.input {
        Ok(test) => state.app.send_test_message(&caller, &test).await,
        Err(errors) => Err(errors.into()),
    };
    submitted(&state, &csrf, &caller, SetupStep::Messaging, outcome).await
}
