//! The job that sends each overdue biopsy alert once: first to the
//! responsible clinician's inbox, then, if it stands, to the medical
//! director's (the organisation's administrators).

use kerato_domain::biopsies::{Recipient, due_alerts};
use kerato_domain::identity::{Resource, Role};
use kerato_domain::ids::BiopsyId;
use kerato_store::{biopsies as store, identity as users, tenancy};

use super::alert_text;
use crate::{App, AppError};

impl App {
    /// Sends every alert that has come due and was not sent before, to the
    /// responsible clinician's inbox or, on escalation, to each of the
    /// organisation's administrators; returns how many were sent. The
    /// practice's scheduled task: it runs without a caller, and each alert
    /// is audited.
    pub async fn send_biopsy_alerts(&self) -> Result<usize, AppError> {
        let mut tx = self.store.write().await?;
        let now = self.now();
        let mut sent = 0;
        for org in tenancy::list_organisations(&mut tx).await? {
            let staff = users::list_users(&mut tx, org.id).await?;
            for row in store::open_biopsies(&mut tx, org.id).await? {
                let loc = tenancy::get_location(&mut tx, org.id, row.location_id)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                let calendar = self.calendar(&mut tx, &loc).await?;
                for alert in due_alerts(&row.timeline, now, &calendar) {
                    let recipient = alert.escalate_to.as_str();
                    if !store::record_alert(&mut tx, &alert, now).await? {
                        continue;
                    }
                    let to: Vec<_> = match alert.escalate_to {
                        Recipient::ResponsibleClinician => vec![row.responsible_user_id],
                        Recipient::MedicalDirector => staff
                            .iter()
                            .filter(|u| u.active && u.role == Role::Admin)
                            .map(|u| u.id)
                            .collect(),
                    };
                    let subject = format!("Biopsy overdue: {}", alert_text(alert.kind));
                    // The message names no patient: it points to the work
                    // queue, which shows who it is to those allowed to see.
                    let body = format!(
                        "A {} biopsy ({}) needs attention: {}. Open Biopsies to act on it.",
                        row.method,
                        row.site,
                        alert_text(alert.kind)
                    );
                    for user in to {
                        users::insert_inbox_message(
                            &mut tx,
                            &BiopsyId::new(now, self.random_id_bits()).to_string(),
                            user,
                            &subject,
                            &body,
                            now,
                        )
                        .await?;
                    }
                    let mut event = self.audit_event(
                        None,
                        kerato_domain::audit::AuditAction::Create,
                        Resource::Pathology,
                        kerato_domain::audit::Outcome::Allowed,
                    );
                    event.organisation_id = Some(org.id.to_string());
                    event.patient_id = Some(row.patient_id.to_string());
                    event.resource_id = Some(row.id.to_string());
                    event.category = "biopsy alert".into();
                    event.detail = Some(format!("{} to {recipient}", alert.kind.as_str()));
                    kerato_store::audit::append(&mut tx, event).await?;
                    sent += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(sent)
    }
}
