//! The registration and demographics forms: one form, to register a
//! patient or to edit a chart's demographics.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::patients::{DemographicsForm, Patient, RegistrationForm, VERSION_FIELD};

use super::parse_id;
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::{Choice, FieldView};
use kerato_http::csrf::CsrfToken;

pub(super) const TEXT_FIELDS: &[(&str, &str, &str, usize)] = &[
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

pub(super) const SELECTS: &[Select] = &[
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
pub(super) struct PatientFormPage {
    layout: Layout,
    heading: &'static str,
    action: String,
    /// The chart version an edit started from, as the hidden field holds it.
    version: Option<String>,
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
    version: Option<String>,
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

/// What was typed, to fill the form again.
fn values_from_form(form: &FormFields) -> Values {
    TEXT_FIELDS
        .iter()
        .map(|(id, ..)| *id)
        .chain(SELECTS.iter().map(|(id, ..)| *id))
        .map(|id| (id, form.get(id)))
        .collect()
}

pub(super) fn values_from_patient(p: &Patient) -> Values {
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

/// The form again after a failed save, built only then: messages next
/// to fields (422), or the conflict above the form (409), with the
/// duplicate checkbox offered on registration.
async fn failure(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    (heading, action): (&'static str, String),
    form: &FormFields,
    err: AppError,
) -> Result<Response, WebError> {
    let (status, errors, problem) = match err {
        AppError::Validation(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            "Some fields need attention; see the messages next to them.".to_string(),
        ),
        AppError::Conflict(message) => (StatusCode::CONFLICT, ValidationErrors::new(), message),
        other => return Err(WebError::App(other)),
    };
    let version = Some(form.get(VERSION_FIELD)).filter(|v| !v.is_empty());
    let mut page = form_page(
        Layout::signed_in(state, csrf, caller, "patients").await?,
        heading,
        action,
        version,
        &values_from_form(form),
        form.get("marketing_consent") == "1",
        &errors,
    );
    page.duplicate = status == StatusCode::CONFLICT && page.version.is_none();
    page.problem = Some(problem);
    Ok((status, page).into_response())
}

pub(super) async fn new_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<PatientFormPage, WebError> {
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

pub(super) async fn create_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<RegistrationForm>,
) -> Result<Response, WebError> {
    let registered = match form.input {
        Ok(RegistrationForm(registration)) => {
            state.app.register_patient(&caller, &registration).await
        }
        Err(errors) => Err(errors.into()),
    };
    match registered {
        Ok(p) => Ok(Redirect::to(&format!("/patients/{}", p.id)).into_response()),
        Err(err) => {
            let form_of = ("Register patient", "/patients".to_string());
            failure(&state, &csrf, &caller, form_of, &form.fields, err).await
        }
    }
}

pub(super) async fn edit_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<PatientFormPage, WebError> {
    let p = state.app.get_patient(&caller, parse_id(&id)?).await?;
    Ok(form_page(
        Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        "Edit demographics",
        format!("/patients/{}", p.id),
        Some(p.version.to_string()),
        &values_from_patient(&p),
        p.fields.communication.marketing_consent,
        &ValidationErrors::new(),
    ))
}

pub(super) async fn edit_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<DemographicsForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let saved = match form.input {
        Ok(DemographicsForm(update)) => state.app.update_patient(&caller, id, &update).await,
        // A form without its version cannot be saved whatever else it
        // says: it was not drawn by the edit page.
        Err(errors) if errors.for_field(VERSION_FIELD).is_some() => {
            return Err(WebError::BadRequest(
                "the form is missing the chart's version; reload the page".into(),
            ));
        }
        Err(errors) => Err(errors.into()),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/patients/{id}")).into_response()),
        Err(err) => {
            let form_of = ("Edit demographics", format!("/patients/{id}"));
            failure(&state, &csrf, &caller, form_of, &form.fields, err).await
        }
    }
}
