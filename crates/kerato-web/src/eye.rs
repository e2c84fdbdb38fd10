//! Eye care pages: a patient's exams, the exam screen (one page per visit,
//! keyboard-first, each section saved as it is left), signing and the
//! prescriptions it releases, the confirmation of receipt, the printable
//! PDF, the sellers' and agents' request inbox, and the prescriber's
//! credentials.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_app::eye::{CONFIRMATION_STATEMENT, RxRequestInput, SignInput, rx_table};
use kerato_domain::ValidationErrors;
use kerato_domain::eye_exam::{FieldKind, Section, Template as ExamTemplate};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{ExamId, PatientId, PrescriptionId, RxRequestId};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::FormFields;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let note = Resource::ClinicalNote;
    let rx = Resource::Prescription;
    r.add(
        "GET",
        "/patients/{id}/exams",
        Needs(note, Action::Query),
        get(exams_page),
    )
    .add(
        "POST",
        "/patients/{id}/exams",
        Needs(note, Action::Create),
        post(start_exam),
    )
    .add(
        "GET",
        "/exams/{id}",
        Needs(note, Action::View),
        get(exam_page),
    )
    .add(
        "POST",
        "/exams/{id}/sections/{section}",
        Needs(note, Action::Update),
        post(save_section),
    )
    .add(
        "POST",
        "/exams/{id}/pull/{section}",
        Needs(note, Action::Update),
        post(pull_forward),
    )
    .add(
        "POST",
        "/exams/{id}/amend/{section}",
        Needs(note, Action::Update),
        post(amend),
    )
    .add(
        "POST",
        "/exams/{id}/sign",
        Needs(rx, Action::Create),
        post(sign),
    )
    .add(
        "GET",
        "/prescriptions/{id}",
        Needs(rx, Action::View),
        get(prescription_page),
    )
    .add(
        "GET",
        "/prescriptions/{id}/pdf",
        Needs(rx, Action::Print),
        get(prescription_pdf),
    )
    .add(
        "POST",
        "/prescriptions/{id}/confirmation",
        Needs(rx, Action::Update),
        post(confirmation),
    )
    .add(
        "GET",
        "/rx-requests",
        Needs(rx, Action::Query),
        get(requests_page),
    )
    .add(
        "POST",
        "/rx-requests",
        Needs(rx, Action::Create),
        post(receive_request),
    )
    .add(
        "POST",
        "/rx-requests/{id}/answer",
        Needs(rx, Action::Update),
        post(answer_request),
    )
    .add(
        "GET",
        "/reports/ftc",
        Needs(rx, Action::Query),
        get(ftc_report_page),
    )
    .add(
        "POST",
        "/patients/{id}/rx-consent",
        Needs(Resource::Patient, Action::Update),
        post(digital_consent),
    )
    .add(
        "GET",
        "/settings/prescriber",
        Needs(rx, Action::Create),
        get(prescriber_page),
    )
    .add(
        "POST",
        "/settings/prescriber",
        Needs(rx, Action::Create),
        post(save_prescriber),
    )
}

fn id_of<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T, WebError> {
    raw.parse().map_err(|_| WebError::NotFound(what))
}

/// An instant as shown on these pages (UTC, labelled as such).
fn local(t: kerato_domain::time::Timestamp) -> String {
    t.to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

// ------------------------------------------------------------ exams list

struct ExamLine {
    id: String,
    started: String,
    template: &'static str,
    status: String,
}

/// One trend chart: an SVG polyline per eye, and the same values as a
/// table for screen readers and for reading exact numbers.
struct TrendChart {
    title: &'static str,
    /// `points` attributes of the OD and OS polylines.
    lines: [String; 2],
    /// Axis labels: (y, text).
    ticks: Vec<(i64, String)>,
    rows: Vec<(String, String, String)>,
}

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 160.0;

/// Scales `values` (per exam, per eye) into polylines, `lo` at the bottom
/// and `hi` at the top; `hi` may be the smaller number (logMAR, where
/// lower is better vision and is drawn higher).
fn trend_chart<T: Copy + Into<f64>>(
    title: &'static str,
    dates: &[String],
    values: &[[Option<T>; 2]],
    (lo, hi): (f64, f64),
    show: impl Fn(T) -> String,
) -> Option<TrendChart> {
    if values.iter().all(|v| v.iter().all(Option::is_none)) {
        return None;
    }
    let n = values.len().max(2) as f64 - 1.0;
    let (min, max) = (lo.min(hi), lo.max(hi));
    let y_of = |v: f64| 10.0 + (CHART_H - 20.0) * (hi - v.clamp(min, max)) / (hi - lo);
    let mut lines = [String::new(), String::new()];
    for (i, v) in values.iter().enumerate() {
        let x = 40.0 + (CHART_W - 60.0) * i as f64 / n;
        for eye in 0..2 {
            if let Some(value) = v[eye] {
                lines[eye].push_str(&format!("{x:.1},{:.1} ", y_of(value.into())));
            }
        }
    }
    let ticks = (0..=4)
        .map(|k| {
            let v = lo + (hi - lo) * f64::from(k) / 4.0;
            (y_of(v).round() as i64, format!("{v:.1}"))
        })
        .collect();
    let cell = |v: Option<T>| v.map(&show).unwrap_or_else(|| "—".into());
    Some(TrendChart {
        title,
        lines,
        ticks,
        rows: dates
            .iter()
            .zip(values)
            .map(|(d, v)| (d.clone(), cell(v[0]), cell(v[1])))
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "exams.html")]
struct ExamsPage {
    layout: Layout,
    charts: Vec<TrendChart>,
    patient: String,
    exams: Vec<ExamLine>,
    templates: Vec<Choice>,
    locations: Vec<Choice>,
}

async fn exams_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ExamsPage, WebError> {
    let patient: PatientId = id_of(&id, "patient")?;
    let exams = state.app.exams_of_patient(&caller, patient).await?;
    let locations = state.app.list_locations(&caller).await?;
    let trends = state.app.eye_trends(&caller, patient).await?;
    let dates: Vec<String> = trends.iter().map(|t| t.date.clone()).collect();
    let acuity: Vec<[Option<f64>; 2]> = trends.iter().map(|t| t.log_mar).collect();
    let pressure: Vec<[Option<i32>; 2]> = trends
        .iter()
        .map(|t| t.iop.map(|p| p.and_then(|v| i32::try_from(v).ok())))
        .collect();
    // logMAR runs from -0.3 (20/10) to 1.0 (20/200), drawn with better
    // vision higher; pressure from 0 to 40 mmHg.
    let charts = [
        trend_chart(
            "Visual acuity (logMAR; lower is better)",
            &dates,
            &acuity,
            (1.0, -0.3),
            |v| format!("{v:.2}"),
        ),
        trend_chart(
            "Intraocular pressure (mmHg)",
            &dates,
            &pressure,
            (0.0, 40.0),
            |v| v.to_string(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(ExamsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        charts,
        patient: patient.to_string(),
        exams: exams
            .into_iter()
            .map(|e| ExamLine {
                id: e.id.to_string(),
                started: local(e.created_at),
                template: ExamTemplate::parse(&e.template)
                    .map(|t| t.label())
                    .unwrap_or("Exam"),
                status: e.status,
            })
            .collect(),
        templates: ExamTemplate::ALL
            .iter()
            .map(|t| Choice {
                value: t.key().into(),
                label: t.label().into(),
                selected: false,
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

async fn start_exam(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient: PatientId = id_of(&id, "patient")?;
    let location = form.get("location_id").parse().map_err(|_| {
        WebError::Validation(ValidationErrors::single(
            "location_id",
            "choose the location of the exam",
        ))
    })?;
    let exam = state
        .app
        .start_exam(&caller, patient, location, &form.get("template"), None)
        .await?;
    Ok(Redirect::to(&format!("/exams/{}", exam.id)).into_response())
}

// ------------------------------------------------------------ exam screen

struct InputView {
    key: String,
    label: &'static str,
    value: String,
    /// Signed and amended: the value as signed, shown struck through.
    original: Option<String>,
    /// Options for a choice field.
    options: Vec<&'static str>,
    wide: bool,
    numeric: bool,
}

struct EyeRow {
    eye: &'static str,
    inputs: Vec<InputView>,
}

struct SectionView {
    key: &'static str,
    label: &'static str,
    eyes: Vec<EyeRow>,
    shared: Vec<InputView>,
    amended: bool,
    pullable: bool,
}

struct AmendmentView {
    n: i64,
    section: String,
    reason: String,
    at: String,
}

struct RxLine {
    id: String,
    kind: &'static str,
    expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "exam.html")]
struct ExamPage {
    layout: Layout,
    id: String,
    patient: String,
    title: &'static str,
    signed: bool,
    signed_note: String,
    sections: Vec<SectionView>,
    amendments: Vec<AmendmentView>,
    prescriptions: Vec<RxLine>,
}

fn input_view(
    key: String,
    field: &kerato_domain::eye_exam::Field,
    current: &BTreeMap<String, String>,
    original: &BTreeMap<String, String>,
    amended: bool,
) -> InputView {
    let value = current.get(&key).cloned().unwrap_or_default();
    let before = original.get(&key).cloned().unwrap_or_default();
    InputView {
        label: field.label,
        original: (amended && before != value).then_some(before),
        value,
        options: match field.kind {
            FieldKind::Choice(o) => o.to_vec(),
            _ => Vec::new(),
        },
        wide: matches!(field.kind, FieldKind::Text(n) if n > 200)
            || field.kind == FieldKind::Diagnoses,
        numeric: matches!(
            field.kind,
            FieldKind::Sphere
                | FieldKind::Cylinder
                | FieldKind::Axis
                | FieldKind::Add
                | FieldKind::Pressure
                | FieldKind::CupDisc
                | FieldKind::Keratometry
                | FieldKind::BaseCurve
                | FieldKind::Diameter
        ),
        key,
    }
}

async fn exam_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ExamPage, WebError> {
    let id: ExamId = id_of(&id, "exam")?;
    let view = state.app.exam(&caller, id).await?;
    let signed = view.exam.status == "signed";
    let sections = view
        .sections
        .iter()
        .map(|s| {
            let mut eyes = vec![
                EyeRow {
                    eye: "OD",
                    inputs: Vec::new(),
                },
                EyeRow {
                    eye: "OS",
                    inputs: Vec::new(),
                },
            ];
            let mut shared = Vec::new();
            for (key, field, eye) in s.section.keys() {
                let input = input_view(key, field, &s.current, &s.original, s.amended);
                match eye {
                    Some(kerato_domain::optics::Eye::Right) => eyes[0].inputs.push(input),
                    Some(kerato_domain::optics::Eye::Left) => eyes[1].inputs.push(input),
                    None => shared.push(input),
                }
            }
            if eyes[0].inputs.is_empty() {
                eyes.clear();
            }
            SectionView {
                key: s.section.key(),
                label: s.section.label(),
                eyes,
                shared,
                amended: s.amended,
                pullable: !signed && s.original.is_empty(),
            }
        })
        .collect();
    Ok(ExamPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        id: view.exam.id.to_string(),
        patient: view.exam.patient_id.to_string(),
        title: view.template.label(),
        signed,
        signed_note: view
            .exam
            .signed_at
            .map(|t| format!("Signed {}", local(t)))
            .unwrap_or_default(),
        sections,
        amendments: view
            .amendments
            .iter()
            .map(|a| AmendmentView {
                n: a.n,
                section: Section::parse(&a.section)
                    .map(|s| s.label().to_string())
                    .unwrap_or_else(|_| a.section.clone()),
                reason: a.reason.clone(),
                at: local(a.amended_at),
            })
            .collect(),
        prescriptions: view
            .prescriptions
            .iter()
            .map(|r| RxLine {
                id: r.id.to_string(),
                kind: if r.kind == "contact_lens" {
                    "Contact lens prescription"
                } else {
                    "Eyeglass prescription"
                },
                expires: r.expires_on.clone(),
            })
            .collect(),
    })
}

/// The section's fields from a form (every key the section accepts).
fn section_input(section: &str, form: &FormFields) -> Result<BTreeMap<String, String>, WebError> {
    let section = Section::parse(section).map_err(|_| WebError::NotFound("exam section"))?;
    Ok(section
        .keys()
        .into_iter()
        .map(|(key, _, _)| {
            let value = form.get(&key);
            (key, value)
        })
        .collect())
}

async fn save_section(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, section)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    write_section(&state, &caller, &id, &section, &form, false).await
}

async fn amend(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, section)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    write_section(&state, &caller, &id, &section, &form, true).await
}

/// Saves a draft's section, or amends a signed exam's, and returns to it.
async fn write_section(
    state: &WebState,
    caller: &kerato_app::Caller,
    id: &str,
    section: &str,
    form: &FormFields,
    amend: bool,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(id, "exam")?;
    let input = section_input(section, form)?;
    if amend {
        state
            .app
            .amend_exam(caller, exam, section, &input, &form.get("reason"))
            .await?;
    } else {
        state
            .app
            .save_exam_section(caller, exam, section, &input)
            .await?;
    }
    Ok(Redirect::to(&format!("/exams/{exam}#{section}")).into_response())
}

async fn pull_forward(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, section)): Path<(String, String)>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(&id, "exam")?;
    state.app.pull_forward(&caller, exam, &section).await?;
    Ok(Redirect::to(&format!("/exams/{exam}#{section}")).into_response())
}

async fn sign(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(&id, "exam")?;
    let months = match form.get("cl_months").trim() {
        "" => None,
        m => Some(m.parse::<u32>().map_err(|_| {
            WebError::Validation(ValidationErrors::single(
                "cl_months",
                "write the contact lens expiry as a whole number of months",
            ))
        })?),
    };
    let reason = Some(form.get("medical_reason"))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let issued = state
        .app
        .sign_exam(
            &caller,
            exam,
            &SignInput {
                delivery: form.get("delivery"),
                cl_months: months,
                medical_reason: reason,
            },
        )
        .await?;
    let to = match issued.first() {
        Some(rx) => format!("/prescriptions/{}", rx.id),
        None => format!("/exams/{exam}"),
    };
    Ok(Redirect::to(&to).into_response())
}

// ------------------------------------------------------------ prescriptions

#[derive(Template, WebTemplate)]
#[template(path = "prescription.html")]
struct PrescriptionPage {
    layout: Layout,
    id: String,
    exam: String,
    title: &'static str,
    prescriber: String,
    issued: String,
    expires: String,
    reason: Option<String>,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    releases: Vec<String>,
    confirmation: Option<String>,
    statement: &'static str,
}

async fn prescription_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<PrescriptionPage, WebError> {
    let id: PrescriptionId = id_of(&id, "prescription")?;
    let (rx, releases, confirmation) = state.app.prescription(&caller, id).await?;
    let table = rx_table(&rx)?;
    Ok(PrescriptionPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        id: rx.id.to_string(),
        exam: rx.exam_id.to_string(),
        title: if rx.kind == "contact_lens" {
            "Contact lens prescription"
        } else {
            "Eyeglass prescription"
        },
        prescriber: format!(
            "{} · licence {} · NPI {}",
            rx.prescriber_name, rx.prescriber_license, rx.prescriber_npi
        ),
        issued: rx.issued_on.clone(),
        expires: rx.expires_on.clone(),
        reason: rx.medical_reason.clone(),
        columns: table.columns,
        rows: table.rows,
        releases: releases
            .into_iter()
            .map(|(at, how)| format!("Released {} ({how})", local(at)))
            .collect(),
        confirmation: confirmation.map(|c| {
            if c.outcome == "signed" {
                format!(
                    "Receipt confirmed by {} on {}; kept until {}",
                    c.signer_name,
                    local(c.recorded_at),
                    c.keep_until
                )
            } else {
                format!(
                    "Patient declined to sign ({}) on {}; kept until {}",
                    c.signer_name,
                    local(c.recorded_at),
                    c.keep_until
                )
            }
        }),
        statement: CONFIRMATION_STATEMENT,
    })
}

async fn prescription_pdf(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: PrescriptionId = id_of(&id, "prescription")?;
    let bytes = state.app.prescription_pdf(&caller, id).await?;
    Ok(crate::view::file_response(
        "application/pdf",
        "attachment",
        &format!("prescription-{id}.pdf"),
        bytes,
    ))
}

async fn confirmation(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id: PrescriptionId = id_of(&id, "prescription")?;
    let outcome = form.get("outcome");
    if outcome == "signed" && form.get("acknowledge") != "yes" {
        return Err(WebError::Validation(ValidationErrors::single(
            "acknowledge",
            "the patient must tick the statement to confirm receipt, or record that they declined",
        )));
    }
    state
        .app
        .record_rx_confirmation(&caller, id, &outcome, &form.get("signer_name"))
        .await?;
    Ok(Redirect::to(&format!("/prescriptions/{id}")).into_response())
}

// ------------------------------------------------------------ requests inbox

struct RequestLine {
    id: String,
    kind: &'static str,
    requester: String,
    patient: String,
    details: String,
    received: String,
    due: String,
    status: String,
    left: String,
    verification: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "rx_requests.html")]
struct RequestsPage {
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

async fn requests_page(
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
                kind: if v.request.kind == "verification" {
                    "Seller verification (8 business hours)"
                } else {
                    "Copy for the patient's agent (40 business hours)"
                },
                verification: v.request.kind == "verification",
                requester: format!("{} ({})", v.request.requester, v.request.requester_contact),
                patient: v.request.patient_name.clone(),
                details: v.request.details.clone(),
                received: local(v.request.received_at),
                due: local(v.request.due_at),
                status: v.status.clone(),
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

async fn receive_request(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    state
        .app
        .receive_rx_request(
            &caller,
            &RxRequestInput {
                kind: form.get("kind"),
                location_id: form.get("location_id"),
                requester: form.get("requester"),
                requester_contact: form.get("requester_contact"),
                patient_name: form.get("patient_name"),
                details: form.get("details"),
                received_at: None,
            },
        )
        .await?;
    Ok(Redirect::to("/rx-requests").into_response())
}

async fn answer_request(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id: RxRequestId = id_of(&id, "request")?;
    state
        .app
        .answer_rx_request(&caller, id, &form.get("answer"), &form.get("note"))
        .await?;
    Ok(Redirect::to("/rx-requests").into_response())
}

// ------------------------------------------------------------ credentials

#[derive(Template, WebTemplate)]
#[template(path = "prescriber.html")]
struct PrescriberPage {
    layout: Layout,
}

async fn prescriber_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<PrescriberPage, WebError> {
    Ok(PrescriberPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "account").await?,
    })
}

async fn save_prescriber(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    state
        .app
        .set_prescriber_credentials(&caller, &form.get("license"), &form.get("npi"))
        .await?;
    Ok(Redirect::to("/settings/prescriber").into_response())
}

// ------------------------------------------------------------ FTC report

#[derive(Template, WebTemplate)]
#[template(path = "ftc_report.html")]
struct FtcReportPage {
    layout: Layout,
    from: String,
    until: String,
    rows: Vec<(&'static str, i64)>,
}

async fn ftc_report_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    axum::extract::Query(q): axum::extract::Query<crate::view::PeriodQuery>,
) -> Result<FtcReportPage, WebError> {
    let (from, until) = crate::view::period(&q.from, &q.until, state.app.now())?;
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

async fn digital_consent(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient: PatientId = id_of(&id, "patient")?;
    state
        .app
        .record_rx_digital_consent(&caller, patient, &form.get("channel"))
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}/exams")).into_response())
}
