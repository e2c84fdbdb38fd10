//! The privacy officer's workspace (requests on their legal clocks, each
//! request's steps, policy versions) and the public pages a patient uses:
//! the rights request form (honouring Global Privacy Control) and the
//! one-time download of an access package.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_app::policies::PolicyInput;
use kerato_app::rights::{Channel, RequestInput, RequestStep, RequestView};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{PatientId, RightsRequestId};
use kerato_domain::policy::PolicyKind;
use kerato_domain::rights_request::{Jurisdiction, RequestType};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::FormFields;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public};
    let p = Resource::PrivacyRequest;
    r.add("GET", "/privacy", Needs(p, Action::Query), get(dashboard))
        .add(
            "POST",
            "/privacy/requests",
            Needs(p, Action::Create),
            post(staff_request),
        )
        .add(
            "GET",
            "/privacy/requests/{id}",
            Needs(p, Action::View),
            get(request_page),
        )
        .add(
            "POST",
            "/privacy/requests/{id}/step",
            Needs(p, Action::Update),
            post(step),
        )
        .add(
            "POST",
            "/privacy/requests/{id}/disagreement",
            Needs(p, Action::Update),
            post(disagreement),
        )
        .add(
            "POST",
            "/privacy/holds",
            Needs(p, Action::Create),
            post(place_hold),
        )
        .add(
            "POST",
            "/privacy/holds/{id}/release",
            Needs(p, Action::Update),
            post(release_hold),
        )
        .add(
            "POST",
            "/privacy/policies",
            Needs(p, Action::Create),
            post(publish),
        )
        .add(
            "POST",
            "/patients/{id}/policy-acknowledgements",
            Needs(Resource::Patient, Action::Update),
            post(acknowledge),
        )
        .add("GET", "/privacy/request", Public, get(public_form))
        .add("POST", "/privacy/request", Public, post(public_request))
        .add(
            "GET",
            "/privacy/download/{token}",
            Public,
            get(download_page),
        )
        .add("POST", "/privacy/download/{token}", Public, post(download))
}

fn request_types() -> Vec<Choice> {
    RequestType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: t.label().into(),
            selected: false,
        })
        .collect()
}

fn jurisdictions() -> Vec<Choice> {
    Jurisdiction::ALL
        .iter()
        .map(|j| Choice {
            value: j.as_str().into(),
            label: j.label().into(),
            selected: *j == Jurisdiction::UnitedStates,
        })
        .collect()
}

fn request_input(form: &FormFields) -> RequestInput {
    RequestInput {
        practice: form.get("practice"),
        request_type: form.get("request_type"),
        jurisdiction: form.get("jurisdiction"),
        first_name: form.get("first_name"),
        last_name: form.get("last_name"),
        date_of_birth: form.get("date_of_birth"),
        email: form.get("email"),
        phone: form.get("phone"),
        details: form.get("details"),
    }
}

/// Whether the browser sent the Global Privacy Control signal.
fn gpc(headers: &HeaderMap) -> bool {
    headers
        .get("sec-gpc")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1")
}

fn day(t: kerato_domain::time::Timestamp) -> String {
    t.to_jiff().strftime("%Y-%m-%d").to_string()
}

struct RequestLine {
    id: String,
    kind: &'static str,
    requester: String,
    state: String,
    due: String,
    days_left: i64,
    overdue: bool,
    closed: bool,
}

impl RequestLine {
    fn of(v: &RequestView) -> Self {
        RequestLine {
            id: v.row.id.to_string(),
            kind: v.timeline.request_type.label(),
            requester: v.row.requester_name.clone(),
            state: v.row.state.replace('_', " "),
            due: day(v.due_at),
            days_left: v.days_left,
            overdue: v.overdue,
            closed: v.state.is_closed(),
        }
    }
}

struct PolicyLine {
    kind: &'static str,
    version: i64,
    announced: String,
    effective: String,
    material: bool,
    summary: String,
}

struct ScheduleLine {
    class: &'static str,
    rule: String,
    citation: &'static str,
}

struct HoldLine {
    id: String,
    scope: String,
    class: &'static str,
    reason: String,
    placed_on: String,
    released_on: Option<String>,
}

fn schedule_line(r: &kerato_domain::retention::RetentionRule) -> ScheduleLine {
    use kerato_domain::retention::{Action as Step, Anchor, Keep};
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

#[derive(Template, WebTemplate)]
#[template(path = "privacy.html")]
struct DashboardPage {
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

async fn dashboard(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<DashboardPage, WebError> {
    let views = state.app.rights_requests(&caller).await?;
    let policies = state.app.policies(&caller).await?;
    let retention = state.app.retention_overview(&caller).await?;
    Ok(DashboardPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "privacy").await?,
        schedule: retention.schedule.iter().map(schedule_line).collect(),
        holds: retention
            .holds
            .iter()
            .map(|h| HoldLine {
                id: h.id.to_string(),
                scope: h.patient_id.map_or_else(
                    || "the whole practice".to_string(),
                    |p| format!("chart {p}"),
                ),
                class: h.data_class.map_or("every class", |c| c.label()),
                reason: h.reason.clone(),
                placed_on: h.placed_on.clone(),
                released_on: h.released_on.clone(),
            })
            .collect(),
        last_run: retention.last_run.map(|(at, dry, classes)| {
            let counts: Vec<String> = classes
                .iter()
                .map(|(class, c)| {
                    // The audit trail is pseudonymised, not deleted.
                    let done = match kerato_domain::retention::action(*class) {
                        kerato_domain::retention::Action::Delete => "deleted",
                        kerato_domain::retention::Action::Pseudonymise => "pseudonymised",
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
            format!(
                "{}{}: {}",
                day(at),
                if dry { " (dry run)" } else { "" },
                if counts.is_empty() {
                    "nothing was due".to_string()
                } else {
                    counts.join("; ")
                }
            )
        }),
        classes: kerato_domain::retention::DataClass::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().into(),
                label: c.label().into(),
                selected: false,
            })
            .collect(),
        requests: views.iter().map(RequestLine::of).collect(),
        types: request_types(),
        jurisdictions: jurisdictions(),
        policies: policies
            .iter()
            .rev()
            .map(|p| PolicyLine {
                kind: p
                    .kind
                    .parse::<PolicyKind>()
                    .map(PolicyKind::label)
                    .unwrap_or("policy"),
                version: p.version,
                announced: day(p.announced_at),
                effective: day(p.effective_at),
                material: p.material,
                summary: p.summary.clone(),
            })
            .collect(),
        kinds: PolicyKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: k.label().into(),
                selected: false,
            })
            .collect(),
    })
}

async fn staff_request(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    headers: HeaderMap,
    form: FormFields,
) -> Result<Response, WebError> {
    let row = state
        .app
        .receive_rights_request(
            Some(&caller),
            Channel::Staff,
            &request_input(&form),
            gpc(&headers),
        )
        .await?;
    Ok(Redirect::to(&format!("/privacy/requests/{}", row.id)).into_response())
}

struct Candidate {
    id: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy_request.html")]
struct RequestPage {
    layout: Layout,
    line: RequestLine,
    version: i64,
    regime: &'static str,
    received: String,
    contact: String,
    details: String,
    gpc: bool,
    patient: Option<String>,
    identity_note: Option<String>,
    candidates: Vec<Candidate>,
    outcome: Option<String>,
    extended: Option<String>,
    /// A download link made just now, shown this once.
    download: Option<String>,
    /// A denied amendment request, which can take the patient's statement
    /// of disagreement.
    may_attach_disagreement: bool,
}

async fn render_request(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    id: RightsRequestId,
    download: Option<String>,
) -> Result<RequestPage, WebError> {
    let view = state.app.rights_request(caller, id).await?;
    let candidates = if view.row.patient_id.is_none() {
        state
            .app
            .request_candidates(caller, &view.row)
            .await?
            .into_iter()
            .map(|p| Candidate {
                id: p.id.to_string(),
                label: format!(
                    "{}, {} · MRN {} · born {}",
                    p.fields.legal_last_name,
                    p.fields.legal_first_name,
                    p.mrn,
                    p.fields.date_of_birth
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let r = &view.row;
    let contact = [
        r.requester_dob.as_ref().map(|d| format!("born {d}")),
        r.requester_email.clone(),
        r.requester_phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    Ok(RequestPage {
        layout: Layout::signed_in(state, csrf, caller, "privacy").await?,
        line: RequestLine::of(&view),
        version: r.version,
        regime: view.timeline.regime.label(),
        received: day(view.timeline.received_at),
        contact,
        details: r.details.clone(),
        gpc: r.gpc,
        patient: r.patient_id.map(|p| p.to_string()),
        identity_note: r.identity_note.clone(),
        candidates,
        outcome: view.timeline.outcome.as_ref().map(|o| match o {
            kerato_domain::rights_request::Outcome::Fulfilled { at, summary } => {
                format!("Fulfilled {}: {summary}", day(*at))
            }
            kerato_domain::rights_request::Outcome::Denied { at, reason } => {
                format!("Denied {}: {reason}", day(*at))
            }
        }),
        extended: view
            .timeline
            .extension
            .as_ref()
            .map(|e| format!("Extended {}: {}", day(e.at), e.reason)),
        download,
        may_attach_disagreement: r.request_type == "correction"
            && view.state == kerato_domain::rights_request::RequestState::Denied,
    })
}

async fn request_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<RequestPage, WebError> {
    let id: RightsRequestId = id
        .parse()
        .map_err(|_| WebError::NotFound("privacy request"))?;
    render_request(&state, &csrf, &caller, id, None).await
}

async fn step(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id: RightsRequestId = id
        .parse()
        .map_err(|_| WebError::NotFound("privacy request"))?;
    let text = |name: &str| form.get(name);
    let step = match form.get("step").as_str() {
        "verify" => RequestStep::VerifyIdentity {
            patient: form.get("patient_id").parse::<PatientId>().map_err(|_| {
                WebError::Validation(ValidationErrors::single(
                    "patient_id",
                    "choose the requester's chart from the list",
                ))
            })?,
            note: text("identity_note"),
        },
        "start" => RequestStep::StartWork,
        "extend" => RequestStep::Extend {
            reason: text("reason"),
        },
        "fulfil" => RequestStep::Fulfil {
            summary: text("summary"),
        },
        "deny" => RequestStep::Deny {
            reason: text("reason"),
        },
        _ => {
            return Err(WebError::Validation(ValidationErrors::single(
                "step",
                "choose the step to record",
            )));
        }
    };
    let done = state
        .app
        .rights_request_step(&caller, id, form.version("request")?, step)
        .await?;
    match done.download_token {
        // The link is shown once, on this response; it is nowhere else.
        Some(token) => Ok(render_request(
            &state,
            &csrf,
            &caller,
            id,
            Some(format!("/privacy/download/{token}")),
        )
        .await?
        .into_response()),
        None => Ok(Redirect::to(&format!("/privacy/requests/{id}")).into_response()),
    }
}

async fn disagreement(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id: RightsRequestId = id
        .parse()
        .map_err(|_| WebError::NotFound("privacy request"))?;
    state
        .app
        .attach_disagreement(&caller, id, &form.get("statement"))
        .await?;
    Ok(Redirect::to(&format!("/privacy/requests/{id}")).into_response())
}

async fn place_hold(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient = match form.get("patient_id").trim() {
        "" => None,
        id => Some(id.parse::<PatientId>().map_err(|_| {
            WebError::Validation(ValidationErrors::single(
                "patient_id",
                "paste the chart's ID from its address, or leave it empty to hold the whole practice",
            ))
        })?),
    };
    let class = match form.get("data_class").trim() {
        "" => None,
        c => Some(
            c.parse::<kerato_domain::retention::DataClass>()
                .map_err(|e| WebError::Validation(ValidationErrors::single("data_class", e)))?,
        ),
    };
    state
        .app
        .place_legal_hold(&caller, patient, class, &form.get("reason"))
        .await?;
    Ok(Redirect::to("/privacy#holds-heading").into_response())
}

async fn release_hold(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("legal hold"))?;
    state.app.release_legal_hold(&caller, id).await?;
    Ok(Redirect::to("/privacy#holds-heading").into_response())
}

async fn publish(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    state
        .app
        .publish_policy(
            &caller,
            &PolicyInput {
                kind: form.get("kind"),
                effective_on: form.get("effective_on"),
                material: form.get("material") == "yes",
                summary: form.get("summary"),
                body: form.get("body"),
            },
        )
        .await?;
    Ok(Redirect::to("/privacy#policies-heading").into_response())
}

async fn acknowledge(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let kind: PolicyKind = form
        .get("kind")
        .parse()
        .map_err(|e: String| WebError::Validation(ValidationErrors::single("kind", e)))?;
    let version: i64 = form.get("version").parse().map_err(|_| {
        WebError::Validation(ValidationErrors::single(
            "version",
            "choose the version the patient received",
        ))
    })?;
    state
        .app
        .record_policy_acknowledgement(&caller, patient, kind, version)
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy_public_request.html")]
struct PublicFormPage {
    layout: Layout,
    /// The practice named by the link, carried by the form.
    practice: String,
    types: Vec<Choice>,
    jurisdictions: Vec<Choice>,
    gpc: bool,
    received: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct PracticeQuery {
    practice: String,
}

async fn public_form(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PracticeQuery>,
) -> Result<PublicFormPage, WebError> {
    Ok(PublicFormPage {
        layout: Layout::public(&csrf, "privacy")
            .with_announcements(&state.app.practice_announcements(&q.practice).await?),
        practice: q.practice,
        types: request_types(),
        jurisdictions: jurisdictions(),
        gpc: gpc(&headers),
        received: None,
    })
}

async fn public_request(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    headers: HeaderMap,
    form: FormFields,
) -> Result<PublicFormPage, WebError> {
    let row = state
        .app
        .receive_rights_request(None, Channel::Portal, &request_input(&form), gpc(&headers))
        .await?;
    let practice = form.get("practice");
    Ok(PublicFormPage {
        layout: Layout::public(&csrf, "privacy")
            .with_announcements(&state.app.practice_announcements(&practice).await?),
        practice,
        types: request_types(),
        jurisdictions: jurisdictions(),
        gpc: row.gpc,
        received: Some(row.id.to_string()),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy_download.html")]
struct DownloadPage {
    layout: Layout,
    token: String,
    file_name: String,
}

async fn download_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<DownloadPage, WebError> {
    // Opening the link does not spend it: mail scanners open links, and
    // only the button below downloads.
    let file_name = state.app.download_status(&token).await?;
    Ok(DownloadPage {
        layout: Layout::public(&csrf, "privacy"),
        token,
        file_name,
    })
}

async fn download(
    State(state): State<WebState>,
    Path(token): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let (name, bytes) = state.app.download_package(&token).await?;
    Ok(crate::view::file_response(
        "application/zip",
        "attachment",
        &name,
        bytes,
    ))
}
