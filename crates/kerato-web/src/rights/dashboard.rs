//! The privacy officer's workspace: requests on their clocks, the
//! retention schedule, legal holds and policy versions, and the forms that
//! change them from there.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::retention::RetentionOverview;
use kerato_domain::ids::PatientId;
use kerato_domain::policy::{AcknowledgementInput, PolicyInput, PolicyKind, PublishedPolicy};
use kerato_domain::retention::{
    self, Action as Step, Anchor, DataClass, Hold, HoldInput, Keep, RetentionRule,
};
use kerato_domain::rights::{Channel, RequestInput};

use super::{RequestLine, day, gpc, jurisdictions, request_types};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

struct PolicyLine {
    kind: &'static str,
    version: u32,
    announced: String,
    effective: String,
    material: bool,
    summary: String,
}

impl PolicyLine {
    fn of(p: &PublishedPolicy) -> Self {
        PolicyLine {
            kind: p.kind.label(),
            version: p.version,
            announced: day(p.announced_at),
            effective: day(p.effective_at),
            material: p.material,
            summary: p.summary.clone(),
        }
    }
}

struct ScheduleLine {
    class: &'static str,
    rule: String,
    citation: &'static str,
}

impl ScheduleLine {
    fn of(r: &RetentionRule) -> Self {
        let keep = match r.keep {
            Keep::Years(n) => format!("{n} years"),
            Keep::Days(n) => format!("{n} days"),
            Keep::NotAtAll => "no time".to_string(),
        };
        let after = match r.after {
            Anchor::Created => "after it is made",
            Anchor::LastVisit => "after the last visit",
            Anchor::LastEffective => "after it was last in effect",
            Anchor::AccountClosed => "after the account is closed",
            Anchor::LastInteraction => "after the last interaction, or at opt-out",
            Anchor::LearnedUnder13 => "after it is learned the person is under 13",
        };
        let then = match r.action {
            Step::Delete => "then deleted",
            Step::Pseudonymise => "then pseudonymised",
        };
        ScheduleLine {
            class: r.class.label(),
            rule: format!("Kept {keep} {after}, {then}"),
            citation: r.citation,
        }
    }
}

struct HoldLine {
    id: String,
    scope: String,
    class: &'static str,
    reason: String,
    placed_on: String,
    released_on: Option<String>,
}

impl HoldLine {
    fn of(h: &Hold) -> Self {
        HoldLine {
            id: h.id.to_string(),
            scope: h.patient_id.map_or_else(
                || "the whole practice".to_string(),
                |p| format!("chart {p}"),
            ),
            class: h.data_class.map_or("every class", |c| c.label()),
            reason: h.reason.clone(),
            placed_on: h.placed_on.to_string(),
            released_on: h.released_on.map(|d| d.to_string()),
        }
    }
}

/// The latest retention run in a line: "2026-11-26 (dry run): Marketing
/// data: 3 deleted, 0 held, 1 kept; …".
fn last_run(overview: &RetentionOverview) -> Option<String> {
    let (at, dry, classes) = overview.last_run.as_ref()?;
    let counts: Vec<String> = classes
        .iter()
        .map(|(class, c)| {
            // The audit trail is pseudonymised, not deleted.
            let done = match retention::action(*class) {
                Step::Delete => "deleted",
                Step::Pseudonymise => "pseudonymised",
            };
            format!(
                "{}: {} {done}, {} held, {} kept",
                class.label(),
                c.records,
                c.held,
                c.kept
            )
        })
        .collect();
    Some(format!(
        "{}{}: {}",
        day(*at),
        if *dry { " (dry run)" } else { "" },
        if counts.is_empty() {
            "nothing was due".to_string()
        } else {
            counts.join("; ")
        }
    ))
}

fn choices<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).into(),
            label: label(*v).into(),
            selected: false,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy.html")]
pub(super) struct DashboardPage {
    layout: Layout,
    schedule: Vec<ScheduleLine>,
    holds: Vec<HoldLine>,
    /// "2026-11-26 (dry run): Marketing data 3 …", or nothing yet.
    last_run: Option<String>,
    classes: Vec<Choice>,
    requests: Vec<RequestLine>,
    types: Vec<Choice>,
    jurisdictions: Vec<Choice>,
    policies: Vec<PolicyLine>,
    kinds: Vec<Choice>,
}

pub(super) async fn dashboard(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<DashboardPage, WebError> {
    let workspace = state.app.privacy_workspace(&caller).await?;
    let retention = &workspace.retention;
    Ok(DashboardPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "privacy").await?,
        schedule: retention.schedule.iter().map(ScheduleLine::of).collect(),
        holds: retention.holds.iter().map(HoldLine::of).collect(),
        last_run: last_run(retention),
        classes: choices(DataClass::ALL, DataClass::as_str, DataClass::label),
        requests: workspace.requests.iter().map(RequestLine::of).collect(),
        types: request_types(),
        jurisdictions: jurisdictions(),
        policies: workspace
            .policies
            .iter()
            .rev()
            .map(PolicyLine::of)
            .collect(),
        kinds: choices(PolicyKind::ALL, PolicyKind::as_str, PolicyKind::label),
    })
}

pub(super) async fn staff_request(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    headers: HeaderMap,
    form: Form<RequestInput>,
) -> Result<Response, WebError> {
    let request = state
        .app
        .receive_rights_request(Some(&caller), Channel::Staff, &form.input?, gpc(&headers))
        .await?;
    Ok(Redirect::to(&format!("/privacy/requests/{}", request.id)).into_response())
}

pub(super) async fn place_hold(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<HoldInput>,
) -> Result<Response, WebError> {
    state.app.place_legal_hold(&caller, &form.input?).await?;
    Ok(Redirect::to("/privacy#holds-heading").into_response())
}

pub(super) async fn release_hold(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("legal hold"))?;
    state.app.release_legal_hold(&caller, id).await?;
    Ok(Redirect::to("/privacy#holds-heading").into_response())
}

pub(super) async fn publish(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<PolicyInput>,
) -> Result<Response, WebError> {
    state.app.publish_policy(&caller, &form.input?).await?;
    Ok(Redirect::to("/privacy#policies-heading").into_response())
}

pub(super) async fn acknowledge(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<AcknowledgementInput>,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    state
        .app
        .record_policy_acknowledgement(&caller, patient, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}")).into_response())
}
