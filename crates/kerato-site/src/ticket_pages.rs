//! The ticket pages: the customer's list, form and thread in the portal,
//! and the vendor staff's queue and thread with replies, status,
//! assignment and the under-13 flag. The forms carry the browser PHI
//! guard (`assets/phi-guard.js`), which warns before sending; the server
//! redacts whatever is sent anyway.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_http::csrf::CsrfToken;
use serde::Deserialize;

use crate::Site;
use crate::accounts::{Permission, User};
use crate::auth::SignedIn;
use crate::tickets::{self, Message, Status, Ticket};
use crate::web::{Form, Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "tickets.html")]
struct ListPage {
    layout: Layout,
    tickets: Vec<Ticket>,
}

async fn list(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<ListPage, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    let account_id = me.account_id.as_deref().ok_or(SiteError::NotFound)?;
    let mut tx = site.store.read().await?;
    Ok(ListPage {
        layout: Layout::new(&site, &csrf, "Support tickets", Section::Portal),
        tickets: tickets::of_account(&mut tx, account_id).await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket_new.html")]
struct NewPage {
    layout: Layout,
    subject: String,
    message: String,
    errors: ValidationErrors,
}

async fn new_form(
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

async fn create(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: Form,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    let (subject, message) = (form.get("subject"), form.get("message"));
    match tickets::open(&site, me, &subject, &message).await {
        Ok(id) => Ok(Redirect::to(&format!("/portal/tickets/{id}")).into_response()),
        Err(SiteError::Validation(errors)) => {
            // The form comes back redacted: patient data is not sent out
            // again, not even to the person who typed it.
            let shown = tickets::intake(&subject, &message);
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
struct ThreadPage {
    layout: Layout,
    ticket: Ticket,
    messages: Vec<Message>,
    message: String,
    errors: ValidationErrors,
}

async fn thread_page(
    site: &Site,
    csrf: &CsrfToken,
    me: &User,
    id: &str,
    message: String,
    errors: ValidationErrors,
) -> Result<ThreadPage, SiteError> {
    let mut tx = site.store.read().await?;
    let ticket = tickets::for_customer(&mut tx, me, id).await?;
    let messages = tickets::messages(&mut tx, &ticket.id).await?;
    Ok(ThreadPage {
        layout: Layout::new(site, csrf, "Support ticket", Section::Portal),
        ticket,
        messages,
        message,
        errors,
    })
}

async fn thread(
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

async fn reply(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::OpenTickets)?;
    let message = form.get("message");
    match tickets::customer_reply(&site, me, &id, &message).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/tickets/{id}")).into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            thread_page(
                &site,
                &csrf,
                me,
                &id,
                tickets::intake("", &message).body,
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
struct QueuePage {
    layout: Layout,
    tickets: Vec<Ticket>,
    statuses: &'static [Status],
    filter: String,
}

#[derive(Debug, Deserialize)]
struct QueueFilter {
    #[serde(default)]
    status: String,
}

async fn queue(
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
        tickets: tickets::queue(&mut tx, status).await?,
        statuses: Status::ALL,
        filter: f.status,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "staff_ticket.html")]
struct StaffThreadPage {
    layout: Layout,
    ticket: Ticket,
    messages: Vec<Message>,
    handlers: Vec<User>,
    message: String,
    errors: ValidationErrors,
}

async fn staff_thread_page(
    site: &Site,
    csrf: &CsrfToken,
    id: &str,
    message: String,
    errors: ValidationErrors,
) -> Result<StaffThreadPage, SiteError> {
    let mut tx = site.store.read().await?;
    let ticket = tickets::by_id(&mut tx, id)
        .await?
        .ok_or(SiteError::NotFound)?;
    Ok(StaffThreadPage {
        layout: Layout::new(site, csrf, "Support ticket", Section::Portal),
        messages: tickets::messages(&mut tx, &ticket.id).await?,
        handlers: tickets::handlers(&mut tx).await?,
        ticket,
        message,
        errors,
    })
}

async fn staff_thread(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<StaffThreadPage, SiteError> {
    who.require(Permission::HandleTickets)?;
    staff_thread_page(&site, &csrf, &id, String::new(), ValidationErrors::new()).await
}

fn back_to(id: &str) -> Response {
    Redirect::to(&format!("/staff/tickets/{id}")).into_response()
}

async fn staff_reply(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::HandleTickets)?;
    let message = form.get("message");
    match tickets::staff_reply(&site, me, &id, &message).await {
        Ok(()) => Ok(back_to(&id)),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            staff_thread_page(
                &site,
                &csrf,
                &id,
                tickets::intake("", &message).body,
                errors,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

async fn set_status(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    who.require(Permission::HandleTickets)?;
    let to: Status = form.get("status").parse().map_err(SiteError::BadRequest)?;
    tickets::set_status(&site, &who.actor(), &id, to).await?;
    Ok(back_to(&id))
}

async fn assign(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    who.require(Permission::HandleTickets)?;
    let assignee = form.get("assignee");
    let assignee = (!assignee.is_empty()).then_some(assignee.as_str());
    tickets::assign(&site, &who.actor(), &id, assignee).await?;
    Ok(back_to(&id))
}

async fn under_13(
    State(site): State<Site>,
    who: SignedIn,
    Path(id): Path<String>,
    // Taken for its CSRF check; the action has no fields.
    _form: Form,
) -> Result<Response, SiteError> {
    who.require(Permission::HandleTickets)?;
    tickets::mark_under_13(&site, &who.actor(), &id).await?;
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
