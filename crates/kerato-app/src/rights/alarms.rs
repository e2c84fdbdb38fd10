//! The rights requests' alarms: each due-soon, overdue and missing-notice
//! alarm goes once to every active privacy officer's inbox.

use kerato_domain::audit::{AuditAction, Outcome as AuditOutcome};
use kerato_domain::identity::{Resource, Role};
use kerato_domain::ids::MessageId;
use kerato_domain::rights::alarms;
use kerato_store::{identity as users, rights as store, tenancy};

use crate::{App, AppError};

impl App {
    /// Sends each due-soon, overdue and missing-notice alarm once to every
    /// active privacy officer's inbox; returns how many went out. The
    /// practice's scheduled task, with no caller; each alarm is audited.
    pub async fn send_rights_alarms(&self) -> Result<usize, AppError> {
        let mut tx = self.store.write().await?;
        let now = self.now();
        let mut sent = 0;
        for org in tenancy::list_organisations(&mut tx).await? {
            let officers: Vec<_> = users::list_users(&mut tx, org.id)
                .await?
                .into_iter()
                .filter(|u| u.active && u.role == Role::PrivacyOfficer)
                .collect();
            let calendar = self.practice_calendar(&mut tx, org.id).await?;
            for request in store::requests_of(&mut tx, org.id).await? {
                for alarm in alarms(&request.timeline, now, &calendar) {
                    if !store::record_alarm(
                        &mut tx,
                        &alarm.key(),
                        request.id,
                        alarm.kind.as_str(),
                        now,
                    )
                    .await?
                    {
                        continue;
                    }
                    // No requester name: the dashboard shows who it is.
                    let subject = format!(
                        "Privacy request {}: {}",
                        alarm.kind.as_str().replace('_', " "),
                        request.request_type().as_str().replace('_', " ")
                    );
                    let body = format!(
                        "Request {} is {} (deadline {}). Open Privacy requests to act on it.",
                        request.id,
                        alarm.kind.as_str().replace('_', " "),
                        alarm.deadline.to_jiff().strftime("%Y-%m-%d")
                    );
                    for officer in &officers {
                        users::insert_inbox_message(
                            &mut tx,
                            &MessageId::new(now, self.random_id_bits()).to_string(),
                            officer.id,
                            &subject,
                            &body,
                            now,
                        )
                        .await?;
                    }
                    let mut event = self.audit_event(
                        None,
                        AuditAction::Create,
                        Resource::PrivacyRequest,
                        AuditOutcome::Allowed,
                    );
                    event.organisation_id = Some(org.id.to_string());
                    event.resource_id = Some(request.id.to_string());
                    event.category = "privacy request alarm".into();
                    event.detail = Some(alarm.kind.as_str().into());
                    kerato_store::audit::append(&mut tx, event).await?;
                    sent += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(sent)
    }
}
