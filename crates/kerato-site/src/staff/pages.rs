//! The vendor staff's pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_core::rights_request::RequestEvent;
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::FormFields;

use crate::Site;
use crate::accounts::pages::SignedIn;
use crate::accounts::rules::{Permission, User};
use crate::demo_requests::rules::{DemoRequest, Stage};
use crate::marketing::rules::{Campaign, CampaignInput, SendReport};
use crate::rights::rules::{Attention, Listed};
use crate::staff::rules::*;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "staff.html")]
pub(crate) struct StaffHome {
    pub(crate) layout: Layout,
    pub(crate) me: User,
    pub(crate) links: Vec<(&'static str, &'static str)>,
    /// Privacy requests with a standing alarm, for those who handle them.
    pub(crate) attention: Vec<Attention>,
}

pub(crate) async fn home(
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
    let attention = if me.role.permits(Permission::PrivacyRequests) {
        let mut tx = site.store.read().await?;
        crate::rights::store::needing_attention(&mut tx, site.now()).await?
    } else {
        Vec::new()
    };
    Ok(StaffHome {
        layout: Layout::new(&site, &csrf, "Vendor staff", Section::Portal),
        me,
        links,
        attention,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_demo_requests.html")]
pub(crate) struct PipelinePage {
    pub(crate) layout: Layout,
    pub(crate) requests: Vec<DemoRequest>,
}

pub(crate) async fn pipeline(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<PipelinePage, SiteError> {
    who.require(Permission::SalesPipeline)?;
    let mut tx = site.store.read().await?;
    Ok(PipelinePage {
        layout: Layout::new(&site, &csrf, "Demo requests", Section::Portal),
        requests: crate::demo_requests::store::all(&mut tx).await?,
    })
}

pub(crate) async fn move_stage(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::SalesPipeline)?;
    let to: Stage = form.get("stage").parse().map_err(SiteError::BadRequest)?;
    crate::demo_requests::requests::move_to(&site, &who.actor(), &id, to).await?;
    Ok(Redirect::to("/staff/demo-requests").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_campaigns.html")]
pub(crate) struct CampaignsPage {
    pub(crate) layout: Layout,
    pub(crate) campaigns: Vec<Campaign>,
    pub(crate) errors: ValidationErrors,
    pub(crate) report: Option<SendReport>,
}

pub(crate) async fn campaigns_page(
    site: &Site,
    csrf: &CsrfToken,
    errors: ValidationErrors,
    report: Option<SendReport>,
) -> Result<CampaignsPage, SiteError> {
    let mut tx = site.store.read().await?;
    Ok(CampaignsPage {
        layout: Layout::new(site, csrf, "E-mail campaigns", Section::Portal),
        campaigns: crate::marketing::store::campaigns(&mut tx).await?,
        errors,
        report,
    })
}

pub(crate) async fn campaigns(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<CampaignsPage, SiteError> {
    who.require(Permission::Campaigns)?;
    campaigns_page(&site, &csrf, ValidationErrors::new(), None).await
}

pub(crate) async fn create_campaign(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::Campaigns)?;
    let input = CampaignInput {
        kind: form.get("kind"),
        subject: form.get("subject"),
        body: form.get("body"),
    };
    match crate::marketing::campaigns::create_campaign(&site, &who.actor(), &input).await {
        Ok(_) => Ok(Redirect::to("/staff/campaigns").into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            campaigns_page(&site, &csrf, errors, None).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn send_campaign(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<CampaignsPage, SiteError> {
    who.require(Permission::Campaigns)?;
    let report = crate::marketing::campaigns::send_campaign(&site, &who.actor(), &id).await?;
    campaigns_page(&site, &csrf, ValidationErrors::new(), Some(report)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_privacy.html")]
pub(crate) struct PrivacyPage {
    pub(crate) layout: Layout,
    pub(crate) requests: Vec<Listed>,
}

pub(crate) async fn privacy(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<PrivacyPage, SiteError> {
    who.require(Permission::PrivacyRequests)?;
    let mut tx = site.store.read().await?;
    Ok(PrivacyPage {
        layout: Layout::new(&site, &csrf, "Privacy rights requests", Section::Portal),
        requests: crate::rights::store::list_requests(&mut tx, site.now()).await?,
    })
}

/// A staff step on a rights request; the engine refuses steps out of
/// order, and a reason is required where the requester must be told one.
pub(crate) async fn privacy_step(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::PrivacyRequests)?;
    let note = form
        .get("note")
        .trim()
        .chars()
        .take(500)
        .collect::<String>();
    let needs_note = |what: &str| {
        SiteError::Validation(ValidationErrors::single(
            "note",
            format!("write the {what}; the requester is told it"),
        ))
    };
    let event = match form.get("step").as_str() {
        "start" => RequestEvent::StartWork,
        "extend" if note.is_empty() => return Err(needs_note("reason for the extension")),
        "extend" => RequestEvent::Extend {
            reason: note,
            notice_sent_at: Some(site.now()),
        },
        "fulfil" if note.is_empty() => return Err(needs_note("summary of what was done")),
        "fulfil" => RequestEvent::Fulfil { summary: note },
        "deny" if note.is_empty() => return Err(needs_note("reason for the denial")),
        "deny" => RequestEvent::Deny { reason: note },
        _ => {
            return Err(SiteError::BadRequest(
                "choose start, extend, fulfil or deny".into(),
            ));
        }
    };
    crate::rights::requests::step(&site, &who.actor(), &id, event).await?;
    Ok(Redirect::to("/staff/privacy").into_response())
}

/// The copy of an access request's data, as a JSON file for staff to send
/// on through the requester's verified channel.
pub(crate) async fn privacy_export(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, SiteError> {
    who.require(Permission::PrivacyRequests)?;
    let copy = crate::rights::requests::access_copy(&site, &who.actor(), &id).await?;
    let json = serde_json::to_vec_pretty(&copy).map_err(|e| SiteError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"kerato-access-{}.json\"",
                    id.chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                ),
            ),
        ],
        json,
    )
        .into_response())
}

pub(crate) async fn privacy_send_copy(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::PrivacyRequests)?;
    crate::rights::requests::send_access_copy(&site, &who.actor(), &id).await?;
    Ok(Redirect::to("/staff/privacy").into_response())
}

pub(crate) async fn privacy_erase(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::PrivacyRequests)?;
    crate::rights::requests::fulfil_deletion(&site, &who.actor(), &id).await?;
    Ok(Redirect::to("/staff/privacy").into_response())
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/staff", get(home))
        .route("/staff/demo-requests", get(pipeline))
        .route("/staff/demo-requests/{id}/stage", post(move_stage))
        .route("/staff/campaigns", get(campaigns).post(create_campaign))
        .route("/staff/campaigns/{id}/send", post(send_campaign))
        .route("/staff/privacy", get(privacy))
        .route("/staff/privacy/{id}/step", post(privacy_step))
        .route("/staff/privacy/{id}/export", get(privacy_export))
        .route("/staff/privacy/{id}/erase", post(privacy_erase))
        .route("/staff/privacy/{id}/send-copy", post(privacy_send_copy))
}
