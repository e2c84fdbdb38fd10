//! The procedures page: a patient's procedure notes as their templates
//! wrote them, each service date's charge proposal, and one form per
//! template (biopsy, destruction, excision, repair, Mohs, intralesional
//! injection, phototherapy), optionally on one of the patient's lesions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::PatientId;
use kerato_domain::lesions::LesionStatus;
use kerato_domain::procedures::coding::EmCode;
use kerato_domain::procedures::{NewProcedure, PayerModifierSetting, VisitEm};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let n = Resource::ClinicalNote;
    r.add(
        "GET",
        "/patients/{id}/procedures",
        Needs(n, Action::Query),
        get(page),
    )
    .add(
        "POST",
        "/patients/{id}/procedures",
        Needs(n, Action::Create),
        axum::routing::post(record),
    )
    .add(
        "POST",
        "/patients/{id}/visit-em",
        Needs(n, Action::Update),
        axum::routing::post(visit_em),
    )
    .add(
        "GET",
        "/settings/coding",
        Needs(Resource::Organisation, Action::View),
        get(coding_settings),
    )
    .add(
        "POST",
        "/settings/coding",
        Needs(Resource::Organisation, Action::Update),
        axum::routing::post(save_coding_setting),
    )
}

async fn visit_em(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<VisitEm>,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    state
        .app
        .set_visit_em(&caller, patient, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}/procedures#charges-heading")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "coding_settings.html")]
struct CodingSettingsPage {
    layout: Layout,
    /// Each payer's name and the modifier it wants.
    payers: Vec<(String, &'static str)>,
    may_edit: bool,
}

async fn coding_settings(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<CodingSettingsPage, WebError> {
    Ok(CodingSettingsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "setup").await?,
        payers: state
            .app
            .payer_modifiers(&caller)
            .await?
            .into_iter()
            .map(|p| (p.payer, p.modifier.code()))
            .collect(),
        may_edit: role_permits(caller.actor.role, Resource::Organisation, Action::Update),
    })
}

async fn save_coding_setting(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<PayerModifierSetting>,
) -> Result<Response, WebError> {
    state.app.set_payer_modifier(&caller, &form.input?).await?;
    Ok(Redirect::to("/settings/coding").into_response())
}

async fn record(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<NewProcedure>,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let done = state
        .app
        .record_procedure(&caller, patient, form.input?)
        .await?;
    Ok(Redirect::to(&format!(
        "/patients/{patient}/procedures#procedure-{}",
        done.procedure.id
    ))
    .into_response())
}

struct NoteView {
    id: String,
    date: String,
    kind: String,
    note: String,
    specimen: Option<String>,
    lesion: Option<String>,
}

struct ChargeLineView {
    code: String,
    units: i64,
    modifiers: String,
    rationale: String,
    hold: Option<String>,
}

struct DayView {
    date: String,
    lines: Vec<ChargeLineView>,
}

/// The office visit codes the E/M form offers.
fn em_choices() -> Vec<Choice> {
    let mut all = vec![Choice {
        value: String::new(),
        label: "No separate E/M".into(),
        selected: true,
    }];
    all.extend(EmCode::ALL.iter().map(|e| Choice {
        value: e.code().into(),
        label: match e {
            EmCode::New99202 | EmCode::New99203 | EmCode::New99204 | EmCode::New99205 => {
                format!("{} (new patient)", e.code())
            }
            _ => format!("{} (established patient)", e.code()),
        },
        selected: false,
    }));
    all
}

#[derive(Template, WebTemplate)]
#[template(path = "procedures.html")]
struct ProceduresPage {
    layout: Layout,
    patient: String,
    notes: Vec<NoteView>,
    days: Vec<DayView>,
    may_record: bool,
    may_take_specimens: bool,
    locations: Vec<Choice>,
    lesions: Vec<Choice>,
    em_codes: Vec<Choice>,
    today: String,
    may_set_em: bool,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    lesion: Option<String>,
}

async fn page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<ProceduresPage, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let rows = state.app.procedures_of_patient(&caller, patient).await?;
    let role = caller.actor.role;
    let mut dates: Vec<jiff::civil::Date> = rows.iter().map(|r| r.service_date).collect();
    dates.dedup();
    let mut days = Vec::new();
    if role_permits(role, Resource::Billing, Action::View) {
        for date in dates.iter().rev() {
            let lines = state.app.charge_proposal(&caller, patient, *date).await?;
            days.push(DayView {
                date: date.to_string(),
                lines: lines
                    .into_iter()
                    .map(|l| ChargeLineView {
                        code: l.code,
                        units: l.units,
                        modifiers: l.modifiers.join(","),
                        rationale: l.rationale,
                        hold: l.hold,
                    })
                    .collect(),
            });
        }
    }
    let chosen = q.lesion.unwrap_or_default();
    let lesions = state
        .app
        .lesions_of_patient(&caller, patient)
        .await?
        .into_iter()
        .filter(|l| l.status == LesionStatus::Active)
        .map(|l| Choice {
            selected: l.id.to_string() == chosen,
            value: l.id.to_string(),
            label: l.label,
        })
        .collect();
    let may_record = role_permits(role, Resource::ClinicalNote, Action::Create);
    Ok(ProceduresPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        patient: patient.to_string(),
        notes: rows
            .iter()
            .rev()
            .map(|r| NoteView {
                id: r.id.to_string(),
                date: r.service_date.to_string(),
                kind: r.kind().as_str().to_string(),
                note: r.note.clone(),
                specimen: r.biopsy_id.map(|b| b.to_string()),
                lesion: r.lesion_id.map(|l| l.to_string()),
            })
            .collect(),
        days,
        may_record,
        may_take_specimens: role_permits(role, Resource::Pathology, Action::Create),
        locations: if may_record {
            state
                .app
                .list_locations(&caller)
                .await?
                .into_iter()
                .map(|l| Choice {
                    value: l.id.to_string(),
                    label: l.name,
                    selected: false,
                })
                .collect()
        } else {
            Vec::new()
        },
        lesions,
        em_codes: em_choices(),
        today: state
            .app
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
        may_set_em: role_permits(role, Resource::ClinicalNote, Action::Update),
    })
}
