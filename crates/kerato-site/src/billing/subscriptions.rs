//! Use cases: choosing and cancelling a subscription.

use crate::Site;
use crate::accounts::rules::User;
use crate::audit;
use crate::audit::Event;
use crate::billing::rules::*;
use crate::billing::store::*;
use crate::web::SiteError;
use kerato_core::time::Timestamp;
use kerato_db::StoreError;
use kerato_db::Tx;
use kerato_db::execute;

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
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO subscriptions (id, account_id, plan, locations, seats, status, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) \
             ON CONFLICT (account_id) DO UPDATE SET plan = $3, locations = $4, seats = $5, \
             status = 'active', updated_at = $6, cancelled_at = NULL"
        )
        .bind(&id)
        .bind(account_id)
        .bind(choice.plan.as_str())
        .bind(choice.locations)
        .bind(choice.seats)
        .bind(now.as_micros())
    )?;
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

/// Cancels the account's subscription in the caller's transaction (account
/// closure); no invoice is issued for it afterwards.
pub async fn cancel(
    tx: &mut Tx,
    account_id: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let Some(sub) = subscription_of(tx, account_id)
        .await?
        .filter(|s| s.status == "active")
    else {
        return Ok(());
    };
    execute!(
        tx,
        sqlx::query(
            "UPDATE subscriptions SET status = 'cancelled', cancelled_at = $1, updated_at = $1 WHERE id = $2"
        )
        .bind(now.as_micros())
        .bind(&sub.id)
    )?;
    let subject = format!("subscription:{}", sub.id);
    audit::record(
        tx,
        now,
        Event {
            actor: Some(actor),
            action: "subscription.cancelled",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    Ok(())
}
