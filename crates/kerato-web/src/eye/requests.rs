//! The sellers' and agents' request inbox, the FTC compliance report, and
//! the prescriber's credentials.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kerato_domain::eye::prescription::PrescriberCredentialsInput;
use kerato_domain::eye::requests::{RxAnswerInput, RxRequestInput, RxRequestKind};
use kerato_domain::ids::RxRequestId;

use super::{id_of, local};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use crate::view::{Choice, PeriodQuery, period};
use kerato_http::csrf::CsrfToken;

struct RequestLine {
    id: String,
    kind: &'static str,
    requester: String,
    patient: String,
    details: String,
    received: String,
    due: String,
    status: &'static str,
    left: String,
    verification: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "rx_requests.html")]
pub(super) struct RequestsPage {
    layout: Layout,
    requests: Vec<RequestLine>,
    locations: Vec<Choice>,
}

fn time_left(minutes: i64) -> String {
    match minutes {
        0 => "none".into(),
        m if m < 60 => format!("{m} min"),
        m => format!("{} h {:02} min", m / 60, m % 60),
    }
}

pub(super) async fn requests_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<RequestsPage, WebError> {
    let requests = state.app.rx_requests(&caller).await?;
    let locations = state.app.list_locations(&caller).await?;
    Ok(RequestsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "rx-requests").await?,
        requests: requests
            .into_iter()
            .map(|v| RequestLine {
                id: v.request.id.to_string(),
                kind: v.request.kind.label(),
                verification: v.request.kind == RxRequestKind::Verification,
                requester: format!("{} ({})", v.request.requester, v.request.requester_contact),
                patient: v.request.patient_name.clone(),
                details: v.request.details.clone(),
                received: local(v.request.received_at),
                due: local(v.request.due_at),
                status: v.status.label(),
                left: time_left(v.minutes_left),
            })
            .collect(),
        locations: locations
            .iter()
            .map(|l| Choice {
                value: l.id.to_string(),
                label: l.name.clone(),
                selected: false,
            })
            .collect(),
    })
}

pub(super) async fn receive_request(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<RxRequestInput>,
) -> Result<Response, WebError> {
    state.app.receive_rx_request(&caller, &form.input?).await?;
    Ok(Redirect::to("/rx-requests").into_response())
}

pub(super) async fn answer_request(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<RxAnswerInput>,
) -> Result<Response, WebError> {
    let id: RxRequestId = id_of(&id, "request")?;
    state
        .app
        .answer_rx_request(&caller, id, &form.input?)
        .await?;
    Ok(Redirect::to("/rx-requests").into_response())
}

// ------------------------------------------------------------ credentials

#[derive(Template, WebTemplate)]
#[template(path = "prescriber.html")]
pub(super) struct PrescriberPage {
    layout: Layout,
}

pub(super) async fn prescriber_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<PrescriberPage, WebError> {
    Ok(PrescriberPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "account").await?,
    })
}

pub(super) async fn save_prescriber(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<PrescriberCredentialsInput>,
) -> Result<Response, WebError> {
    state
        .app
        .set_prescriber_credentials(&caller, &form.input?)
        .await?;
    Ok(Redirect::to("/settings/prescriber").into_response())
}

// ------------------------------------------------------------ FTC report

#[derive(Template, WebTemplate)]
#[template(path = "ftc_report.html")]
pub(super) struct FtcReportPage {
    layout: Layout,
    from: String,
    until: String,
    rows: Vec<(&'static str, i64)>,
}

pub(super) async fn ftc_report_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<PeriodQuery>,
) -> Result<FtcReportPage, WebError> {
    let (from, until) = period(&q.from, &q.until, state.app.now())?;
    let r = state.app.ftc_report(&caller, from, until).await?;
    Ok(FtcReportPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "rx-requests").await?,
        from: r.from.clone(),
        until: r.until.clone(),
        rows: vec![
            ("Prescriptions issued", r.prescriptions),
            ("Released to the patient", r.released),
            ("Receipt confirmed by signature", r.confirmations_signed),
            ("Refusals to sign recorded", r.refusals_recorded),
            ("Without a confirmation or refusal", r.without_confirmation),
            ("Seller verification requests", r.verifications),
            (
                "Answered within 8 business hours",
                r.verifications_answered_on_time,
            ),
            ("Answered late", r.verifications_answered_late),
            ("Passively verified", r.passively_verified),
            ("Still pending", r.verifications_pending),
            ("Agents' copy requests", r.agent_copies),
            ("Sent within 40 business hours", r.agent_copies_on_time),
            ("Late or still open", r.agent_copies_late_or_open),
        ],
    })
}
