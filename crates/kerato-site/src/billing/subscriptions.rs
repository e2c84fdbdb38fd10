//! Use cases: choosing and cancelling a subscription.

use crate::Site;
use crate::accounts::rules::User;
use crate::audit::{self, Event};
use crate::billing::rules::*;
use crate::billing::store::*;
use crate::web::SiteError;

pub(crate) fn account_of(user: &User) -> Result<&str, SiteError> {
    user.account_id
        .as_deref()
        .ok_or_else(|| SiteError::Forbidden("only a practice has a subscription".into()))
}

/// Chooses or changes the account's subscription; the next invoice uses it.
pub async fn subscribe(site: &Site, by: &User, input: &SubscriptionInput) -> Result<(), SiteError> {
    let account_id = account_of(by)?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let users = active_users(&mut tx, account_id).await?;
    let choice = input.validate(users).map_err(SiteError::Validation)?;
    let existing = subscription_of(&mut tx, account_id).await?;
    let id = existing
        .as_ref()
        .map_or_else(|| new_id(now), |s| s.id.clone());
    upsert_subscription(&mut tx, &id, account_id, &choice, now).await?;
    let subject = format!("subscription:{id}");
    let actor = format!("user:{}", by.id);
    let detail = format!(
        "plan={} locations={} seats={}",
        choice.plan, choice.locations, choice.seats
    );
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: if existing.is_some() {
                "subscription.changed"
            } else {
                "subscription.started"
            },
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
