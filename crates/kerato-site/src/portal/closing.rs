//! Use case: an owner closes their practice's account.

use kerato_core::ValidationErrors;

use crate::Site;
use crate::accounts::rules::*;
use crate::accounts::store::account_by_id;
use crate::audit::{self, Event};
use crate::web::SiteError;

/// Closes the owner's account: every user is disabled and signed out, and
/// the closure date starts the account data's retention clock.
pub async fn close_account(site: &Site, owner: &User, confirm_name: &str) -> Result<(), SiteError> {
    let Some(account_id) = owner.account_id.as_deref() else {
        return Err(SiteError::Forbidden(
            "only a practice account can be closed".into(),
        ));
    };
    let now = site.now();
    let mut tx = site.store.write().await?;
    let account = account_by_id(&mut tx, account_id)
        .await?
        .ok_or(SiteError::NotFound)?;
    if confirm_name.trim() != account.practice_name {
        return Err(SiteError::Validation(ValidationErrors::single(
            "confirm",
            format!(
                "type the practice's name exactly as shown ({}) to confirm",
                account.practice_name
            ),
        )));
    }
    if account.status == "closed" {
        return Err(SiteError::Conflict("this account is already closed".into()));
    }
    crate::accounts::store::close_account_rows(&mut tx, account_id, now).await?;
    let subject = format!("account:{account_id}");
    let actor = format!("user:{}", owner.id);
    crate::billing::store::cancel(&mut tx, account_id, &actor, now).await?;
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: "account.closed",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
