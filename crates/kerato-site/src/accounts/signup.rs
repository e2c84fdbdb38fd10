//! Use cases: a practice signs up; the vendor adds staff.

use kerato_core::ValidationErrors;
use kerato_core::totp::TotpSecret;

use crate::Site;
use crate::accounts::passwords::*;
use crate::accounts::rules::*;
use crate::accounts::store::*;
use crate::audit::{self, Event};
use crate::demo_requests::rules::Specialty;
use crate::web::SiteError;

/// Creates the account and its owner, who is signed in; returns the
/// owner's user ID.
pub async fn sign_up(site: &Site, input: &SignupInput) -> Result<String, SiteError> {
    let mut e = ValidationErrors::new();
    let practice = crate::fields::text(
        &mut e,
        "practice_name",
        "the practice's name",
        &input.practice_name,
        true,
        150,
    );
    let specialty = input.specialty.parse::<Specialty>().map_err(|_| ()).ok();
    if specialty.is_none() {
        e.add("specialty", "choose the kind of practice");
    }
    let name = crate::fields::text(&mut e, "name", "your name", &input.name, true, 100);
    let email = crate::fields::email(&mut e, "email", &input.email);
    check_password(
        &mut e,
        &input.password,
        &input.confirm,
        &[&email, &name, &practice],
    );
    let Some(specialty) = specialty.filter(|_| e.is_empty()) else {
        return Err(SiteError::Validation(e));
    };
    let hash = hash_password(input.password.clone()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let account_id = new_id(now);
    insert_account(&mut tx, &account_id, &practice, specialty.as_str(), now).await?;
    let user_id = insert_user(
        &mut tx,
        now,
        NewUser {
            account_id: Some(&account_id),
            email: &email,
            name: &name,
            role: Role::Owner,
            status: "active",
            password_hash: Some(&hash),
        },
    )
    .await?;
    let subject = format!("account:{account_id}");
    let actor = format!("user:{user_id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: "account.created",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user_id)
}

/// Creates a vendor staff member with a second factor (staff always use
/// one); for `kerato site` set-up and the demo.
pub async fn create_staff(
    site: &Site,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
    totp: &TotpSecret,
) -> Result<String, SiteError> {
    if !role.is_vendor() {
        return Err(SiteError::BadRequest(format!(
            "{role} is not a vendor role"
        )));
    }
    let mut e = ValidationErrors::new();
    let email = crate::fields::email(&mut e, "email", email);
    check_password(&mut e, password, password, &[&email]);
    if !e.is_empty() {
        return Err(SiteError::Validation(e));
    }
    let hash = hash_password(password.to_string()).await?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let id = insert_user(
        &mut tx,
        now,
        NewUser {
            account_id: None,
            email: &email,
            name,
            role,
            status: "active",
            password_hash: Some(&hash),
        },
    )
    .await?;
    set_totp_secret(&mut tx, &id, &totp.to_base32()).await?;
    let subject = format!("user:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("system:setup"),
            action: "staff.created",
            subject: Some(&subject),
            detail: Some(role.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
