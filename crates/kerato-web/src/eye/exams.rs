//! A patient's exams, the exam screen, and the forms that open, fill,
//! amend and sign an exam.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::eye::ExamView;
use kerato_domain::eye::exam::{
    AmendInput, ExamStatus, Field, FieldKind, SectionData, SectionEntry, StartExamInput,
    Template as ExamTemplate,
};
use kerato_domain::eye::optics::Eye;
use kerato_domain::eye::prescription::SignInput;
use kerato_domain::ids::{ExamId, PatientId};

use super::trends::{TrendChart, charts};
use super::{id_of, local};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

// ------------------------------------------------------------ exams list

struct ExamLine {
    id: String,
    started: String,
    template: &'static str,
    status: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "exams.html")]
pub(super) struct ExamsPage {
    layout: Layout,
    charts: Vec<TrendChart>,
    patient: String,
    exams: Vec<ExamLine>,
    templates: Vec<Choice>,
    locations: Vec<Choice>,
}

pub(super) async fn exams_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ExamsPage, WebError> {
    let patient: PatientId = id_of(&id, "patient")?;
    let found = state.app.patient_exams(&caller, patient).await?;
    let locations = state.app.list_locations(&caller).await?;
    Ok(ExamsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        charts: charts(&found.trends),
        patient: patient.to_string(),
        exams: found
            .exams
            .into_iter()
            .map(|e| ExamLine {
                id: e.id.to_string(),
                started: local(e.created_at),
                template: e.template.label(),
                status: e.status.as_str(),
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

pub(super) async fn start_exam(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<StartExamInput>,
) -> Result<Response, WebError> {
    let patient: PatientId = id_of(&id, "patient")?;
    let exam = state.app.start_exam(&caller, patient, &form.input?).await?;
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
    section: &'static str,
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
pub(super) struct ExamPage {
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
    field: &Field,
    current: &SectionData,
    original: &SectionData,
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

fn section_views(view: &ExamView, signed: bool) -> Vec<SectionView> {
    view.sections
        .iter()
        .map(|s| {
            let mut eyes = Eye::BOTH.map(|e| EyeRow {
                eye: e.abbreviation(),
                inputs: Vec::new(),
            });
            let mut shared = Vec::new();
            for (key, field, eye) in s.section.keys() {
                let input = input_view(key, field, &s.current, &s.original, s.amended);
                match eye {
                    Some(Eye::Right) => eyes[0].inputs.push(input),
                    Some(Eye::Left) => eyes[1].inputs.push(input),
                    None => shared.push(input),
                }
            }
            let eyes = if eyes[0].inputs.is_empty() {
                Vec::new()
            } else {
                eyes.into()
            };
            SectionView {
                key: s.section.key(),
                label: s.section.label(),
                eyes,
                shared,
                amended: s.amended,
                pullable: !signed && s.original.is_empty(),
            }
        })
        .collect()
}

pub(super) async fn exam_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ExamPage, WebError> {
    let id: ExamId = id_of(&id, "exam")?;
    let view = state.app.exam(&caller, id).await?;
    let signed = view.exam.status == ExamStatus::Signed;
    Ok(ExamPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        id: view.exam.id.to_string(),
        patient: view.exam.patient_id.to_string(),
        title: view.exam.template.label(),
        signed,
        signed_note: view
            .exam
            .signed_at
            .map(|t| format!("Signed {}", local(t)))
            .unwrap_or_default(),
        sections: section_views(&view, signed),
        amendments: view
            .amendments
            .iter()
            .map(|a| AmendmentView {
                n: a.n,
                section: a.section.label(),
                reason: a.reason.clone(),
                at: local(a.amended_at),
            })
            .collect(),
        prescriptions: view
            .prescriptions
            .iter()
            .map(|r| RxLine {
                id: r.id.to_string(),
                kind: r.kind.title(),
                expires: r.expires_on.to_string(),
            })
            .collect(),
    })
}

pub(super) async fn save_section(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, section)): Path<(String, String)>,
    form: Form<SectionEntry>,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(&id, "exam")?;
    state
        .app
        .save_exam_section(&caller, exam, &section, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/exams/{exam}#{section}")).into_response())
}

pub(super) async fn amend(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, section)): Path<(String, String)>,
    form: Form<AmendInput>,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(&id, "exam")?;
    state
        .app
        .amend_exam(&caller, exam, &section, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/exams/{exam}#{section}")).into_response())
}

pub(super) async fn pull_forward(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path((id, section)): Path<(String, String)>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(&id, "exam")?;
    state.app.pull_forward(&caller, exam, &section).await?;
    Ok(Redirect::to(&format!("/exams/{exam}#{section}")).into_response())
}

pub(super) async fn sign(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<SignInput>,
) -> Result<Response, WebError> {
    let exam: ExamId = id_of(&id, "exam")?;
    let issued = state.app.sign_exam(&caller, exam, &form.input?).await?;
    let to = match issued.first() {
        Some(rx) => format!("/prescriptions/{}", rx.id),
        None => format!("/exams/{exam}"),
    };
    Ok(Redirect::to(&to).into_response())
}
