//! Disclosures: recording them and the per-patient accounting.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::privacy::{AccountingQuery, DisclosureInput};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
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

impl DisclosuresPage {
    /// The record form again, with what was typed and each field's problem.
    fn refused(mut self, fields: &FormFields, errors: &ValidationErrors) -> Response {
        let field = |name: &str, max: usize| FieldView::new(&fields.get(name), errors, name, max);
        self.patient = field("patient", 36);
        self.disclosed_on = field("disclosed_on", 10);
        self.recipient = field("recipient", 200);
        self.purpose = field("purpose", 200);
        self.description = field("description", 2000);
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}

async fn page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<DisclosuresPage, WebError> {
    DisclosuresPage::new(&state, &csrf, &caller).await
}

async fn record(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<DisclosureInput>,
) -> Result<Response, WebError> {
    let result = match &form.input {
        Ok(input) => state.app.record_disclosure(&caller, input).await,
        Err(errors) => Err(AppError::Validation(errors.clone())),
    };
    let mut page = DisclosuresPage::new(&state, &csrf, &caller).await?;
    match result {
        Ok(_) => {
            page.notice = Some("Disclosure recorded.".into());
            Ok(page.into_response())
        }
        Err(AppError::Validation(errors)) => Ok(page.refused(&form.fields, &errors)),
        Err(e) => Err(e.into()),
    }
}

async fn accounting(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<AccountingQuery>,
) -> Result<Response, WebError> {
    let raw = form.fields.get("lookup");
    match form.input {
        Ok(query) => {
            let rows = state
                .app
                .accounting_of_disclosures(&caller, query.patient)
                .await?;
            let mut page = DisclosuresPage::new(&state, &csrf, &caller).await?;
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
            let mut page = DisclosuresPage::new(&state, &csrf, &caller).await?;
            page.lookup = FieldView::new(&raw, &errors, "lookup", 36);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
