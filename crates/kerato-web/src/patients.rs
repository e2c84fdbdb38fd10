//! The patient registry's pages and API: search (as you type, by POST so
//! nothing a user types ends up in a URL), registration, chart, edit.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::guarantors::{Guarantor, Relationship};
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::PatientId;
use kerato_domain::patients::search::PatientSearchInput;
use kerato_domain::patients::{Patient, PatientInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::{ApiJson, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::{Choice, FieldView};
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    use Action as A;
    let p = Resource::Patient;
    r.add("GET", "/patients", Needs(p, A::Query), get(search_page))
        .add(
            "POST",
            "/patients/search",
            Needs(p, A::Query),
            post(search_submit),
        )
        .add("GET", "/patients/new", Needs(p, A::Create), get(new_page))
        .add(
            "POST",
            "/patients",
            Needs(p, A::Create),
            post(create_submit),
        )
        .add("GET", "/patients/{id}", Needs(p, A::View), get(chart_page))
        .add(
            "GET",
            "/patients/{id}/edit",
            Needs(p, A::Update),
            get(edit_page),
        )
        .add(
            "POST",
            "/patients/{id}",
            Needs(p, A::Update),
            post(edit_submit),
        )
        .add(
            "GET",
            "/patients/{id}/book",
            Needs(Resource::Appointment, A::Create),
            get(book_page),
        )
        .add(
            "POST",
            "/patients/{id}/book",
            Needs(Resource::Appointment, A::Create),
            post(book_submit),
        )
        .add(
            "POST",
            "/patients/{id}/coverages",
            Needs(p, A::Update),
            post(coverage_submit),
        )
        .add(
            "POST",
            "/patients/{id}/guarantor",
            Needs(p, A::Update),
            post(guarantor_submit),
        )
        .add(
            "POST",
            "/patients/{id}/merge",
            Needs(p, A::Update),
            post(merge_submit),
        )
        .add(
            "POST",
            "/api/patients/search",
            Needs(p, A::Query),
            post(api_search),
        )
        .add(
            "POST",
            "/api/patients",
            Needs(p, A::Create),
            post(api_create),
        )
        .add("GET", "/api/patients/{id}", Needs(p, A::View), get(api_get))
        .add(
            "PUT",
            "/api/patients/{id}",
            Needs(p, A::Update),
            put(api_update),
        )
}

fn parse_id(raw: &str) -> Result<PatientId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("patient"))
}

fn display_name(p: &Patient) -> String {
    let f = &p.fields;
    match &f.preferred_name {
        Some(pref) => format!("{}, {} ({pref})", f.legal_last_name, f.legal_first_name),
        None => format!("{}, {}", f.legal_last_name, f.legal_first_name),
    }
}

// ------------------------------------------------------------ search

struct ResultRow {
    id: String,
    name: String,
    dob: String,
    mrn: String,
    phone: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "patients.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    searched: bool,
    results: Vec<ResultRow>,
    may_register: bool,
}

async fn search_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    query: &str,
) -> Result<SearchPage, WebError> {
    let searched = !query.trim().is_empty();
    let results = if searched {
        state.app.search_patients(caller, query).await?
    } else {
        state
            .app
            .require(caller, Resource::Patient, Action::Query, None)
            .await?;
        Vec::new()
    };
    Ok(SearchPage {
        layout: Layout::signed_in(state, csrf, caller, "patients").await?,
        query: query.to_string(),
        searched,
        results: results
            .iter()
            .map(|p| ResultRow {
                id: p.id.to_string(),
                name: display_name(p),
                dob: p.fields.date_of_birth.strftime("%m/%d/%Y").to_string(),
                mrn: p.mrn.clone(),
                phone: p
                    .fields
                    .mobile_phone
                    .as_ref()
                    .or(p.fields.home_phone.as_ref())
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            })
            .collect(),
        may_register: role_permits(caller.actor.role, Resource::Patient, Action::Create),
    })
}

async fn search_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<SearchPage, WebError> {
    search_view(&state, &csrf, &caller, "").await
}

async fn search_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<SearchPage, WebError> {
    let q = form.get("q");
    if q.chars().count() > 100 {
        return Err(WebError::Validation(ValidationErrors::single(
            "q",
            "search with at most 100 characters",
        )));
    }
    search_view(&state, &csrf, &caller, &q).await
}

// ------------------------------------------------------------ form

const TEXT_FIELDS: &[(&str, &str, &str, usize)] = &[
    ("legal_first_name", "Legal first name", "", 100),
    ("legal_middle_name", "Middle name (optional)", "", 100),
    ("legal_last_name", "Legal last name", "", 100),
    (
        "preferred_name",
        "Preferred name (optional)",
        "What the patient likes to be called",
        100,
    ),
    ("date_of_birth", "Date of birth", "MM/DD/YYYY", 10),
    ("gender_identity", "Gender identity (optional)", "", 100),
    ("mobile_phone", "Mobile phone", "(217) 555-0123", 20),
    ("home_phone", "Home phone", "", 20),
    ("email", "E-mail", "", 254),
    ("address_line1", "Address line 1", "", 120),
    ("address_line2", "Address line 2", "", 120),
    ("city", "City", "", 80),
    ("state", "State", "Two-letter code", 2),
    ("zip", "ZIP code", "", 10),
    ("preferred_language", "Preferred language", "en, es, zh…", 8),
    ("emergency_contact_name", "Emergency contact", "", 100),
    (
        "emergency_contact_phone",
        "Emergency contact's phone",
        "",
        20,
    ),
];

/// A select's name, label and (value, label) options.
type Select = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const SELECTS: &[Select] = &[
    (
        "sex_at_birth",
        "Sex at birth (optional)",
        &[
            ("", "Not recorded"),
            ("female", "Female"),
            ("male", "Male"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "reminder_channel",
        "Appointment reminders by",
        &[
            ("", "Default"),
            ("sms", "Text message"),
            ("email", "E-mail"),
            ("phone", "Phone call"),
            ("none", "No reminders"),
        ],
    ),
    (
        "results_channel",
        "Results by",
        &[
            ("", "Default (phone)"),
            ("phone", "Phone call"),
            ("email", "E-mail"),
            ("mail", "Mail"),
            ("none", "In person only"),
        ],
    ),
    (
        "statement_channel",
        "Statements by",
        &[
            ("", "Default (mail)"),
            ("mail", "Mail"),
            ("email", "E-mail"),
            ("none", "None"),
        ],
    ),
];

struct TextField {
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    view: FieldView,
}

struct SelectField {
    id: &'static str,
    label: &'static str,
    error: Option<String>,
    choices: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "patient_form.html")]
struct PatientFormPage {
    layout: Layout,
    heading: &'static str,
    action: String,
    version: Option<i64>,
    problem: Option<String>,
    duplicate: bool,
    fields: Vec<TextField>,
    selects: Vec<SelectField>,
    marketing: bool,
}

/// The form's raw values by field name.
type Values = std::collections::HashMap<&'static str, String>;

fn form_page(
    layout: Layout,
    heading: &'static str,
    action: String,
    version: Option<i64>,
    values: &Values,
    marketing: bool,
    errors: &ValidationErrors,
) -> PatientFormPage {
    PatientFormPage {
        layout,
        heading,
        action,
        version,
        problem: None,
        duplicate: false,
        fields: TEXT_FIELDS
            .iter()
            .map(|(id, label, hint, max)| TextField {
                id,
                label,
                hint,
                view: FieldView::new(values.get(id).map_or("", String::as_str), errors, id, *max),
            })
            .collect(),
        selects: SELECTS
            .iter()
            .map(|(id, label, options)| SelectField {
                id,
                label,
                error: errors.for_field(id).map(str::to_string),
                choices: options
                    .iter()
                    .map(|(v, l)| Choice {
                        value: (*v).into(),
                        label: (*l).into(),
                        selected: values.get(id).map_or("", String::as_str) == *v,
                    })
                    .collect(),
            })
            .collect(),
        marketing,
    }
}

fn values_from_form(form: &FormFields) -> Values {
    TEXT_FIELDS
        .iter()
        .map(|(id, ..)| *id)
        .chain(SELECTS.iter().map(|(id, ..)| *id))
        .map(|id| (id, form.get(id)))
        .collect()
}

fn input_from(values: &Values, marketing: bool) -> PatientInput {
    let opt = |k: &str| {
        values
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let req = |k: &str| values.get(k).cloned().unwrap_or_default();
    PatientInput {
        legal_first_name: req("legal_first_name"),
        legal_middle_name: opt("legal_middle_name"),
        legal_last_name: req("legal_last_name"),
        preferred_name: opt("preferred_name"),
        date_of_birth: req("date_of_birth"),
        sex_at_birth: opt("sex_at_birth"),
        gender_identity: opt("gender_identity"),
        mobile_phone: opt("mobile_phone"),
        home_phone: opt("home_phone"),
        email: opt("email"),
        address_line1: opt("address_line1"),
        address_line2: opt("address_line2"),
        city: opt("city"),
        state: opt("state"),
        zip: opt("zip"),
        preferred_language: opt("preferred_language"),
        emergency_contact_name: opt("emergency_contact_name"),
        emergency_contact_phone: opt("emergency_contact_phone"),
        reminder_channel: opt("reminder_channel"),
        results_channel: opt("results_channel"),
        statement_channel: opt("statement_channel"),
        marketing_consent: marketing,
    }
}

fn values_from_patient(p: &Patient) -> Values {
    let f = &p.fields;
    let mut v = Values::new();
    let mut put = |k: &'static str, s: Option<String>| {
        v.insert(k, s.unwrap_or_default());
    };
    put("legal_first_name", Some(f.legal_first_name.clone()));
    put("legal_middle_name", f.legal_middle_name.clone());
    put("legal_last_name", Some(f.legal_last_name.clone()));
    put("preferred_name", f.preferred_name.clone());
    put(
        "date_of_birth",
        Some(f.date_of_birth.strftime("%m/%d/%Y").to_string()),
    );
    put(
        "sex_at_birth",
        f.sex_at_birth.map(|s| s.as_str().to_string()),
    );
    put("gender_identity", f.gender_identity.clone());
    put(
        "mobile_phone",
        f.mobile_phone.as_ref().map(ToString::to_string),
    );
    put("home_phone", f.home_phone.as_ref().map(ToString::to_string));
    put("email", f.email.clone());
    put("address_line1", f.address.as_ref().map(|a| a.line1.clone()));
    put(
        "address_line2",
        f.address.as_ref().and_then(|a| a.line2.clone()),
    );
    put("city", f.address.as_ref().map(|a| a.city.clone()));
    put("state", f.address.as_ref().map(|a| a.state.clone()));
    put("zip", f.address.as_ref().map(|a| a.zip.clone()));
    put("preferred_language", Some(f.preferred_language.clone()));
    put(
        "emergency_contact_name",
        f.emergency_contact.as_ref().map(|(n, _)| n.clone()),
    );
    put(
        "emergency_contact_phone",
        f.emergency_contact.as_ref().map(|(_, p)| p.to_string()),
    );
    put(
        "reminder_channel",
        Some(f.communication.reminders.as_str().into()),
    );
    put(
        "results_channel",
        Some(f.communication.results.as_str().into()),
    );
    put(
        "statement_channel",
        Some(f.communication.statements.as_str().into()),
    );
    v
}

/// The form again after a failed save: messages next to fields (422), or
/// the conflict above the form (409), with the duplicate checkbox offered.
fn failure(mut page: PatientFormPage, values: &Values, err: AppError) -> Response {
    match err {
        AppError::Validation(errors) => {
            let marketing = page.marketing;
            let rebuilt = form_page(
                page.layout,
                page.heading,
                page.action,
                page.version,
                values,
                marketing,
                &errors,
            );
            let mut rebuilt = rebuilt;
            rebuilt.problem =
                Some("Some fields need attention; see the messages next to them.".into());
            (StatusCode::UNPROCESSABLE_ENTITY, rebuilt).into_response()
        }
        AppError::Conflict(message) => {
            page.duplicate = page.version.is_none();
            page.problem = Some(message);
            (StatusCode::CONFLICT, page).into_response()
        }
        other => WebError::App(other).into_response(),
    }
}

async fn new_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<PatientFormPage, WebError> {
    state
        .app
        .require(&caller, Resource::Patient, Action::Create, None)
        .await?;
    Ok(form_page(
        Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        "Register patient",
        "/patients".into(),
        None,
        &Values::new(),
        false,
        &ValidationErrors::new(),
    ))
}

async fn create_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let values = values_from_form(&form);
    let marketing = form.get("marketing_consent") == "1";
    let input = input_from(&values, marketing);
    match state
        .app
        .register_patient(&caller, &input, form.get("allow_duplicate") == "1")
        .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/patients/{}", p.id)).into_response()),
        Err(err) => {
            let layout = Layout::signed_in(&state, &csrf, &caller, "patients").await?;
            let page = form_page(
                layout,
                "Register patient",
                "/patients".into(),
                None,
                &values,
                marketing,
                &ValidationErrors::new(),
            );
            Ok(failure(page, &values, err))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "chart.html")]
struct ChartPage {
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

async fn chart_page(
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

async fn guarantor_submit(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let input = kerato_domain::guarantors::GuarantorInput {
        relationship: form.get("relationship"),
        name: form.get("guarantor_name"),
        phone: form.get("guarantor_phone"),
        address: form.get("guarantor_address"),
    };
    state.app.set_guarantor(&caller, id, &input).await?;
    Ok(Redirect::to(&format!("/patients/{id}")).into_response())
}

async fn coverage_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let opt = |k: &str| Some(form.get(k)).filter(|v| !v.trim().is_empty());
    let input = kerato_domain::coverage::CoverageInput {
        kind: form.get("kind"),
        priority: form.get("priority"),
        payer: form.get("payer"),
        member_id: form.get("member_id"),
        group_number: opt("group_number"),
        subscriber_relationship: form.get("subscriber_relationship"),
        subscriber_name: opt("subscriber_name"),
        subscriber_date_of_birth: opt("subscriber_date_of_birth"),
        effective_from: form.get("effective_from"),
        effective_to: opt("effective_to"),
    };
    match state.app.add_coverage(&caller, id, &input).await {
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

async fn merge_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let mrn = form.get("mrn");
    match state.app.merge_patient(&caller, id, &mrn).await {
        Ok(_) => {
            let mut page = chart_view(&state, &csrf, &caller, id).await?;
            page.notice = Some(format!(
                "Chart MRN {} was merged into this one.",
                mrn.trim()
            ));
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

async fn edit_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<PatientFormPage, WebError> {
    let id = parse_id(&id)?;
    state
        .app
        .require(&caller, Resource::Patient, Action::Update, None)
        .await?;
    let p = state.app.get_patient(&caller, id).await?;
    let layout = Layout::signed_in(&state, &csrf, &caller, "patients").await?;
    Ok(form_page(
        layout,
        "Edit demographics",
        format!("/patients/{id}"),
        Some(p.version),
        &values_from_patient(&p),
        p.fields.communication.marketing_consent,
        &ValidationErrors::new(),
    ))
}

async fn edit_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let version = form.version("chart")?;
    let values = values_from_form(&form);
    let marketing = form.get("marketing_consent") == "1";
    match state
        .app
        .update_patient(&caller, id, version, &input_from(&values, marketing))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}")).into_response()),
        Err(err) => {
            let layout = Layout::signed_in(&state, &csrf, &caller, "patients").await?;
            let page = form_page(
                layout,
                "Edit demographics",
                format!("/patients/{id}"),
                Some(version),
                &values,
                marketing,
                &ValidationErrors::new(),
            );
            Ok(failure(page, &values, err))
        }
    }
}

// ------------------------------------------------------------ API

/// One page of a search's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientSearchPage {
    /// Best matches first.
    pub patients: Vec<PatientView>,
    /// Send this back as `cursor`, with the same query, for the next page;
    /// absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientCreateBody {
    pub patient: PatientInput,
    /// Register even though a chart with the same name and birth date,
    /// phone or e-mail exists.
    #[serde(default)]
    pub allow_duplicate: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientUpdateBody {
    pub patient: PatientInput,
    /// The version the edit started from, as returned by GET.
    pub version: i64,
}

/// A chart's demographics as the API returns them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    pub mrn: String,
    pub legal_first_name: String,
    pub legal_middle_name: Option<String>,
    pub legal_last_name: String,
    pub preferred_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub sex_at_birth: Option<String>,
    pub gender_identity: Option<String>,
    /// E.164, such as `+12175550123`.
    pub mobile_phone: Option<String>,
    pub home_phone: Option<String>,
    pub email: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub preferred_language: String,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub reminder_channel: String,
    pub results_channel: String,
    pub statement_channel: String,
    pub marketing_consent: bool,
    pub version: i64,
}

impl From<&Patient> for PatientView {
    fn from(p: &Patient) -> Self {
        let f = &p.fields;
        let a = f.address.as_ref();
        Self {
            id: p.id.to_string(),
            mrn: p.mrn.clone(),
            legal_first_name: f.legal_first_name.clone(),
            legal_middle_name: f.legal_middle_name.clone(),
            legal_last_name: f.legal_last_name.clone(),
            preferred_name: f.preferred_name.clone(),
            date_of_birth: f.date_of_birth.to_string(),
            sex_at_birth: f.sex_at_birth.map(|s| s.as_str().to_string()),
            gender_identity: f.gender_identity.clone(),
            mobile_phone: f.mobile_phone.as_ref().map(|p| p.e164().to_string()),
            home_phone: f.home_phone.as_ref().map(|p| p.e164().to_string()),
            email: f.email.clone(),
            address_line1: a.map(|a| a.line1.clone()),
            address_line2: a.and_then(|a| a.line2.clone()),
            city: a.map(|a| a.city.clone()),
            state: a.map(|a| a.state.clone()),
            zip: a.map(|a| a.zip.clone()),
            preferred_language: f.preferred_language.clone(),
            emergency_contact_name: f.emergency_contact.as_ref().map(|(n, _)| n.clone()),
            emergency_contact_phone: f
                .emergency_contact
                .as_ref()
                .map(|(_, p)| p.e164().to_string()),
            reminder_channel: f.communication.reminders.as_str().into(),
            results_channel: f.communication.results.as_str().into(),
            statement_channel: f.communication.statements.as_str().into(),
            marketing_consent: f.communication.marketing_consent,
            version: p.version,
        }
    }
}

#[utoipa::path(post, path = "/api/patients/search", tag = "patients", operation_id = "search_patients", request_body = PatientSearchInput,
    description = "A page of the charts matching the query, best matches first. Pages follow each other without repeats or gaps while no chart changes: send `next_cursor` back as `cursor`, with the same query, for the next page. A search is a POST so that nothing typed into it lands in a URL.",
    responses((status = 200, description = "One page, `page_size` charts at most (25 unless asked, 100 at most)", body = PatientSearchPage),
        (status = 400, description = "The body is not valid JSON", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "A field is missing, unknown or not valid: a query over 100 characters, a page size outside 1 to 100, a cursor edited, sent with another query, or pointing at a chart changed since", body = Problem)))]
pub(crate) async fn api_search(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<PatientSearchInput>,
) -> Result<Json<PatientSearchPage>, WebError> {
    let page = state
        .app
        .search_patients_page(&caller, &body.validate()?)
        .await?;
    Ok(Json(PatientSearchPage {
        patients: page.patients.iter().map(PatientView::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

#[utoipa::path(post, path = "/api/patients", tag = "patients", operation_id = "register_patient", request_body = PatientCreateBody,
    responses((status = 201, description = "Registered; the Location header names the chart", body = PatientView),
        (status = 409, description = "A chart that may be the same person exists", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "A field is missing, unknown or not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_create(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<PatientCreateBody>,
) -> Result<Response, WebError> {
    let p = state
        .app
        .register_patient(&caller, &body.patient, body.allow_duplicate)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/patients/{}", p.id))],
        Json(PatientView::from(&p)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/patients/{id}", tag = "patients", operation_id = "get_patient",
    params(("id" = String, Path, description = "patient ID")),
    responses((status = 200, description = "The chart's demographics", body = PatientView),
        (status = 404, description = "No such patient", body = Problem)))]
pub(crate) async fn api_get(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PatientView>, WebError> {
    Ok(Json(PatientView::from(
        &state.app.get_patient(&caller, parse_id(&id)?).await?,
    )))
}

#[utoipa::path(put, path = "/api/patients/{id}", tag = "patients", operation_id = "update_patient", request_body = PatientUpdateBody,
    params(("id" = String, Path, description = "patient ID")),
    responses((status = 200, description = "Saved", body = PatientView),
        (status = 404, description = "No such patient", body = Problem),
        (status = 409, description = "Someone else saved first; reload", body = Problem),
        (status = 422, description = "A field is missing, unknown or not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_update(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatientUpdateBody>,
) -> Result<Json<PatientView>, WebError> {
    Ok(Json(PatientView::from(
        &state
            .app
            .update_patient(&caller, parse_id(&id)?, body.version, &body.patient)
            .await?,
    )))
}

// ------------------------------------------------------------ booking

#[derive(Template, WebTemplate)]
#[template(path = "book.html")]
struct BookPage {
    layout: Layout,
    id: String,
    patient: String,
    problem: Option<String>,
    notice: Option<String>,
    locations: Vec<Choice>,
    providers: Vec<Choice>,
    types: Vec<Choice>,
    date: String,
    time: String,
}

/// The booking form, with `chosen` (location, provider, type) selected.
async fn book_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    id: PatientId,
    chosen: [&str; 3],
) -> Result<BookPage, WebError> {
    let patient = state.app.get_patient(caller, id).await?;
    let locations = state.app.list_locations(caller).await?;
    let (providers, types) = state.app.booking_choices(caller).await?;
    let pick = |value: String, label: String, i: usize| Choice {
        selected: chosen[i] == value,
        value,
        label,
    };
    Ok(BookPage {
        layout: Layout::signed_in(state, csrf, caller, "schedule").await?,
        id: id.to_string(),
        patient: display_name(&patient),
        problem: None,
        notice: None,
        locations: locations
            .into_iter()
            .map(|l| pick(l.id.to_string(), l.name, 0))
            .collect(),
        providers: std::iter::once(pick(String::new(), "Any provider".into(), 1))
            .chain(
                providers
                    .into_iter()
                    .map(|p| pick(p.id.to_string(), p.name, 1)),
            )
            .collect(),
        types: types
            .into_iter()
            .map(|t| {
                pick(
                    t.id.to_string(),
                    format!("{} ({} min)", t.name, t.duration_minutes),
                    2,
                )
            })
            .collect(),
        date: String::new(),
        time: String::new(),
    })
}

async fn book_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<BookPage, WebError> {
    book_view(&state, &csrf, &caller, parse_id(&id)?, ["", "", ""]).await
}

async fn book_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (loc, prov, kind) = (
        form.get("location_id"),
        form.get("provider_id"),
        form.get("appointment_type_id"),
    );
    let mut page = book_view(&state, &csrf, &caller, id, [&loc, &prov, &kind]).await?;
    if form.get("action") == "find" {
        let bad = |field: &str, what: &str| {
            WebError::Validation(ValidationErrors::single(field, format!("choose {what}")))
        };
        let query = kerato_app::scheduling::SlotQuery {
            appointment_type: Some(
                kind.parse()
                    .map_err(|_| bad("appointment_type_id", "a visit"))?,
            ),
            provider: match prov.as_str() {
                "" => None,
                p => Some(p.parse().map_err(|_| bad("provider_id", "a provider"))?),
            },
            location: Some(loc.parse().map_err(|_| bad("location_id", "a location"))?),
            from: None,
            limit: 5,
        };
        let offers = state.app.find_slots(&caller, &query).await?;
        match offers.first() {
            Some(first) => {
                page.date = first.date.to_string();
                page.time = first.time.strftime("%H:%M").to_string();
                let chosen = first.provider_id.to_string();
                for p in &mut page.providers {
                    p.selected = p.value == chosen;
                }
                let others: Vec<String> = offers[1..]
                    .iter()
                    .map(|o| {
                        format!(
                            "{} {} ({})",
                            o.date,
                            o.time.strftime("%H:%M"),
                            o.provider_name
                        )
                    })
                    .collect();
                page.notice = Some(format!(
                    "Next available: {} at {} with {}.{}",
                    page.date,
                    page.time,
                    first.provider_name,
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" Then: {}.", others.join("; "))
                    }
                ));
            }
            None => {
                page.problem = Some(format!(
                    "Nothing is free in the next {} days for that visit there.",
                    kerato_app::scheduling::HORIZON_DAYS
                ))
            }
        }
        return Ok(page.into_response());
    }
    let req = kerato_app::scheduling::BookingRequest {
        provider_id: prov,
        patient_id: id.to_string(),
        location_id: loc.clone(),
        appointment_type_id: kind,
        date: form.get("date"),
        time: form.get("time"),
        ..Default::default()
    };
    let weekdays = form.get("weekdays");
    let booked = if weekdays.trim().is_empty() {
        state.app.book_appointment(&caller, &req).await.map(|_| ())
    } else {
        let weeks = form.get("weeks").trim().parse().map_err(|_| {
            WebError::Validation(ValidationErrors::single(
                "weeks",
                "write the number of weeks",
            ))
        })?;
        state
            .app
            .book_series(&caller, &req, &weekdays, weeks)
            .await
            .map(|_| ())
    };
    match booked {
        Ok(()) => Ok(Redirect::to(&format!(
            "/schedule?location={loc}&date={}",
            req.date.trim()
        ))
        .into_response()),
        Err(AppError::Validation(e)) => {
            page.date = req.date;
            page.time = req.time;
            page.problem = Some(
                e.errors
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(m)) => {
            page.date = req.date;
            page.time = req.time;
            page.problem = Some(m);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
