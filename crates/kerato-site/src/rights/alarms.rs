//! Use case: staff are told of privacy requests nearing or past their deadlines.

use crate::Site;
use crate::accounts::rules::Permission;
use crate::audit::{self, Event};
use crate::mail::outbox::{self, Outgoing};
use crate::rights::rules::*;
use crate::rights::store::*;
use crate::web::SiteError;

/// Sends each standing alarm that has not gone yet to every active vendor
/// staff member whose role handles privacy requests, by e-mail through the
/// outbox, and audits it; returns how many alarms went. One transaction.
pub async fn send_alarms(site: &Site) -> Result<usize, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let handlers: Vec<String> = crate::accounts::store::staff_users(&mut tx)
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
        lock_request(&mut tx, &listed.request.id).await?;
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
                state = crate::rights::rules::state_label(listed.state).to_lowercase(),
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
