//! Use cases: a visitor asks for a demo; staff move it along the pipeline.

use kerato_core::phi_guard;

use crate::Site;
use crate::audit::{self, Event};
use crate::demo_requests::rules::*;
use crate::demo_requests::store::*;
use crate::mail::outbox::{self, Outgoing};
use crate::web::SiteError;

/// Stores a checked request, queues its acknowledgement and audits it, in
/// one transaction.
pub async fn receive(site: &Site, d: &ValidDemo) -> Result<String, SiteError> {
    let now = site.now();
    // The message is free text: patient data pasted by mistake is taken
    // out before it is stored, and the removal audited by counts only.
    let message = d.message.as_deref().map(phi_guard::redact);
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let mut tx = site.store.write().await?;
    insert_request(
        &mut tx,
        &id,
        d,
        message.as_ref().map(|m| m.text.as_str()),
        now,
    )
    .await?;
    let body = format!(
        "Dear {name},\n\nThank you for asking to see Kerato for {practice}. \
         Someone from our team will contact you within two business days to find a time.\n\n\
         If you did not ask for a demo, you can ignore this message; we will not write again.\n\n\
         {vendor}\n{email} · {phone}\n",
        name = d.name,
        practice = d.practice_name,
        vendor = site.config.vendor_name,
        email = site.config.contact_email,
        phone = site.config.contact_phone,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "demo_ack",
            recipient: &d.email,
            subject: "Your Kerato demo request",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let subject = format!("demo_request:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "demo_request.received",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    if let Some(m) = message.filter(|m| !m.findings.is_empty()) {
        let summary = phi_guard::summary(&m.findings);
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("system:phi_guard"),
                action: "demo_request.redacted",
                subject: Some(&subject),
                detail: Some(&summary),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Moves a request to the next stage, if that move is allowed.
pub async fn move_to(site: &Site, actor: &str, id: &str, to: Stage) -> Result<(), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let current = stage_of(&mut tx, id).await?;
    let current: Stage = current
        .ok_or(SiteError::NotFound)?
        .0
        .parse()
        .map_err(|e: String| SiteError::Internal(e))?;
    if !current.next().contains(&to) {
        return Err(SiteError::Conflict(format!(
            "a request that is {} cannot move to {}; reload the pipeline",
            current.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    set_stage(&mut tx, id, to, now).await?;
    let subject = format!("demo_request:{id}");
    let detail = format!("{current} -> {to}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "demo_request.stage",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
