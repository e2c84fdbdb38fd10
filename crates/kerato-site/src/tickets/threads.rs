//! Use cases: tickets opened, answered, moved and assigned.

use kerato_db::Tx;

use crate::Site;
use crate::accounts::rules::User;
use crate::mail::outbox::{self, Outgoing};
use crate::tickets::rules::*;
use crate::tickets::store::*;
use crate::web::SiteError;

/// Opens a ticket from the portal for the author's account; returns its ID.
pub async fn open(
    site: &Site,
    author: &User,
    subject: &str,
    body: &str,
) -> Result<String, SiteError> {
    let account_id = author.account_id.as_deref().ok_or(SiteError::NotFound)?;
    let (subject, body) = validate(Some(subject), body).map_err(SiteError::Validation)?;
    let text = intake(&subject, &body);
    let now = site.now();
    let actor = format!("user:{}", author.id);
    let mut tx = site.store.write().await?;
    let id = insert(
        &mut tx,
        now,
        &actor,
        NewTicket {
            account_id: Some(account_id),
            author_user_id: Some(&author.id),
            from_email: &author.email,
        },
        &text,
        NewMessage {
            kind: AuthorKind::Customer,
            author_id: Some(&author.id),
            body: &text.body,
            note: text.note.as_deref(),
            message_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A ticket of the customer's own account; any other is "not found", so a
/// ticket ID from another account reveals nothing.
pub async fn for_customer(tx: &mut Tx, who: &User, id: &str) -> Result<Ticket, SiteError> {
    by_id(tx, id)
        .await?
        .filter(|t| t.account_id.is_some() && t.account_id == who.account_id)
        .ok_or(SiteError::NotFound)
}

/// A customer's reply from the portal.
pub async fn customer_reply(
    site: &Site,
    who: &User,
    id: &str,
    body: &str,
) -> Result<(), SiteError> {
    let (_, body) = validate(None, body).map_err(SiteError::Validation)?;
    let text = intake("", &body);
    let now = site.now();
    let actor = format!("user:{}", who.id);
    let mut tx = site.store.write().await?;
    let t = for_customer(&mut tx, who, id).await?;
    if t.status == Status::Closed {
        return Err(SiteError::Conflict(
            "this ticket is closed; open a new ticket and mention its number".into(),
        ));
    }
    add_message(
        &mut tx,
        now,
        &actor,
        &t.id,
        NewMessage {
            kind: AuthorKind::Customer,
            author_id: Some(&who.id),
            body: &text.body,
            note: text.note.as_deref(),
            message_id: None,
        },
    )
    .await?;
    touch(&mut tx, now, &actor, &t, AuthorKind::Customer).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn for_staff(tx: &mut Tx, id: &str) -> Result<Ticket, SiteError> {
    by_id(tx, id).await?.ok_or(SiteError::NotFound)
}

/// A staff reply: stored redacted, e-mailed to the ticket's author (the
/// same redacted text), and the ticket now waits on the customer.
pub async fn staff_reply(site: &Site, staff: &User, id: &str, body: &str) -> Result<(), SiteError> {
    let (_, body) = validate(None, body).map_err(SiteError::Validation)?;
    let text = intake("", &body);
    let now = site.now();
    let actor = format!("staff:{}", staff.id);
    let mut tx = site.store.write().await?;
    let t = for_staff(&mut tx, id).await?;
    if t.status == Status::Closed {
        return Err(SiteError::Conflict(
            "this ticket is closed and takes no more replies; reload the ticket".into(),
        ));
    }
    // The e-mail carries its own Message-ID, stored with the message, so an
    // answer that quotes it in In-Reply-To threads back to this ticket.
    let domain = site
        .config
        .contact_email
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let message_id = format!(
        "{}@{domain}",
        kerato_core::ids::uuid_v7(now, rand::random())
    );
    add_message(
        &mut tx,
        now,
        &actor,
        &t.id,
        NewMessage {
            kind: AuthorKind::Staff,
            author_id: Some(&staff.id),
            body: &text.body,
            note: text.note.as_deref(),
            message_id: Some(&message_id),
        },
    )
    .await?;
    let link = if t.sender_unknown() {
        String::new()
    } else {
        format!(
            "You can also read and answer it in the customer portal: {}/portal/tickets/{}\n",
            site.config.public_url, t.id
        )
    };
    let mail_body = format!(
        "{reply}\n\n--\n{vendor} support\nReply to this e-mail to answer; keep {tag} in the subject.\n{link}\
         Please do not send patient information by e-mail.\n",
        reply = text.body,
        vendor = site.config.vendor_name,
        tag = t.tag(),
    );
    let subject = format!("Re: {} {}", t.tag(), t.subject);
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "ticket_reply",
            recipient: &t.from_email,
            subject: &subject,
            body: &mail_body,
            headers: &[("Message-ID", format!("<{message_id}>"))],
        },
    )
    .await?;
    touch(&mut tx, now, &actor, &t, AuthorKind::Staff).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a ticket to another status, if that move is allowed.
pub async fn set_status(site: &Site, actor: &str, id: &str, to: Status) -> Result<(), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let t = for_staff(&mut tx, id).await?;
    if !t.status.next().contains(&to) {
        return Err(SiteError::Conflict(format!(
            "a ticket that is {} cannot move to {}; reload the ticket",
            t.status.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    move_status(&mut tx, now, actor, &t, to).await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns a ticket to a staff member who handles tickets, or to nobody.
pub async fn assign(
    site: &Site,
    actor: &str,
    id: &str,
    assignee: Option<&str>,
) -> Result<(), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let t = for_staff(&mut tx, id).await?;
    if let Some(a) = assignee
        && !handlers(&mut tx).await?.iter().any(|u| u.id == a)
    {
        return Err(SiteError::BadRequest(
            "choose a staff member who handles tickets".into(),
        ));
    }
    assign_ticket(&mut tx, &t.id, assignee, now).await?;
    let detail = assignee.map_or_else(|| "unassigned".to_string(), |a| format!("staff:{a}"));
    record(&mut tx, now, actor, "ticket.assigned", &t.id, Some(&detail)).await?;
    tx.commit().await?;
    Ok(())
}

/// Flags a ticket as written by a child under 13; the retention job
/// deletes flagged tickets at its next run (`retention`).
pub async fn mark_under_13(site: &Site, actor: &str, id: &str) -> Result<(), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let t = for_staff(&mut tx, id).await?;
    if t.under_13 {
        return Err(SiteError::Conflict(
            "this ticket is already marked as from a child under 13".into(),
        ));
    }
    mark_ticket_under_13(&mut tx, &t.id, now).await?;
    record(&mut tx, now, actor, "ticket.under_13", &t.id, None).await?;
    tx.commit().await?;
    Ok(())
}
