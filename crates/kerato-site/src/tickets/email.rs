//! Use case: an e-mail received opens a ticket or joins its thread.

use crate::Site;
use crate::mail::inbound::Mail;
use crate::tickets::rules::*;
use crate::tickets::store::*;
use crate::web::SiteError;

/// Stores one e-mail in one transaction: a reply to its ticket, or a new
/// ticket (on the sender's account when the address is a customer user's,
/// else with no account, for staff to sort out).
pub async fn receive_email(site: &Site, mail: &Mail) -> Result<Received, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    if let Some(id) = &mail.message_id {
        let seen = message_seen(&mut tx, id).await?;
        if seen.is_some() {
            return Ok(Received::Duplicate);
        }
    }
    let sender = crate::accounts::store::user_by_email(&mut tx, &mail.from)
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
