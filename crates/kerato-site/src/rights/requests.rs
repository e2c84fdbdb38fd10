//! Use cases: a privacy request is received, verified and answered.

use kerato_core::consent::{Purpose, Source};
use kerato_core::ids::RightsRequestId;
use kerato_core::rights_request::{self, Regime, RequestEvent, RequestTimeline, RequestType};
use kerato_core::time::Timestamp;
use kerato_db::Tx;

use crate::Site;
use crate::audit::{self, Event};
use crate::consents::rules::Subject;
use crate::mail::outbox::{self, Outgoing};
use crate::rights::rules::*;
use crate::rights::store::{person_data, *};
use crate::web::SiteError;

/// Applies `event` through the engine and audits it, in the caller's
/// transaction.
pub(crate) async fn apply(
    tx: &mut Tx,
    actor: &str,
    timeline: &RequestTimeline,
    event: RequestEvent,
    now: Timestamp,
) -> Result<RequestTimeline, SiteError> {
    let name = event_name(&event);
    let next =
        rights_request::advance(timeline, event, now, &calendar()).map_err(SiteError::Conflict)?;
    save(tx, &next).await?;
    let subject = format!("rights_request:{}", next.id);
    let detail = format!(
        "{name}: {} -> {}",
        state_label(timeline.state()),
        state_label(next.state())
    );
    audit::record(
        tx,
        now,
        Event {
            actor: Some(actor),
            action: "rights_request.step",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    Ok(next)
}

/// A staff step (start work, extend with a reason, fulfil, deny with a
/// reason) on request `id`, through the engine's `advance`, audited.
pub async fn step(
    site: &Site,
    actor: &str,
    id: &str,
    event: RequestEvent,
) -> Result<RequestTimeline, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let current = load(&mut tx, id).await?.ok_or(SiteError::NotFound)?;
    let next = apply(&mut tx, actor, &current.timeline, event, now).await?;
    tx.commit().await?;
    Ok(next)
}

/// A request whose requester proved their address, or a clear refusal.
pub(crate) async fn verified(
    tx: &mut Tx,
    id: &str,
    kind: RequestType,
) -> Result<RightsRequest, SiteError> {
    let request = load(tx, id).await?.ok_or(SiteError::NotFound)?;
    if request.timeline.request_type != kind {
        return Err(SiteError::Conflict(format!(
            "this is not a request for {}",
            kind.label().to_lowercase()
        )));
    }
    if request.timeline.identity_verified_at.is_none() {
        return Err(SiteError::Conflict(
            "the requester has not verified their e-mail address yet; nothing can be shown or deleted before that"
                .into(),
        ));
    }
    Ok(request)
}

/// The copy of everything held about an access request's address, for
/// staff to send to the requester; the export is audited (by counts).
pub async fn access_copy(
    site: &Site,
    actor: &str,
    id: &str,
) -> Result<Vec<person_data::Section>, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = verified(&mut tx, id, RequestType::Access).await?;
    let copy = person_data::export(&mut tx, &request.email).await?;
    let subject = format!("rights_request:{id}");
    let rows: usize = copy.iter().map(|s| s.rows.len()).sum();
    let detail = format!("{rows} records in {} tables", copy.len());
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "rights_request.exported",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(copy)
}

/// Fulfils a verified access request: e-mails the requester a one-time
/// link to the copy of their data, valid [`DOWNLOAD_DAYS`] days, and
/// records the fulfilment, in one transaction. Returns the link's token
/// (for the tests; the requester gets it by e-mail).
pub async fn send_access_copy(site: &Site, actor: &str, id: &str) -> Result<String, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = verified(&mut tx, id, RequestType::Access).await?;
    let (token, hash) = token_pair();
    let expires = now.plus_micros(DOWNLOAD_DAYS * 86_400_000_000);
    insert_token(&mut tx, &hash, id, "download", Some(expires)).await?;
    let body = format!(
        "Dear {name},\n\nThe copy of the personal information we hold about {email} is ready. \
         This link works once, for {DOWNLOAD_DAYS} days:\n{url}/privacy-center/download/{token}\n\n{vendor}\n",
        name = request.name,
        email = request.email,
        url = site.config.public_url.trim_end_matches('/'),
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_download",
            recipient: &request.email,
            subject: "The copy of your personal information",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let summary = format!(
        "A copy of your personal information was sent to you by a one-time link, valid {DOWNLOAD_DAYS} days."
    );
    apply(
        &mut tx,
        actor,
        &request.timeline,
        RequestEvent::Fulfil { summary },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Fulfils a verified deletion request: deletes what no rule keeps about
/// the address, records what was deleted and what is kept, why and until
/// when, as the request's outcome, and e-mails the requester that account.
/// One transaction.
pub async fn fulfil_deletion(
    site: &Site,
    actor: &str,
    id: &str,
) -> Result<person_data::Erasure, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = verified(&mut tx, id, RequestType::Deletion).await?;
    let erasure = person_data::erase(&mut tx, &request.email, now).await?;
    let summary = erasure.summary();
    // Queued after the erasure, which took the address's earlier mail
    // with it.
    let body = format!(
        "Dear {name},\n\nYour request to delete your personal information is done.\n\n{account}\n\n\
         Questions? Write to {contact}.\n\n{vendor}\n",
        name = request.name,
        account = erasure.account(),
        contact = site.config.contact_email,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_outcome",
            recipient: &request.email,
            subject: "Your deletion request is done",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    apply(
        &mut tx,
        actor,
        &request.timeline,
        RequestEvent::Fulfil { summary },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(erasure)
}

/// Stores a checked request with its verification link, queues the
/// e-mail and audits it, in one transaction. Returns the request's ID and
/// what was redacted from the details, if anything.
pub async fn receive(site: &Site, r: ValidRights) -> Result<(String, Option<String>), SiteError> {
    let now = site.now();
    let id = RightsRequestId::new(now, rand::random());
    let timeline = RequestTimeline::new(id, r.kind, Regime::Statement, now);
    let (details, redacted) = redact(r.details);
    let id = id.to_string();
    let json = serde_json::to_string(&timeline).map_err(|e| SiteError::Internal(e.to_string()))?;
    let mut tx = site.store.write().await?;
    insert_request(
        &mut tx,
        &id,
        r.kind,
        (&r.name, &r.email),
        details.as_deref(),
        now,
        &json,
    )
    .await?;
    let (token, hash) = token_pair();
    let expires = now.plus_micros(VERIFY_HOURS * HOUR_MICROS);
    insert_token(&mut tx, &hash, &id, "verify", Some(expires)).await?;
    let body = format!(
        "Dear {name},\n\nWe received your privacy request ({kind}). To confirm that this \
         e-mail address is yours, open this link within {VERIFY_HOURS} hours:\n\n\
         {url}/privacy-center/verify/{token}\n\n\
         If you did not make this request, ignore this message and nothing will happen.\n\n{vendor}\n",
        name = r.name,
        kind = request_label(r.kind).to_lowercase(),
        url = site.config.public_url,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_verify",
            recipient: &r.email,
            subject: "Confirm your privacy request",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let subject = format!("rights_request:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "rights_request.received",
            subject: Some(&subject),
            detail: Some(r.kind.as_str()),
        },
    )
    .await?;
    if let Some(summary) = &redacted {
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("system:phi_guard"),
                action: "rights_request.redacted",
                subject: Some(&subject),
                detail: Some(summary),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((id, redacted))
}

/// Verifies the requester's e-mail: marks the link used, records the step,
/// fulfils an opt-out at once (by recording the "no" in the consent
/// registry), and e-mails the status link. Returns the status token.
pub(crate) async fn verify(
    site: &Site,
    token: &str,
) -> Result<(RequestTimeline, String), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let id = usable_verify_token(&mut tx, token, now).await?;
    mark_used(&mut tx, token, now).await?;
    let r = load(&mut tx, &id).await?.ok_or(SiteError::NotFound)?;
    let mut timeline = apply(
        &mut tx,
        "visitor",
        &r.timeline,
        RequestEvent::VerifyIdentity,
        now,
    )
    .await?;
    let opt_out = match r.timeline.request_type {
        RequestType::MarketingOptOut => Some(Purpose::MarketingEmail),
        RequestType::DoNotSellShare => Some(Purpose::SaleShare),
        _ => None,
    };
    if let Some(purpose) = opt_out {
        crate::consents::store::record(
            &mut tx,
            Subject::contact(&r.email),
            purpose,
            false,
            Source::Form,
            None,
            now,
        )
        .await?;
        let summary = format!("{} recorded as no in the consent registry", purpose.label());
        timeline = apply(
            &mut tx,
            "system:privacy_center",
            &timeline,
            RequestEvent::Fulfil { summary },
            now,
        )
        .await?;
    }
    let (status_token, hash) = token_pair();
    insert_token(&mut tx, &hash, &id, "status", None).await?;
    let body = format!(
        "Dear {name},\n\nThank you: your e-mail address is verified and your privacy request \
         ({kind}) is {state}. You can follow it at any time here:\n\n\
         {url}/privacy-center/status/{status_token}\n\n{vendor}\n",
        name = r.name,
        kind = request_label(r.timeline.request_type).to_lowercase(),
        state = state_label(timeline.state()).to_lowercase(),
        url = site.config.public_url,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_status",
            recipient: &r.email,
            subject: "Your privacy request is verified",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    tx.commit().await?;
    Ok((timeline, status_token))
}
