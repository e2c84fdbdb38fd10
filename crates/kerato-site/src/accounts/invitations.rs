//! Use cases: an owner invites a colleague, who accepts.

use kerato_core::ValidationErrors;

use crate::Site;
use crate::accounts::passwords::*;
use crate::accounts::rules::*;
use crate::accounts::store::*;
use crate::audit::{self, Event};
use crate::mail::outbox::{self, Outgoing};
use crate::web::SiteError;

/// Invites a user to the owner's account and e-mails the link.
pub async fn invite(
    site: &Site,
    owner: &User,
    email: &str,
    name: &str,
    role: &str,
) -> Result<(), SiteError> {
    let Some(account_id) = owner.account_id.as_deref() else {
        return Err(SiteError::Forbidden(
            "only a practice can invite users".into(),
        ));
    };
    let mut e = ValidationErrors::new();
    let email = crate::fields::email(&mut e, "email", email);
    let name = crate::fields::text(&mut e, "name", "their name", name, true, 100);
    let role = match role.parse::<Role>() {
        Ok(r) if Role::INVITABLE.contains(&r) => Some(r),
        _ => {
            e.add(
                "role",
                "choose physician, practice staff or billing contact",
            );
            None
        }
    };
    let Some(role) = role.filter(|_| e.is_empty()) else {
        return Err(SiteError::Validation(e));
    };
    let now = site.now();
    let token = new_token();
    let mut tx = site.store.write().await?;
    let id = insert_user(
        &mut tx,
        now,
        NewUser {
            account_id: Some(account_id),
            email: &email,
            name: &name,
            role,
            status: "invited",
            password_hash: None,
        },
    )
    .await?;
    insert_invitation(
        &mut tx,
        &token_hash(&token),
        &id,
        now.plus_micros(INVITATION_DAYS * DAY_MICROS),
    )
    .await?;
    let body = format!(
        "Hello {name},\n\n{owner} has invited you to the Kerato customer portal as {role}.\n\
         Choose your password here (the link works for {INVITATION_DAYS} days):\n{url}/invitations/{token}\n\n{vendor}\n",
        owner = owner.name,
        role = role.label().to_lowercase(),
        url = site.config.public_url,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "invitation",
            recipient: &email,
            subject: "You are invited to the Kerato customer portal",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let subject = format!("user:{id}");
    let actor = format!("user:{}", owner.id);
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: "user.invited",
            subject: Some(&subject),
            detail: Some(role.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Accepts an invitation: sets the password and activates the user.
pub async fn accept_invitation(
    site: &Site,
    token: &str,
    password: &str,
    confirm: &str,
) -> Result<String, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let user = invitation(&mut tx, token, now).await?.ok_or_else(|| {
        SiteError::Forbidden("this invitation link has expired or was already used; ask your practice owner for a new one".into())
    })?;
    let mut e = ValidationErrors::new();
    check_password(&mut e, password, confirm, &[&user.email, &user.name]);
    if !e.is_empty() {
        return Err(SiteError::Validation(e));
    }
    let hash = hash_password(password.to_string()).await?;
    accept_invitation_row(&mut tx, &user.id, &hash, &token_hash(token), now).await?;
    let subject = format!("user:{}", user.id);
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&subject),
            action: "user.activated",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user.id)
}
