//! Use cases: subscribing to the newsletter and unsubscribing.

use kerato_core::consent::{Purpose, Source};
use kerato_core::policy::{self, PolicyKind};

use crate::Site;
use crate::accounts::rules::token_hash;
use crate::audit::{self, Event};
use crate::consents::rules::Subject;
use crate::marketing::rules::*;
use crate::marketing::store::*;
use crate::web::SiteError;

/// Adds or updates a contact and records their agreement to marketing
/// e-mail (unless it is already in force), audited, in one transaction.
/// `source` is how the agreement was given (the newsletter form, or told
/// to staff). Returns the contact's ID.
pub async fn subscribe(
    site: &Site,
    actor: &str,
    s: &Signup,
    source: Source,
) -> Result<String, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let new_id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let id = upsert_contact(&mut tx, &new_id, s, source, now).await?;
    let who = Subject::contact(&s.email);
    let granted = crate::consents::store::is_granted(&mut tx, who, Purpose::MarketingEmail).await?;
    if !granted {
        let documents = crate::policies::store::all(&mut tx).await?;
        let versions: Vec<_> = documents.into_iter().map(|d| d.version).collect();
        let statement = policy::in_force(&versions, PolicyKind::PrivacyStatement, now)
            .map(|v| v.version.to_string());
        crate::consents::store::record(
            &mut tx,
            who,
            Purpose::MarketingEmail,
            true,
            source,
            statement.as_deref(),
            now,
        )
        .await?;
    }
    let subject = format!("marketing_contact:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "marketing_contact.subscribed",
            subject: Some(&subject),
            detail: Some(if granted {
                "details updated; consent already given"
            } else {
                "consent to marketing e-mail recorded"
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The link that unsubscribes from one message, with its token.
pub(crate) fn unsubscribe_url(site: &Site, token: &str) -> String {
    format!(
        "{}/unsubscribe/{token}",
        site.config.public_url.trim_end_matches('/')
    )
}

/// Withdraws the agreement of the contact a token was sent to, if it is in
/// force, audited. Returns false for an unknown token. Doing it twice
/// changes nothing the second time.
pub async fn unsubscribe(site: &Site, token: &str) -> Result<bool, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let found = send_of_token(&mut tx, &token_hash(token)).await?;
    let Some((campaign_id, email, contact_id)) = found else {
        return Ok(false);
    };
    let who = Subject::contact(&email);
    if crate::consents::store::is_granted(&mut tx, who, Purpose::MarketingEmail).await? {
        crate::consents::store::record(
            &mut tx,
            who,
            Purpose::MarketingEmail,
            false,
            Source::Link,
            None,
            now,
        )
        .await?;
        // The contact's record when it still exists; otherwise the campaign
        // the link came from, so the trail never names the address.
        let audit_subject = match contact_id {
            Some(id) => format!("marketing_contact:{id}"),
            None => format!("campaign:{campaign_id}"),
        };
        let detail = format!("unsubscribed from campaign {campaign_id}");
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("visitor"),
                action: "marketing_contact.unsubscribed",
                subject: Some(&audit_subject),
                detail: Some(&detail),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Whether an unsubscribe link came from one of our campaigns, so its page
/// can offer the confirmation or say the link is unknown.
pub(crate) async fn unsubscribe_link_known(site: &Site, token: &str) -> Result<bool, SiteError> {
    let mut tx = site.store.read().await?;
    Ok(
        crate::marketing::store::campaign_of_token(&mut tx, &token_hash(token))
            .await?
            .is_some(),
    )
}
