//! The ticket pages of the portal and the staff queue.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::FormFields;
use serde::Deserialize;

use crate::Site;
use crate::accounts::pages::SignedIn;
use crate::accounts::rules::{Permission, User};
use crate::tickets::rules::{Message, Status, Ticket};
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "tickets.html")]
pub(crate) struct ListPage {
    pub(crate) layout: Layout,
    pub(crate) tickets: Vec<Ticket>,
}

pub(crate) async fn list(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<ListPage, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    let account_id = me.account_id.as_deref().ok_or(SiteError::NotFound)?;
    let mut tx = site.store.read().await?;
    Ok(ListPage {
        layout: Layout::new(&site, &csrf, "Support tickets", Section::Portal),
        tickets: crate::tickets::store::of_account(&mut tx, account_id).await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket_new.html")]
pub(crate) struct NewPage {
    pub(crate) layout: Layout,
    pub(crate) subject: String,
    pub(crate) message: String,
    pub(crate) errors: ValidationErrors,
}

pub(crate) async fn new_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<NewPage, SiteError> {
    who.require(Permission::OpenTickets)?;
    Ok(NewPage {
        layout: Layout::new(&site, &csrf, "Open a support ticket", Section::Portal),
        subject: String::new(),
        message: String::new(),
        errors: ValidationErrors::new(),
    })
}

pub(crate) async fn create(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    let (subject, message) = (form.get("subject"), form.get("message"));
    match crate::tickets::threads::open(&site, me, &subject, &message).await {
        Ok(id) => Ok(Redirect::to(&format!("/portal/tickets/{id}")).into_response()),
        Err(SiteError::Validation(errors)) => {
            // The form comes back redacted: patient data is not sent out
            // again, not even to the person who typed it.
            let shown = crate::tickets::rules::intake(&subject, &message);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                NewPage {
                    layout: Layout::new(&site, &csrf, "Open a support ticket", Section::Portal),
                    subject: shown.subject,
                    message: shown.body,
                    errors,
                },
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket.html")]
pub(crate) struct ThreadPage {
    pub(crate) layout: Layout,
    pub(crate) ticket: Ticket,
    pub(crate) messages: Vec<Message>,
    pub(crate) message: String,
    pub(crate) errors: ValidationErrors,
}

pub(crate) async fn thread_page(
    site: &Site,
    csrf: &CsrfToken,
    me: &User,
    id: &str,
    message: String,
    errors: ValidationErrors,
) -> Result<ThreadPage, SiteError> {
    let mut tx = site.store.read().await?;
    let ticket = crate::tickets::threads::for_customer(&mut tx, me, id).await?;
    let messages = crate::tickets::store::messages(&mut tx, &ticket.id).await?;
    Ok(ThreadPage {
        layout: Layout::new(site, csrf, "Support ticket", Section::Portal),
        ticket,
        messages,
        message,
        errors,
    })
}

pub(crate) async fn thread(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<ThreadPage, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    thread_page(
        &site,
        &csrf,
        me,
        &id,
        String::new(),
        ValidationErrors::new(),
    )
    .await
}

pub(crate) async fn reply(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    let message = form.get("message");
    match crate::tickets::threads::customer_reply(&site, me, &id, &message).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/tickets/{id}")).into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            thread_page(
                &site,
                &csrf,
                me,
                &id,
                crate::tickets::rules::intake("", &message).body,
                errors,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_tickets.html")]
pub(crate) struct QueuePage {
    pub(crate) layout: Layout,
    pub(crate) tickets: Vec<Ticket>,
    pub(crate) statuses: &'static [Status],
    pub(crate) filter: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct QueueFilter {
    #[serde(default)]
    pub(crate) status: String,
}

pub(crate) async fn queue(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Query(f): Query<QueueFilter>,
) -> Result<QueuePage, SiteError> {
    who.require(Permission::HandleTickets)?;
    let status = match f.status.as_str() {
        "" => None,
        s => Some(s.parse::<Status>().map_err(SiteError::BadRequest)?),
    };
    let mut tx = site.store.read().await?;
    Ok(QueuePage {
        layout: Layout::new(&site, &csrf, "Support tickets", Section::Portal),
        tickets: crate::tickets::store::queue(&mut tx, status).await?,
        statuses: Status::ALL,
        filter: f.status,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_ticket.html")]
pub(crate) struct StaffThreadPage {
    pub(crate) layout: Layout,
    pub(crate) ticket: Ticket,
    pub(crate) messages: Vec<Message>,
    pub(crate) handlers: Vec<User>,
    pub(crate) message: String,
    pub(crate) errors: ValidationErrors,
}

pub(crate) async fn staff_thread_page(
    site: &Site,
    csrf: &CsrfToken,
    id: &str,
    message: String,
    errors: ValidationErrors,
) -> Result<StaffThreadPage, SiteError> {
    let mut tx = site.store.read().await?;
    let ticket = crate::tickets::store::by_id(&mut tx, id)
        .await?
        .ok_or(SiteError::NotFound)?;
    Ok(StaffThreadPage {
        layout: Layout::new(site, csrf, "Support ticket", Section::Portal),
        messages: crate::tickets::store::messages(&mut tx, &ticket.id).await?,
        handlers: crate::tickets::store::handlers(&mut tx).await?,
        ticket,
        message,
        errors,
    })
}

pub(crate) async fn staff_thread(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<StaffThreadPage, SiteError> {
    who.require(Permission::HandleTickets)?;
    staff_thread_page(&site, &csrf, &id, String::new(), ValidationErrors::new()).await
}

pub(crate) fn back_to(id: &str) -> Response {
    Redirect::to(&format!("/staff/tickets/{id}")).into_response()
}

pub(crate) async fn staff_reply(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::HandleTickets)?;
    let message = form.get("message");
    match crate::tickets::threads::staff_reply(&site, me, &id, &message).await {
        Ok(()) => Ok(back_to(&id)),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            staff_thread_page(
                &site,
                &csrf,
                &id,
                crate::tickets::rules::intake("", &message).body,
                errors,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn set_status(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::HandleTickets)?;
    let to: Status = form.get("status").parse().map_err(SiteError::BadRequest)?;
    crate::tickets::threads::set_status(&site, &who.actor(), &id, to).await?;
    Ok(back_to(&id))
}

pub(crate) async fn assign(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::HandleTickets)?;
    let assignee = form.get("assignee");
    let assignee = (!assignee.is_empty()).then_some(assignee.as_str());
    crate::tickets::threads::assign(&site, &who.actor(), &id, assignee).await?;
    Ok(back_to(&id))
}

pub(crate) async fn under_13(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    // Taken for its CSRF check; the action has no fields.
    _form: FormFields,
) -> Result<Response, SiteError> {
    who.require(Permission::HandleTickets)?;
    crate::tickets::threads::mark_under_13(&site, &who.actor(), &id).await?;
    Ok(back_to(&id))
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/portal/tickets", get(list))
        .route("/portal/tickets/new", get(new_form).post(create))
        .route("/portal/tickets/{id}", get(thread))
        .route("/portal/tickets/{id}/reply", post(reply))
        .route("/staff/tickets", get(queue))
        .route("/staff/tickets/{id}", get(staff_thread))
        .route("/staff/tickets/{id}/reply", post(staff_reply))
        .route("/staff/tickets/{id}/status", post(set_status))
        .route("/staff/tickets/{id}/assign", post(assign))
        .route("/staff/tickets/{id}/under-13", post(under_13))
}
