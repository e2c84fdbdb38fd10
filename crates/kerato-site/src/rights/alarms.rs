//! Alarms on the privacy center's clock: a request whose answer is due
//! within a week (due soon) or late (overdue) alarms the vendor staff who
//! handle privacy requests, by e-mail once per request, alarm and
//! deadline, and on their staff home for as long as it stands. Which
//! alarms are due, and their stable keys, are the shared engine's
//! (`kerato_core::rights_request::alarms`), as on the clinic; the site's
//! timer runs [`send_alarms`] every minute.
//!
//! An alarm's audit event is the record that it went: its subject is the
//! alarm's key, so a run sends only the alarms no event names yet. Each
//! request's row is written first in the same transaction, which on
//! PostgreSQL makes a second site process running the job at the same
//! moment wait for the first and then see its events (SQLite admits one
//! writer at a time anyway).

use kerato_core::rights_request::{self, Alarm, AlarmKind, RequestTimeline};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute};

use super::{Listed, calendar, date, list_requests};
use crate::Site;
use crate::accounts::{self, Permission};
use crate::audit::{self, Event};
use crate::outbox::{self, Outgoing};
use crate::web::SiteError;

/// The audit action that records a sent alarm.
const SENT: &str = "rights_request.alarm";

/// What an alarm says, in a subject line or on the staff home: never the
/// requester's name or address, which the privacy page shows to those
/// allowed to see it.
fn headline(alarm: &Alarm) -> String {
    let when = date(alarm.deadline);
    match alarm.kind {
        AlarmKind::DueSoon => format!("Privacy request due soon: answer by {when}"),
        AlarmKind::Overdue => format!("Privacy request overdue: it was due by {when}"),
        AlarmKind::ConfirmationOverdue => {
            format!("Privacy request not confirmed: confirmation was due by {when}")
        }
        AlarmKind::ExtensionNoticeMissing => {
            format!("Privacy request extended without notice: tell the requester by {when}")
        }
    }
}

/// A request with a standing alarm, as the staff home lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub request_id: String,
    pub headline: String,
    /// The kind of request, as staff read it.
    pub kind: &'static str,
    pub received: String,
}

fn standing(listed: &Listed, now: Timestamp) -> Vec<Alarm> {
    rights_request::alarms(&listed.request.timeline, now, &calendar())
}

/// The open requests with a standing alarm at `now`, the most urgent
/// first.
pub async fn needing_attention(tx: &mut Tx, now: Timestamp) -> Result<Vec<Attention>, StoreError> {
    let mut out = Vec::new();
    for listed in list_requests(tx, now).await? {
        for alarm in standing(&listed, now) {
            out.push(attention(&listed.request.timeline, &alarm));
        }
    }
    Ok(out)
}

fn attention(t: &RequestTimeline, alarm: &Alarm) -> Attention {
    Attention {
        request_id: t.id.to_string(),
        headline: headline(alarm),
        kind: t.request_type.label(),
        received: date(t.received_at),
    }
}

/// Sends each standing alarm that has not gone yet to every active vendor
/// staff member whose role handles privacy requests, by e-mail through the
/// outbox, and audits it; returns how many alarms went. One transaction.
pub async fn send_alarms(site: &Site) -> Result<usize, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let handlers: Vec<String> = accounts::staff_users(&mut tx)
        .await?
        .into_iter()
        .filter(|u| u.status == "active" && u.role.permits(Permission::PrivacyRequests))
        .map(|u| u.email)
        .collect();
    let mut sent = 0;
    for listed in list_requests(&mut tx, now).await? {
        let alarms = standing(&listed, now);
        if alarms.is_empty() {
            continue;
        }
        execute!(
            &mut tx,
            sqlx::query("UPDATE site_rights_requests SET timeline = timeline WHERE id = $1")
                .bind(&listed.request.id)
        )?;
        for alarm in alarms {
            let key = alarm.key();
            let past = audit::about(&mut tx, &key).await?;
            if past.iter().any(|e| e.action == SENT) {
                continue;
            }
            let t = &listed.request.timeline;
            let seen = attention(t, &alarm);
            let body = format!(
                "{headline}.\n\nThe request ({kind}, received {received}) is {state}. \
                 Open {url}/staff/privacy to work it.\n\nRequest {id}\n\n{vendor}\n",
                headline = seen.headline,
                kind = seen.kind.to_lowercase(),
                received = seen.received,
                state = super::state_label(listed.state).to_lowercase(),
                url = site.config.public_url.trim_end_matches('/'),
                id = seen.request_id,
                vendor = site.config.vendor_name,
            );
            for email in &handlers {
                outbox::queue(
                    &mut tx,
                    now,
                    rand::random(),
                    Outgoing {
                        kind: "rights_alarm",
                        recipient: email,
                        subject: &seen.headline,
                        body: &body,
                        headers: &[],
                    },
                )
                .await?;
            }
            audit::record(
                &mut tx,
                now,
                Event {
                    actor: Some("system:privacy_center"),
                    action: SENT,
                    subject: Some(&key),
                    detail: Some(&format!(
                        "{}, {} staff e-mailed",
                        alarm.kind.as_str(),
                        handlers.len()
                    )),
                },
            )
            .await?;
            sent += 1;
        }
    }
    tx.commit().await?;
    Ok(sent)
}
