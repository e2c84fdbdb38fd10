//! The policy pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::routing::get;
use kerato_core::policy::{self, PolicyKind, PolicyVersion};
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::policies::rules::*;
use crate::policies::store::*;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "policy.html")]
pub(crate) struct PolicyPage {
    pub(crate) layout: Layout,
    pub(crate) doc: Document,
    pub(crate) blocks: Vec<Block>,
    pub(crate) history: Vec<Document>,
    pub(crate) upcoming: Option<Document>,
    pub(crate) current: bool,
}

pub(crate) async fn show(
    site: &Site,
    csrf: &CsrfToken,
    kind: PolicyKind,
    version: Option<u32>,
) -> Result<PolicyPage, SiteError> {
    let now = site.now();
    let mut tx = site.store.read().await?;
    let docs: Vec<Document> = all(&mut tx)
        .await?
        .into_iter()
        .filter(|d| d.version.kind == kind)
        .collect();
    let versions: Vec<PolicyVersion> = docs.iter().map(|d| d.version.clone()).collect();
    let in_force = policy::in_force(&versions, kind, now).map(|v| v.version);
    let chosen = match version {
        Some(v) => v,
        None => in_force.ok_or(SiteError::NotFound)?,
    };
    let doc = docs
        .iter()
        .find(|d| d.version.version == chosen)
        .cloned()
        .ok_or(SiteError::NotFound)?;
    let upcoming = docs
        .iter()
        .filter(|d| d.version.effective_at > now)
        .max_by_key(|d| d.version.version)
        .cloned();
    let mut history = docs;
    history.reverse();
    Ok(PolicyPage {
        layout: Layout::new(site, csrf, doc.title.clone(), Section::Privacy),
        blocks: blocks(&render(&doc.body, &site.config)),
        current: Some(chosen) == in_force,
        doc,
        history,
        upcoming,
    })
}

pub(crate) async fn privacy_statement(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<PolicyPage, SiteError> {
    show(&site, &csrf, PolicyKind::PrivacyStatement, None).await
}

pub(crate) async fn cookie_policy(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<PolicyPage, SiteError> {
    show(&site, &csrf, PolicyKind::CookiePolicy, None).await
}

pub(crate) async fn version(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path((kind, v)): Path<(String, String)>,
) -> Result<PolicyPage, SiteError> {
    let kind = match kind.as_str() {
        "privacy" => PolicyKind::PrivacyStatement,
        "cookies" => PolicyKind::CookiePolicy,
        _ => return Err(SiteError::NotFound),
    };
    let v: u32 = v.parse().map_err(|_| SiteError::NotFound)?;
    show(&site, &csrf, kind, Some(v)).await
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/privacy", get(privacy_statement))
        .route("/cookies", get(cookie_policy))
        .route("/{kind}/versions/{version}", get(version))
}
