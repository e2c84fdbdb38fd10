//! The vendor staff area: a home page with what the person's role may
//! use, and the demo request pipeline.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::accounts::{Permission, User};
use crate::auth::SignedIn;
use crate::demo_requests::{self, DemoRequest, Stage};
use crate::web::{Form, Layout, Section, SiteError};

/// The staff pages and the permission each needs, in the order the home
/// page lists them.
pub const STAFF_PAGES: &[(&str, &str, Permission)] = &[
    (
        "/staff/demo-requests",
        "Demo requests",
        Permission::SalesPipeline,
    ),
    (
        "/staff/tickets",
        "Support tickets",
        Permission::HandleTickets,
    ),
    (
        "/staff/campaigns",
        "E-mail campaigns",
        Permission::Campaigns,
    ),
    (
        "/staff/privacy",
        "Privacy rights requests",
        Permission::PrivacyRequests,
    ),
];

#[derive(Template, WebTemplate)]
#[template(path = "staff.html")]
struct StaffHome {
    layout: Layout,
    me: User,
    links: Vec<(&'static str, &'static str)>,
}

async fn home(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<StaffHome, SiteError> {
    let me = who.require(Permission::StaffHome)?.clone();
    let links = STAFF_PAGES
        .iter()
        .filter(|(_, _, p)| me.role.permits(*p))
        .map(|(href, label, _)| (*href, *label))
        .collect();
    Ok(StaffHome {
        layout: Layout::new(&site, &csrf, "Vendor staff", Section::Portal),
        me,
        links,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_demo_requests.html")]
struct PipelinePage {
    layout: Layout,
    requests: Vec<DemoRequest>,
}

async fn pipeline(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<PipelinePage, SiteError> {
    who.require(Permission::SalesPipeline)?;
    let mut tx = site.store.read().await?;
    Ok(PipelinePage {
        layout: Layout::new(&site, &csrf, "Demo requests", Section::Portal),
        requests: demo_requests::all(&mut tx).await?,
    })
}

async fn move_stage(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    who.require(Permission::SalesPipeline)?;
    let to: Stage = form.get("stage").parse().map_err(SiteError::BadRequest)?;
    demo_requests::move_to(&site, &who.actor(), &id, to).await?;
    Ok(Redirect::to("/staff/demo-requests").into_response())
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/staff", get(home))
        .route("/staff/demo-requests", get(pipeline))
        .route("/staff/demo-requests/{id}/stage", post(move_stage))
}
