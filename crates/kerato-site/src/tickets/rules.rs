//! Rules of support tickets: states, references, intake checks.

use kerato_core::ValidationErrors;
use kerato_core::phi_guard::{self, Finding};
use kerato_core::time::Timestamp;

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 150;

/// The longest message, in characters.
pub const MAX_MESSAGE: usize = 10_000;

/// The audit actor for messages that arrive by e-mail.
pub(crate) const MAIL_ACTOR: &str = "system:mail-import";

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
pub(crate) const REFERENCE_LEN: usize = 8;

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

/// Checks a subject and a message from the portal; every problem at once.
pub(crate) fn validate(
    subject: Option<&str>,
    message: &str,
) -> Result<(String, String), ValidationErrors> {
    let mut e = ValidationErrors::new();
    let subject = subject
        .map(|s| crate::fields::text(&mut e, "subject", "a subject", s, true, MAX_SUBJECT))
        .unwrap_or_default();
    let message = crate::fields::text(
        &mut e,
        "message",
        "your message",
        message,
        true,
        MAX_MESSAGE,
    );
    e.into_result((subject, message))
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
pub(crate) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Control characters other than line breaks and tabs are dropped: the web
/// form refuses them, but an e-mail cannot be sent back to fix.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// The `[ticket #1a2b3c4d]` reference in a subject, if any.
pub(crate) fn reference_in(subject: &str) -> Option<&str> {
    let start = subject.find("[ticket #")? + "[ticket #".len();
    let rest = &subject[start..];
    let end = rest.find(']')?;
    let reference = &rest[..end];
    (reference.len() == REFERENCE_LEN && reference.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(reference)
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
