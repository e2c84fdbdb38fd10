//! A prescription's page and printable PDF, the patient's confirmation of
//! receipt, and their consent to digital delivery.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kerato_domain::eye::prescription::{
    CONFIRMATION_STATEMENT, ConfirmationInput, ConfirmationOutcome, DigitalConsentInput,
};
use kerato_domain::ids::{PatientId, PrescriptionId};

use super::{id_of, local};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use kerato_http::csrf::CsrfToken;

#[derive(Template, WebTemplate)]
#[template(path = "prescription.html")]
pub(super) struct PrescriptionPage {
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

pub(super) async fn prescription_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<PrescriptionPage, WebError> {
    let id: PrescriptionId = id_of(&id, "prescription")?;
    let (rx, releases, confirmation) = state.app.prescription(&caller, id).await?;
    let table = rx.table();
    Ok(PrescriptionPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        id: rx.id.to_string(),
        exam: rx.exam_id.to_string(),
        title: rx.kind.title(),
        prescriber: format!(
            "{} · licence {} · NPI {}",
            rx.prescriber_name, rx.prescriber_license, rx.prescriber_npi
        ),
        issued: rx.issued_on.to_string(),
        expires: rx.expires_on.to_string(),
        reason: rx.medical_reason.clone(),
        columns: table.columns,
        rows: table.rows,
        releases: releases
            .into_iter()
            .map(|r| format!("Released {} ({})", local(r.released_at), r.delivery))
            .collect(),
        confirmation: confirmation.map(|c| match c.outcome {
            ConfirmationOutcome::Signed => format!(
                "Receipt confirmed by {} on {}; kept until {}",
                c.signer_name,
                local(c.recorded_at),
                c.keep_until
            ),
            ConfirmationOutcome::Refused => format!(
                "Patient declined to sign ({}) on {}; kept until {}",
                c.signer_name,
                local(c.recorded_at),
                c.keep_until
            ),
        }),
        statement: CONFIRMATION_STATEMENT,
    })
}

pub(super) async fn prescription_pdf(
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

pub(super) async fn confirmation(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<ConfirmationInput>,
) -> Result<Response, WebError> {
    let id: PrescriptionId = id_of(&id, "prescription")?;
    state
        .app
        .record_rx_confirmation(&caller, id, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/prescriptions/{id}")).into_response())
}

pub(super) async fn digital_consent(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<DigitalConsentInput>,
) -> Result<Response, WebError> {
    let patient: PatientId = id_of(&id, "patient")?;
    state
        .app
        .record_rx_digital_consent(&caller, patient, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}/exams")).into_response())
}
