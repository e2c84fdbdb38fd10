//! The chart: demographics, coverages, guarantor, amendments, and the
//! forms that add a coverage, name a guarantor or merge a duplicate in.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::coverage::NewCoverage;
use kerato_domain::guarantors::{Guarantor, Relationship};
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::PatientId;
use kerato_domain::patients::ChartMerge;

use super::register::{SELECTS, TEXT_FIELDS, values_from_patient};
use super::{display_name, parse_id};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use kerato_http::csrf::CsrfToken;

#[derive(Template, WebTemplate)]
#[template(path = "chart.html")]
pub(super) struct ChartPage {
    layout: Layout,
    id: String,
    name: String,
    mrn: String,
    dob: String,
    age: String,
    sex: Option<&'static str>,
    may_edit: bool,
    rows: Vec<(&'static str, String)>,
    merged_into: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
    may_book: bool,
    may_examine: bool,
    may_see_photos: bool,
    /// The notice of privacy practices in force and whether this patient
    /// acknowledged it.
    privacy_notice: Option<(i64, bool)>,
    /// Amendments, denials and statements of disagreement, oldest first.
    amendments: Vec<(String, String, String)>,
    /// Locations to order a biopsy at; empty when the role may not.
    biopsy_locations: Vec<crate::view::Choice>,
    coverages: Vec<CoverageRow>,
    coverage_errors: Vec<String>,
    /// Who pays: a sentence, or `None` when nobody was recorded.
    guarantor: Option<String>,
    relationships: Vec<crate::view::Choice>,
}

struct CoverageRow {
    kind: &'static str,
    priority: i64,
    payer: String,
    member_id: String,
    group: String,
    subscriber: String,
    dates: String,
}

pub(super) async fn chart_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<ChartPage, WebError> {
    chart_view(&state, &csrf, &caller, parse_id(&id)?).await
}

async fn chart_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    id: PatientId,
) -> Result<ChartPage, WebError> {
    let p = state.app.get_patient(caller, id).await?;
    let f = &p.fields;
    let today = state
        .app
        .now()
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let age = f
        .date_of_birth
        .until(today)
        .map(|s| s.get_years())
        .unwrap_or(0);
    let v = values_from_patient(&p);
    let rows = TEXT_FIELDS
        .iter()
        .filter(|(id, ..)| !id.starts_with("legal_") && *id != "date_of_birth")
        .map(|(id, label, ..)| (*label, v.get(id).cloned().unwrap_or_default()))
        .chain(
            SELECTS
                .iter()
                .skip(1)
                .map(|(id, label, _)| (*label, v.get(id).cloned().unwrap_or_default())),
        )
        .chain(std::iter::once((
            "Marketing consent",
            if f.communication.marketing_consent {
                "yes".to_string()
            } else {
                "no".to_string()
            },
        )))
        .filter(|(_, value)| !value.is_empty())
        .collect();
    Ok(ChartPage {
        layout: Layout::signed_in(state, csrf, caller, "patients").await?,
        id: p.id.to_string(),
        name: display_name(&p),
        mrn: p.mrn.clone(),
        dob: f.date_of_birth.strftime("%m/%d/%Y").to_string(),
        age: format!("{age} y"),
        sex: f.sex_at_birth.map(|s| s.as_str()),
        may_edit: role_permits(caller.actor.role, Resource::Patient, Action::Update)
            && p.merged_into.is_none(),
        rows,
        merged_into: p.merged_into.map(|m| m.to_string()),
        notice: None,
        problem: None,
        may_book: role_permits(caller.actor.role, Resource::Appointment, Action::Create),
        may_examine: role_permits(caller.actor.role, Resource::ClinicalNote, Action::Query),
        may_see_photos: role_permits(caller.actor.role, Resource::ClinicalPhoto, Action::Query),
        amendments: state
            .app
            .amendments_of_patient(caller, p.id)
            .await?
            .into_iter()
            .map(|a| {
                let label = match a.decision.as_str() {
                    "accepted" => "Amendment".to_string(),
                    "denied" => format!("Amendment denied ({})", a.reason.unwrap_or_default()),
                    _ => "Patient's statement of disagreement".to_string(),
                };
                (
                    a.recorded_at.to_jiff().strftime("%Y-%m-%d").to_string(),
                    label,
                    a.body,
                )
            })
            .collect(),
        privacy_notice: if role_permits(caller.actor.role, Resource::Patient, Action::Update) {
            state.app.notice_acknowledgement(caller, p.id).await?
        } else {
            None
        },
        biopsy_locations: if role_permits(caller.actor.role, Resource::Pathology, Action::Create) {
            state
                .app
                .list_locations(caller)
                .await?
                .into_iter()
                .map(|l| crate::view::Choice {
                    value: l.id.to_string(),
                    label: l.name,
                    selected: false,
                })
                .collect()
        } else {
            Vec::new()
        },
        coverages: state
            .app
            .coverages(caller, id)
            .await?
            .into_iter()
            .map(|c| CoverageRow {
                kind: c.kind.as_str(),
                priority: c.priority,
                payer: c.payer,
                member_id: c.member_id,
                group: c.group_number.unwrap_or_default(),
                subscriber: match c.subscriber {
                    Some((name, dob)) => {
                        format!("{name} ({}), born {dob}", c.relationship.as_str())
                    }
                    None => "the patient".into(),
                },
                dates: match c.effective_to {
                    Some(to) => format!("{} to {to}", c.effective_from),
                    None => format!("from {}", c.effective_from),
                },
            })
            .collect(),
        coverage_errors: Vec::new(),
        guarantor: state.app.guarantor(caller, id).await?.map(|g| match g {
            Guarantor::SelfPay => "The patient".to_string(),
            Guarantor::Other {
                relationship,
                name,
                phone,
                address,
            } => format!("{name} ({}), {phone}, {address}", relationship.label()),
        }),
        relationships: Relationship::ALL
            .iter()
            .map(|r| crate::view::Choice {
                value: r.as_str().into(),
                label: r.label().into(),
                selected: false,
            })
            .collect(),
    })
}

pub(super) async fn guarantor_submit(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<Guarantor>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    state.app.set_guarantor(&caller, id, &form.input?).await?;
    Ok(Redirect::to(&format!("/patients/{id}")).into_response())
}

pub(super) async fn coverage_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<NewCoverage>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let added = match form.input {
        Ok(coverage) => state.app.add_coverage(&caller, id, &coverage).await,
        Err(errors) => Err(errors.into()),
    };
    match added {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}")).into_response()),
        Err(AppError::Validation(e)) => {
            let mut page = chart_view(&state, &csrf, &caller, id).await?;
            page.coverage_errors = e.errors.iter().map(|f| f.message.clone()).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(m)) => {
            let mut page = chart_view(&state, &csrf, &caller, id).await?;
            page.coverage_errors = vec![m];
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn merge_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<ChartMerge>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let merged = match &form.input {
        Ok(merge) => state.app.merge_patient(&caller, id, merge).await,
        Err(errors) => Err(errors.clone().into()),
    };
    match merged {
        Ok(_) => {
            let mut page = chart_view(&state, &csrf, &caller, id).await?;
            if let Ok(merge) = &form.input {
                page.notice = Some(format!(
                    "Chart MRN {} was merged into this one.",
                    merge.duplicate
                ));
            }
            Ok(page.into_response())
        }
        Err(AppError::Validation(e)) => {
            let mut page = chart_view(&state, &csrf, &caller, id).await?;
            page.problem = e.for_field("mrn").map(str::to_string);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(m)) => {
            let mut page = chart_view(&state, &csrf, &caller, id).await?;
            page.problem = Some(m);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
