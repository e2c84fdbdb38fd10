//! The SQL of tickets and their messages.

use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::accounts::rules::{Permission, User};
use crate::audit::{self, Event};
use crate::mail::inbound::Mail;
use crate::tickets::rules::*;

pub(crate) type TicketRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

pub(crate) const TICKET_SELECT: &str = "SELECT t.id, t.account_id, t.author_user_id, t.from_email, t.subject, t.status, \
     t.assigned_to, t.under_13, t.created_at, t.updated_at, t.last_activity_at, a.practice_name, s.name \
     FROM tickets t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN site_users s ON s.id = t.assigned_to";

pub(crate) fn ticket(r: TicketRow) -> Result<Ticket, StoreError> {
    Ok(Ticket {
        id: r.0,
        account_id: r.1,
        author_user_id: r.2,
        from_email: r.3,
        subject: r.4,
        status: r.5.parse().map_err(kerato_db::corrupt)?,
        assigned_to: r.6,
        under_13: r.7 != 0,
        created_at: Timestamp::from_micros(r.8),
        updated_at: Timestamp::from_micros(r.9),
        last_activity_at: Timestamp::from_micros(r.10),
        practice_name: r.11,
        assignee_name: r.12,
    })
}

pub async fn by_id(tx: &mut Tx, id: &str) -> Result<Option<Ticket>, StoreError> {
    kerato_db::fetch_one_by!(
        tx,
        format!("{TICKET_SELECT} WHERE t.id = $1"),
        id,
        TicketRow,
        ticket
    )
}

/// The account's tickets, most recently active first.
pub async fn of_account(tx: &mut Tx, account_id: &str) -> Result<Vec<Ticket>, StoreError> {
    kerato_db::fetch_all_by!(
        tx,
        format!("{TICKET_SELECT} WHERE t.account_id = $1 ORDER BY t.last_activity_at DESC"),
        account_id,
        TicketRow,
        ticket
    )
}

/// The staff queue: every ticket, or those with one status, most recently
/// active first.
pub async fn queue(tx: &mut Tx, status: Option<Status>) -> Result<Vec<Ticket>, StoreError> {
    match status {
        Some(s) => kerato_db::fetch_all_by!(
            tx,
            format!("{TICKET_SELECT} WHERE t.status = $1 ORDER BY t.last_activity_at DESC"),
            s.as_str(),
            TicketRow,
            ticket
        ),
        None => {
            let sql = format!("{TICKET_SELECT} ORDER BY t.last_activity_at DESC");
            let rows: Vec<TicketRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut **c)
                .await)?;
            rows.into_iter().map(ticket).collect()
        }
    }
}

/// The ticket a short reference names, when exactly one does.
pub(crate) async fn by_reference(
    tx: &mut Tx,
    reference: &str,
) -> Result<Option<Ticket>, StoreError> {
    let found: Result<Vec<Ticket>, StoreError> = kerato_db::fetch_all_by!(
        tx,
        format!("{TICKET_SELECT} WHERE t.id LIKE $1"),
        format!("%{reference}"),
        TicketRow,
        ticket
    );
    Ok(match <[Ticket; 1]>::try_from(found?) {
        Ok([t]) => Some(t),
        Err(_) => None,
    })
}

pub(crate) type MessageRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
);

pub(crate) fn message(r: MessageRow) -> Result<Message, StoreError> {
    Ok(Message {
        id: r.0,
        author_kind: r.1.parse().map_err(kerato_db::corrupt)?,
        author_id: r.2,
        author_name: r.3,
        body: r.4,
        redaction_note: r.5,
        created_at: Timestamp::from_micros(r.6),
    })
}

/// A ticket's thread, oldest first.
pub async fn messages(tx: &mut Tx, ticket_id: &str) -> Result<Vec<Message>, StoreError> {
    kerato_db::fetch_all_by!(
        tx,
        "SELECT m.id, m.author_kind, m.author_id, u.name, m.body, m.redaction_note, m.created_at \
         FROM ticket_messages m LEFT JOIN site_users u ON u.id = m.author_id \
         WHERE m.ticket_id = $1 ORDER BY m.created_at, m.id"
            .to_string(),
        ticket_id,
        MessageRow,
        message
    )
}

/// The vendor staff a ticket can be assigned to.
pub async fn handlers(tx: &mut Tx) -> Result<Vec<User>, StoreError> {
    Ok(crate::accounts::store::staff_users(tx)
        .await?
        .into_iter()
        .filter(|u| u.status == "active" && u.role.permits(Permission::HandleTickets))
        .collect())
}

pub(crate) async fn record(
    tx: &mut Tx,
    now: Timestamp,
    actor: &str,
    action: &str,
    ticket_id: &str,
    detail: Option<&str>,
) -> Result<(), StoreError> {
    let subject = format!("ticket:{ticket_id}");
    audit::record(
        tx,
        now,
        Event {
            actor: Some(actor),
            action,
            subject: Some(&subject),
            detail,
        },
    )
    .await
    .map(|_| ())
}

/// A message to add to a thread.
pub(crate) struct NewMessage<'a> {
    pub(crate) kind: AuthorKind,
    pub(crate) author_id: Option<&'a str>,
    pub(crate) body: &'a str,
    pub(crate) note: Option<&'a str>,
    pub(crate) message_id: Option<&'a str>,
}

/// Adds a message and audits it (and its redaction, if any); returns its ID.
pub(crate) async fn add_message(
    tx: &mut Tx,
    now: Timestamp,
    actor: &str,
    ticket_id: &str,
    m: NewMessage<'_>,
) -> Result<String, StoreError> {
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO ticket_messages (id, ticket_id, author_kind, author_id, body, redaction_note, created_at, message_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(&id)
        .bind(ticket_id)
        .bind(m.kind.as_str())
        .bind(m.author_id)
        .bind(m.body)
        .bind(m.note)
        .bind(now.as_micros())
        .bind(m.message_id)
    )?;
    record(
        tx,
        now,
        actor,
        "ticket.message",
        ticket_id,
        Some(m.kind.as_str()),
    )
    .await?;
    if let Some(note) = m.note {
        record(tx, now, actor, "ticket.redacted", ticket_id, Some(note)).await?;
    }
    Ok(id)
}

/// A ticket to insert.
pub(crate) struct NewTicket<'a> {
    pub(crate) account_id: Option<&'a str>,
    pub(crate) author_user_id: Option<&'a str>,
    pub(crate) from_email: &'a str,
}

/// Inserts a ticket and its first message, audited; returns the ticket's ID.
pub(crate) async fn insert(
    tx: &mut Tx,
    now: Timestamp,
    actor: &str,
    t: NewTicket<'_>,
    text: &Intake,
    first: NewMessage<'_>,
) -> Result<String, StoreError> {
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO tickets (id, account_id, author_user_id, from_email, subject, status, under_13, created_at, updated_at, last_activity_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', 0, $6, $6, $6)"
        )
        .bind(&id)
        .bind(t.account_id)
        .bind(t.author_user_id)
        .bind(t.from_email)
        .bind(&text.subject)
        .bind(now.as_micros())
    )?;
    record(tx, now, actor, "ticket.opened", &id, None).await?;
    add_message(tx, now, actor, &id, first).await?;
    Ok(id)
}

/// Moves a ticket to a status and audits the move.
pub(crate) async fn move_status(
    tx: &mut Tx,
    now: Timestamp,
    actor: &str,
    t: &Ticket,
    to: Status,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE tickets SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(to.as_str())
            .bind(now.as_micros())
            .bind(&t.id)
    )?;
    let detail = format!("{} -> {to}", t.status);
    record(tx, now, actor, "ticket.status", &t.id, Some(&detail)).await
}

/// Records activity on a ticket; a customer writing again reopens a ticket
/// that was waiting on them or resolved.
pub(crate) async fn touch(
    tx: &mut Tx,
    now: Timestamp,
    actor: &str,
    t: &Ticket,
    by: AuthorKind,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE tickets SET updated_at = $1, last_activity_at = $1 WHERE id = $2")
            .bind(now.as_micros())
            .bind(&t.id)
    )?;
    let reopen = matches!(t.status, Status::WaitingOnCustomer | Status::Resolved);
    match by {
        AuthorKind::Customer | AuthorKind::Email if reopen => {
            move_status(tx, now, actor, t, Status::Open).await
        }
        AuthorKind::Staff if t.status == Status::Open => {
            move_status(tx, now, actor, t, Status::WaitingOnCustomer).await
        }
        _ => Ok(()),
    }
}

/// The open ticket an e-mail answers: by the reference in its subject, else
/// by its In-Reply-To. A sender may only add to a ticket they could read
/// (the same address, or a user of the ticket's account), so a guessed
/// reference cannot slip text into someone else's thread.
pub(crate) async fn thread_of(
    tx: &mut Tx,
    mail: &Mail,
    sender: Option<&User>,
) -> Result<Option<Ticket>, StoreError> {
    let mut found = match reference_in(&mail.subject) {
        Some(r) => by_reference(tx, &r.to_ascii_lowercase()).await?,
        None => None,
    };
    if found.is_none()
        && let Some(reply_to) = &mail.in_reply_to
    {
        let owner: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
            "SELECT ticket_id FROM ticket_messages WHERE message_id = $1"
        )
        .bind(reply_to)
        .fetch_optional(&mut **c)
        .await)?;
        if let Some((ticket_id,)) = owner {
            found = by_id(tx, &ticket_id).await?;
        }
    }
    Ok(found.filter(|t| {
        let same_account =
            t.account_id.is_some() && sender.is_some_and(|u| u.account_id == t.account_id);
        t.status != Status::Closed && (t.from_email == mail.from || same_account)
    }))
}

pub(crate) async fn mark_ticket_under_13(
    tx: &mut Tx,
    id: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE tickets SET under_13 = 1, updated_at = $1 WHERE id = $2")
            .bind(now.as_micros())
            .bind(id)
    )?;
    Ok(())
}

pub(crate) async fn assign_ticket(
    tx: &mut Tx,
    id: &str,
    assignee: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE tickets SET assigned_to = $1, updated_at = $2 WHERE id = $3")
            .bind(assignee)
            .bind(now.as_micros())
            .bind(id)
    )?;
    Ok(())
}

/// Whether a message with this `Message-ID` was already received.
pub(crate) async fn message_seen(
    tx: &mut Tx,
    message_id: &str,
) -> Result<Option<(String,)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM ticket_messages WHERE message_id = $1"
    )
    .bind(message_id)
    .fetch_optional(&mut **c)
    .await)?)
}
