//! Support tickets: opened from the portal or by e-mail, answered by vendor
//! staff, moved through open → waiting on customer → resolved → closed.
//!
//! Clinic staff will paste patient information by mistake, and the vendor
//! must never keep it. Every subject and message therefore passes through
//! [`intake`] (the PHI guard's redaction) before it is stored; the original
//! text is never written anywhere, not even to the audit trail, which gets
//! only a count by kind.

use kerato_core::ValidationErrors;
use kerato_core::phi_guard::{self, Finding};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::Site;
use crate::accounts::{self, Permission, User};
use crate::audit::{self, Event};
use crate::inbound::Mail;
use crate::outbox::{self, Outgoing};
use crate::web::{self, SiteError};

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 150;
/// The longest message, in characters.
pub const MAX_MESSAGE: usize = 10_000;

/// The audit actor for messages that arrive by e-mail.
const MAIL_ACTOR: &str = "system:mail-import";

kerato_core::string_enum!(
    /// Where a ticket stands.
    Status {
        Open = "open", "Open";
        WaitingOnCustomer = "waiting_on_customer", "Waiting on customer";
        Resolved = "resolved", "Resolved";
        Closed = "closed", "Closed";
    }
);

impl Status {
    /// The statuses staff may move a ticket to from this one. Closed is
    /// final: a customer who writes again opens a new ticket.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Open => &[Status::WaitingOnCustomer, Status::Resolved, Status::Closed],
            Status::WaitingOnCustomer => &[Status::Open, Status::Resolved, Status::Closed],
            Status::Resolved => &[Status::Open, Status::Closed],
            Status::Closed => &[],
        }
    }
}

kerato_core::string_enum!(
    /// Who wrote a message.
    AuthorKind {
        Customer = "customer", "Customer";
        Staff = "staff", "Support";
        Email = "email", "E-mail";
    }
);

/// A ticket, with the names the pages show next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: String,
    pub account_id: Option<String>,
    pub author_user_id: Option<String>,
    pub from_email: String,
    pub subject: String,
    pub status: Status,
    pub assigned_to: Option<String>,
    pub under_13: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_activity_at: Timestamp,
    /// The account's practice name, when the ticket has an account.
    pub practice_name: Option<String>,
    /// The assignee's name.
    pub assignee_name: Option<String>,
}

/// How many characters of the ID make the short reference.
const REFERENCE_LEN: usize = 8;

impl Ticket {
    /// The short reference people quote (`#1a2b3c4d`): the end of the
    /// UUIDv7, which is random, where the start is a timestamp shared by
    /// every ticket opened in the same minute.
    pub fn reference(&self) -> &str {
        &self.id[self.id.len().saturating_sub(REFERENCE_LEN)..]
    }

    /// The tag in e-mail subjects that threads a reply to this ticket.
    pub fn tag(&self) -> String {
        format!("[ticket #{}]", self.reference())
    }

    /// True for e-mail from an address that matches no customer user.
    pub fn sender_unknown(&self) -> bool {
        self.account_id.is_none()
    }
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub author_kind: AuthorKind,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub body: String,
    /// What the PHI guard removed, as counts by kind.
    pub redaction_note: Option<String>,
    pub created_at: Timestamp,
}

impl Message {
    pub fn by_staff(&self) -> bool {
        self.author_kind == AuthorKind::Staff
    }

    /// Who wrote it, as the thread shows it.
    pub fn author(&self) -> String {
        let name = self.author_name.as_deref();
        match self.author_kind {
            AuthorKind::Staff => format!("Support ({})", name.unwrap_or("staff")),
            AuthorKind::Customer => name.unwrap_or("Customer").to_string(),
            AuthorKind::Email => format!("{} (by e-mail)", name.unwrap_or("Sender")),
        }
    }
}

/// Text ready to store: redacted, with a count of what was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    pub subject: String,
    pub body: String,
    /// `phi_guard::summary` of everything removed, or `None` if nothing was.
    pub note: Option<String>,
}

/// Runs the PHI guard over a subject and a message: the one place, for the
/// web and for e-mail, where text becomes storable.
/// Browsers send a textarea's line breaks as CRLF; they are stored as `\n`
/// like e-mail bodies, so threads and outgoing mail read the same.
pub fn intake(subject: &str, body: &str) -> Intake {
    let subject = phi_guard::redact(subject);
    let body = phi_guard::redact(&body.replace("\r\n", "\n"));
    let found: Vec<Finding> = subject
        .findings
        .iter()
        .chain(&body.findings)
        .copied()
        .collect();
    Intake {
        subject: subject.text,
        body: body.text,
        note: (!found.is_empty()).then(|| phi_guard::summary(&found)),
    }
}

type TicketRow = (
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

const TICKET_SELECT: &str = "SELECT t.id, t.account_id, t.author_user_id, t.from_email, t.subject, t.status, \
     t.assigned_to, t.under_13, t.created_at, t.updated_at, t.last_activity_at, a.practice_name, s.name \
     FROM tickets t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN site_users s ON s.id = t.assigned_to";

fn ticket(r: TicketRow) -> Result<Ticket, StoreError> {
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
async fn by_reference(tx: &mut Tx, reference: &str) -> Result<Option<Ticket>, StoreError> {
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

type MessageRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
);

fn message(r: MessageRow) -> Result<Message, StoreError> {
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
    Ok(accounts::staff_users(tx)
        .await?
        .into_iter()
        .filter(|u| u.status == "active" && u.role.permits(Permission::HandleTickets))
        .collect())
}

async fn record(
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
struct NewMessage<'a> {
    kind: AuthorKind,
    author_id: Option<&'a str>,
    body: &'a str,
    note: Option<&'a str>,
    message_id: Option<&'a str>,
}

/// Adds a message and audits it (and its redaction, if any); returns its ID.
async fn add_message(
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
struct NewTicket<'a> {
    account_id: Option<&'a str>,
    author_user_id: Option<&'a str>,
    from_email: &'a str,
}

/// Inserts a ticket and its first message, audited; returns the ticket's ID.
async fn insert(
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
async fn move_status(
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
async fn touch(
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

/// Checks a subject and a message from the portal; every problem at once.
fn validate(subject: Option<&str>, message: &str) -> Result<(String, String), ValidationErrors> {
    let mut e = ValidationErrors::new();
    let subject = subject
        .map(|s| web::text(&mut e, "subject", "a subject", s, true, MAX_SUBJECT))
        .unwrap_or_default();
    let message = web::text(
        &mut e,
        "message",
        "your message",
        message,
        true,
        MAX_MESSAGE,
    );
    e.into_result((subject, message))
}

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

async fn for_staff(tx: &mut Tx, id: &str) -> Result<Ticket, SiteError> {
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
    execute!(
        &mut tx,
        sqlx::query("UPDATE tickets SET assigned_to = $1, updated_at = $2 WHERE id = $3")
            .bind(assignee)
            .bind(now.as_micros())
            .bind(&t.id)
    )?;
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
    execute!(
        &mut tx,
        sqlx::query("UPDATE tickets SET under_13 = 1, updated_at = $1 WHERE id = $2")
            .bind(now.as_micros())
            .bind(&t.id)
    )?;
    record(&mut tx, now, actor, "ticket.under_13", &t.id, None).await?;
    tx.commit().await?;
    Ok(())
}

/// What became of one e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Its Message-ID was imported before; nothing was stored.
    Duplicate,
    /// It opened a ticket; `redacted` when the PHI guard removed something.
    Opened { redacted: bool },
    /// It was added to an existing ticket.
    Threaded { redacted: bool },
}

/// Cuts text to `max` characters.
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Control characters other than line breaks and tabs are dropped: the web
/// form refuses them, but an e-mail cannot be sent back to fix.
fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// The `[ticket #1a2b3c4d]` reference in a subject, if any.
fn reference_in(subject: &str) -> Option<&str> {
    let start = subject.find("[ticket #")? + "[ticket #".len();
    let rest = &subject[start..];
    let end = rest.find(']')?;
    let reference = &rest[..end];
    (reference.len() == REFERENCE_LEN && reference.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(reference)
}

/// The open ticket an e-mail answers: by the reference in its subject, else
/// by its In-Reply-To. A sender may only add to a ticket they could read
/// (the same address, or a user of the ticket's account), so a guessed
/// reference cannot slip text into someone else's thread.
async fn thread_of(
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

/// Stores one e-mail in one transaction: a reply to its ticket, or a new
/// ticket (on the sender's account when the address is a customer user's,
/// else with no account, for staff to sort out).
pub async fn receive_email(site: &Site, mail: &Mail) -> Result<Received, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    if let Some(id) = &mail.message_id {
        let seen: Option<(String,)> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT id FROM ticket_messages WHERE message_id = $1"
        )
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
        if seen.is_some() {
            return Ok(Received::Duplicate);
        }
    }
    let sender = accounts::user_by_email(&mut tx, &mail.from)
        .await?
        .filter(|u| u.account_id.is_some() && !u.role.is_vendor());
    let body = printable(mail.body.trim());
    let body = if body.is_empty() {
        "(the e-mail had no text)".to_string()
    } else {
        body
    };
    let received = match thread_of(&mut tx, mail, sender.as_ref()).await? {
        Some(t) => {
            let text = intake("", &body);
            add_message(
                &mut tx,
                now,
                MAIL_ACTOR,
                &t.id,
                NewMessage {
                    kind: AuthorKind::Email,
                    author_id: sender.as_ref().map(|u| u.id.as_str()),
                    body: &clip(&text.body, MAX_MESSAGE),
                    note: text.note.as_deref(),
                    message_id: mail.message_id.as_deref(),
                },
            )
            .await?;
            touch(&mut tx, now, MAIL_ACTOR, &t, AuthorKind::Email).await?;
            Received::Threaded {
                redacted: text.note.is_some(),
            }
        }
        None => {
            let subject = printable(mail.subject.trim());
            let subject = if subject.is_empty() {
                "(no subject)".to_string()
            } else {
                subject
            };
            // Redacted first and cut after, so a cut never splits a value
            // the guard would have recognised whole.
            let mut text = intake(&subject, &body);
            text.subject = clip(&text.subject, MAX_SUBJECT);
            text.body = clip(&text.body, MAX_MESSAGE);
            insert(
                &mut tx,
                now,
                MAIL_ACTOR,
                NewTicket {
                    account_id: sender.as_ref().and_then(|u| u.account_id.as_deref()),
                    author_user_id: sender.as_ref().map(|u| u.id.as_str()),
                    from_email: &mail.from,
                },
                &text,
                NewMessage {
                    kind: AuthorKind::Email,
                    author_id: sender.as_ref().map(|u| u.id.as_str()),
                    body: &text.body,
                    note: text.note.as_deref(),
                    message_id: mail.message_id.as_deref(),
                },
            )
            .await?;
            Received::Opened {
                redacted: text.note.is_some(),
            }
        }
    };
    tx.commit().await?;
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intake_redacts_subject_and_body_and_counts_both() {
        let i = intake("SSN 123-45-6789", "DOB 03/04/1961,\r\nMRN 00123456");
        assert!(i.body.contains(",\n") && !i.body.contains('\r'));
        assert!(
            !i.subject.contains("6789") && i.subject.contains("[redacted: Social Security number]")
        );
        assert!(!i.body.contains("1961") && !i.body.contains("00123456"));
        assert_eq!(
            i.note.as_deref(),
            Some("1 Social Security number, 1 medical record number, 1 date of birth")
        );
        assert_eq!(intake("Printer", "It jams.").note, None);
    }

    #[test]
    fn a_reference_is_eight_hex_digits_in_the_tag() {
        assert_eq!(
            reference_in("Re: [ticket #0a1B2c3D] Printer"),
            Some("0a1B2c3D")
        );
        assert_eq!(reference_in("[ticket #123]"), None);
        assert_eq!(reference_in("[ticket #zzzzzzzz]"), None);
        assert_eq!(reference_in("ticket 0a1b2c3d"), None);
    }

    #[test]
    fn closed_is_final_and_every_open_status_can_close() {
        assert!(Status::Closed.next().is_empty());
        for s in Status::ALL {
            if *s != Status::Closed {
                assert!(s.next().contains(&Status::Closed));
                assert!(!s.next().contains(s));
            }
        }
    }
}
