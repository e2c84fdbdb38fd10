//! The search page: as the user types, the best matches of what is typed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::patients::Patient;
use kerato_domain::patients::search::SearchBox;

use super::display_name;
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use kerato_http::csrf::CsrfToken;

struct ResultRow {
    id: String,
    name: String,
    dob: String,
    mrn: String,
    phone: String,
}

impl From<&Patient> for ResultRow {
    fn from(p: &Patient) -> Self {
        Self {
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
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "patients.html")]
pub(super) struct SearchPage {
    layout: Layout,
    query: String,
    searched: bool,
    results: Vec<ResultRow>,
    may_register: bool,
}

/// The page, with what was searched for and what it found.
async fn search_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    query: String,
    found: &[Patient],
) -> Result<SearchPage, WebError> {
    Ok(SearchPage {
        layout: Layout::signed_in(state, csrf, caller, "patients").await?,
        searched: !query.is_empty(),
        query,
        results: found.iter().map(ResultRow::from).collect(),
        may_register: role_permits(caller.actor.role, Resource::Patient, Action::Create),
    })
}

pub(super) async fn search_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<SearchPage, WebError> {
    search_view(&state, &csrf, &caller, String::new(), &[]).await
}

pub(super) async fn search_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<SearchBox>,
) -> Result<SearchPage, WebError> {
    let SearchBox(search) = form.input?;
    // Nothing typed is nothing searched (and nothing audited).
    let found = if search.query.is_empty() {
        Vec::new()
    } else {
        state
            .app
            .search_patients_page(&caller, &search)
            .await?
            .patients
    };
    search_view(&state, &csrf, &caller, search.query, &found).await
}
