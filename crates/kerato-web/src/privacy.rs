//! Disclosures: recording them and the per-patient accounting.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kerato_app::AppError;
use kerato_app::privacy::DisclosureInput;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::PatientId;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::FormFields;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::FieldView;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/disclosures",
        Access::Needs(Resource::Disclosure, Action::Query),
        get(page),
    )
    .add(
        "POST",
        "/disclosures",
        Access::Needs(Resource::Disclosure, Action::Create),
        post(record),
    )
    .add(
        "POST",
        "/disclosures/accounting",
        Access::Needs(Resource::Disclosure, Action::Query),
        post(accounting),
    )
}

struct DisclosureView {
    on: String,
    recipient: String,
    purpose: String,
    description: String,
    by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "disclosures.html")]
struct DisclosuresPage {
    layout: Layout,
    notice: Option<String>,
    may_record: bool,
    patient: FieldView,
    disclosed_on: FieldView,
    recipient: FieldView,
    purpose: FieldView,
    description: FieldView,
    lookup: FieldView,
    accounting: Option<Vec<DisclosureView>>,
}

impl DisclosuresPage {
    async fn new(
        state: &WebState,
        csrf: &CsrfToken,
        caller: &kerato_app::Caller,
    ) -> Result<Self, WebError> {
        Ok(Self {
            layout: Layout::signed_in(state, csrf, caller, "disclosures").await?,
            notice: None,
            may_record: kerato_domain::identity::role_permits(
                caller.actor.role,
                Resource::Disclosure,
                Action::Create,
            ),
            patient: FieldView::empty(36),
            disclosed_on: FieldView::empty(10),
            recipient: FieldView::empty(200),
            purpose: FieldView::empty(200),
            description: FieldView::empty(2000),
            lookup: FieldView::empty(36),
            accounting: None,
        })
    }
}

fn patient_id(raw: &str, field: &str) -> Result<PatientId, ValidationErrors> {
    raw.trim().parse().map_err(|_| {
        ValidationErrors::single(
            field,
            "enter the patient's ID as shown on their chart (a UUID)",
        )
    })
}

async fn page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<DisclosuresPage, WebError> {
    state
        .app
        .require(&caller, Resource::Disclosure, Action::Query, None)
        .await?;
    DisclosuresPage::new(&state, &csrf, &caller).await
}

async fn record(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let input = DisclosureInput {
        disclosed_on: form.get("disclosed_on"),
        recipient: form.get("recipient"),
        purpose: form.get("purpose"),
        description: form.get("description"),
    };
    let raw_patient = form.get("patient");
    let result = match patient_id(&raw_patient, "patient") {
        Ok(p) => state.app.record_disclosure(&caller, p, &input).await,
        Err(e) => {
            state
                .app
                .require(&caller, Resource::Disclosure, Action::Create, None)
                .await?;
            Err(AppError::Validation(e))
        }
    };
    let mut page = DisclosuresPage::new(&state, &csrf, &caller).await?;
    match result {
        Ok(_) => {
            page.notice = Some("Disclosure recorded.".into());
            Ok(page.into_response())
        }
        Err(AppError::Validation(errors)) => {
            page.patient = FieldView::new(&raw_patient, &errors, "patient", 36);
            page.disclosed_on = FieldView::new(&input.disclosed_on, &errors, "disclosed_on", 10);
            page.recipient = FieldView::new(&input.recipient, &errors, "recipient", 200);
            page.purpose = FieldView::new(&input.purpose, &errors, "purpose", 200);
            page.description = FieldView::new(&input.description, &errors, "description", 2000);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn accounting(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let raw = form.get("lookup");
    let mut page = DisclosuresPage::new(&state, &csrf, &caller).await?;
    match patient_id(&raw, "lookup") {
        Ok(p) => {
            let rows = state.app.accounting_of_disclosures(&caller, p).await?;
            page.lookup.value = raw;
            page.accounting = Some(
                rows.into_iter()
                    .map(|(d, by)| DisclosureView {
                        on: d.disclosed_at.to_jiff().strftime("%Y-%m-%d").to_string(),
                        by,
                        recipient: d.recipient,
                        purpose: d.purpose,
                        description: d.description,
                    })
                    .collect(),
            );
            Ok(page.into_response())
        }
        Err(errors) => {
            state
                .app
                .require(&caller, Resource::Disclosure, Action::Query, None)
                .await?;
            page.lookup = FieldView::new(&raw, &errors, "lookup", 36);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
