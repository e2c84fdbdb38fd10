//! The biopsy pages: the work queue (every open biopsy with the timer
//! running on it, overdue first), ordering a biopsy from a chart,
//! recording each step of the loop, the quality measures and the
//! pathology requisition.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_domain::biopsies::{BiopsyOrder, BiopsyUpdate, MeasureResult, Recipient};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{BiopsyId, PatientId};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let p = Resource::Pathology;
    r.add("GET", "/biopsies", Needs(p, Action::Query), get(queue_page))
        .add(
            "POST",
            "/patients/{id}/biopsies",
            Needs(p, Action::Create),
            post(order),
        )
        .add(
            "POST",
            "/biopsies/{id}/step",
            Needs(p, Action::Update),
            post(step),
        )
        .add(
            "GET",
            "/reports/biopsies",
            Needs(p, Action::Query),
            get(measures_page),
        )
        .add(
            "GET",
            "/biopsies/{id}/requisition.pdf",
            Needs(p, Action::Print),
            get(requisition),
        )
}

struct QueueLine {
    id: String,
    version: i64,
    patient_id: String,
    site: String,
    method: String,
    state: String,
    timer: String,
    overdue: bool,
    /// Who was alerted about the running timer, for the queue.
    alerted: String,
    next: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "biopsies.html")]
struct QueuePage {
    layout: Layout,
    lines: Vec<QueueLine>,
}

async fn queue_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<QueuePage, WebError> {
    use kerato_domain::biopsies::BiopsyState as S;
    let items = state.app.biopsy_queue(&caller).await?;
    Ok(QueuePage {
        layout: Layout::signed_in(&state, &csrf, &caller, "biopsies").await?,
        lines: items
            .into_iter()
            .map(|i| QueueLine {
                id: i.biopsy.id.to_string(),
                version: i.biopsy.version,
                patient_id: i.biopsy.patient_id.to_string(),
                site: i.biopsy.site.clone(),
                method: i.biopsy.method.as_str().to_string(),
                state: i.biopsy.state().label().to_string(),
                timer: i
                    .timer
                    .map(|(kind, due)| {
                        format!(
                            "{} due {}",
                            kind.as_str().replace('_', " "),
                            due.to_jiff()
                                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                                .strftime("%Y-%m-%d %H:%M UTC")
                        )
                    })
                    .unwrap_or_default(),
                overdue: i.overdue,
                alerted: i
                    .alerted
                    .iter()
                    .map(|r| match r {
                        Recipient::ResponsibleClinician => "the responsible clinician",
                        Recipient::MedicalDirector => "escalated to the medical director",
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                next: match i.biopsy.state() {
                    S::Ordered => "send",
                    S::Sent => "result",
                    S::Resulted => "review",
                    S::Reviewed => "notify",
                    S::PatientNotified => "plan",
                    S::Planned | S::Closed => "close",
                },
            })
            .collect(),
    })
}

async fn order(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<BiopsyOrder>,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    state
        .app
        .order_biopsy(&caller, patient, &form.input?)
        .await?;
    Ok(Redirect::to("/biopsies").into_response())
}

async fn step(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<BiopsyUpdate>,
) -> Result<Response, WebError> {
    let id: BiopsyId = id.parse().map_err(|_| WebError::NotFound("biopsy"))?;
    state
        .app
        .record_biopsy_step(&caller, id, &form.input?)
        .await?;
    // A report entered days after it arrived can be overdue on entry; its
    // alert goes out now rather than at the scheduler's next minute. The
    // step is already committed, so a failure here is only logged and the
    // scheduler retries it.
    if let Err(e) = state.app.send_biopsy_alerts().await {
        tracing::warn!(error = %e, "biopsy alerts after a step failed; the scheduler will retry");
    }
    Ok(Redirect::to("/biopsies").into_response())
}

async fn requisition(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: BiopsyId = id.parse().map_err(|_| WebError::NotFound("biopsy"))?;
    let bytes = state.app.biopsy_requisition(&caller, id).await?;
    Ok(crate::view::file_response(
        "application/pdf",
        "inline",
        &format!("requisition-{id}.pdf"),
        bytes,
    ))
}

struct MeasureView {
    name: &'static str,
    what: &'static str,
    numerator: usize,
    denominator: usize,
    rate: String,
    gaps: Vec<String>,
}

impl MeasureView {
    fn of(name: &'static str, what: &'static str, m: &MeasureResult) -> Self {
        Self {
            name,
            what,
            numerator: m.numerator,
            denominator: m.denominator,
            rate: m
                .rate()
                .map_or_else(|| "no cases".into(), |r| format!("{:.1} %", r * 100.0)),
            gaps: m.gaps.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "biopsy_measures.html")]
struct MeasuresPage {
    layout: Layout,
    from: String,
    until: String,
    measures: Vec<MeasureView>,
}

async fn measures_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    axum::extract::Query(q): axum::extract::Query<crate::view::PeriodQuery>,
) -> Result<MeasuresPage, WebError> {
    let (from, until) = crate::view::period(&q.from, &q.until, state.app.now())?;
    let m = state.app.biopsy_measures(&caller, from, until).await?;
    Ok(MeasuresPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "biopsies").await?,
        from: from.to_string(),
        until: until.to_string(),
        measures: vec![
            MeasureView::of(
                "MIPS #440: pathology reported within 7 days",
                "Malignant biopsies sent in the period whose report arrived within 7 days of sending.",
                &m.report_within_7_days,
            ),
            MeasureView::of(
                "AAD biopsy follow-up",
                "Biopsies sent in the period whose result the biopsying clinician reviewed and whose patient was told.",
                &m.follow_up,
            ),
        ],
    })
}
