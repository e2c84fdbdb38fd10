//! Password recovery and changes: a reset link by e-mail (self-service or
//! sent by an administrator), an administrator's temporary password, the
//! forced change at sign-in, and changing one's own password.
//!
//! Where the forced change sits: after the second factor. A session whose
//! password someone else chose (the one `kerato init` printed, or an
//! administrator's temporary one) first passes the second factor, or
//! enrols one when the role or the practice requires it, and only then may
//! choose the new password. Asking for the new password first would let
//! whoever holds the temporary password alone take the account over.
//!
//! Every change of password ends every session of the user, spends every
//! open reset link, clears the lockout and is audited. A reset does not
//! sign anyone in: the next sign-in asks for the second factor as always.

use kerato_domain::ValidationErrors;
use kerato_domain::audit::{AuditAction, NewAuditEvent, Outcome};
use kerato_domain::identity::{Action, Credentials, Resource, Target, User, normalise_email};
use kerato_domain::ids::{MessageId, UserId, uuid_v7};
use kerato_domain::password::check_new_password_twice;
use kerato_domain::password::reset::{self, ResetMode};
use kerato_domain::time::Timestamp;
use kerato_store::identity::recovery::{self as links, ResetRequest};
use kerato_store::identity::{self as store};
use kerato_store::{Tx, audit, tenancy};
use rand::Rng;

use super::{
    SessionStage, SessionToken, hash_password, hash_token, new_token, unauthenticated,
    verify_password,
};
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// Letters and digits that cannot be mistaken for one another when read
/// aloud or copied from a screen.
pub(super) const UNAMBIGUOUS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A password for someone else to type once: 4 groups of 5 unambiguous
/// letters and digits (about 99 bits), like `kerato init` prints.
pub fn one_time_password() -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (0..5)
                .map(|_| UNAMBIGUOUS[rng.random_range(0..UNAMBIGUOUS.len())] as char)
                .collect()
        })
        .collect();
    groups.join("-")
}

/// A new password as typed: on a form twice, from the API once.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewPassword {
    pub password: String,
    /// The second typing, when the form asked for one.
    pub confirmation: Option<String>,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

impl NewPassword {
    /// The field names forms and the API use.
    pub const FIELDS: [&'static str; 2] = ["new_password", "new_password_confirmation"];

    /// Adds the password's problems for this user to `errors`.
    pub(super) fn check(&self, errors: &mut ValidationErrors, user: &User) {
        let local = user.email.split('@').next().unwrap_or("");
        check_new_password_twice(
            errors,
            Self::FIELDS,
            &self.password,
            self.confirmation.as_deref(),
            &[local, &user.display_name],
        );
    }
}

/// What an administrator's reset did.
#[derive(Clone, PartialEq, Eq)]
pub enum AdminReset {
    /// A link went to the user's address; it works until then.
    LinkSent {
        email: String,
        expires_at: Timestamp,
    },
    /// The password to hand to the user, shown this once; they must choose
    /// their own at the next sign-in.
    TemporaryPassword(String),
}

impl std::fmt::Debug for AdminReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LinkSent { expires_at, .. } => write!(f, "LinkSent(until {expires_at})"),
            Self::TemporaryPassword(_) => f.write_str("TemporaryPassword([redacted])"),
        }
    }
}

/// Stores a password someone else chose: the user must change it at their
/// next sign-in, and any open reset link is spent.
async fn set_temporary(
    tx: &mut Tx,
    user: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    store::set_password(tx, user, hash, now).await?;
    store::require_password_change(tx, user).await?;
    links::spend_user_links(tx, user, now).await?;
    Ok(())
}

fn link_unusable() -> AppError {
    AppError::Gone(reset::LINK_UNUSABLE.into())
}

impl App {
    /// An audit event about a user's password, in the authentication
    /// category; `None` when no account matched. Never the token, never
    /// the password.
    pub(super) fn password_event(
        &self,
        user: Option<&User>,
        outcome: Outcome,
        source_ip: Option<String>,
        detail: &str,
    ) -> NewAuditEvent {
        let mut e = self.audit_event(None, AuditAction::Update, Resource::User, outcome);
        e.organisation_id = user.map(|u| u.organisation_id.to_string());
        e.resource_id = user.map(|u| u.id.to_string());
        e.category = "authentication".into();
        e.source_ip = source_ip;
        e.detail = Some(detail.into());
        e
    }

    /// Queues a reset link for `user`, replacing any open one; returns when
    /// it stops working.
    async fn issue_link(
        &self,
        tx: &mut Tx,
        user: &User,
        client_key: String,
        issued_by: Option<UserId>,
    ) -> Result<Timestamp, AppError> {
        let now = self.now();
        links::spend_user_links(tx, user.id, now).await?;
        let token = new_token();
        let expires_at = reset::expires_at(now);
        links::insert(
            tx,
            &ResetRequest {
                id: uuid_v7(now, self.random_id_bits()).to_string(),
                requested_at: now,
                address_key: reset::address_key(&user.email),
                client_key,
                user_id: Some(user.id),
                issued_by,
                token_hash: Some(hash_token(&token.0)),
                expires_at: Some(expires_at),
            },
        )
        .await?;
        let practice = tenancy::get_organisation(tx, user.organisation_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let (subject, body) = reset::message(
            &self.link(&format!("/password/reset/{}", token.0)),
            &format!("Kerato at {practice}"),
            issued_by.is_some(),
        );
        let id = MessageId::new(now, self.random_id_bits()).to_string();
        kerato_store::outbox::queue_email(tx, &id, &user.email, subject, &body, now).await?;
        Ok(expires_at)
    }

    /// "Forgot your password?": e-mails a reset link if an active account
    /// uses the address. The answer is the same whether or not one does
    /// (`Ok`), and comes no sooner than [`reset::ANSWER_FLOOR`] either way;
    /// over the rate limit (per address and per client, counted for unknown
    /// addresses too) it is [`AppError::TooManyRequests`]. Audited.
    pub async fn request_password_reset(
        &self,
        email: &str,
        source_ip: Option<String>,
    ) -> Result<(), AppError> {
        let started = std::time::Instant::now();
        let result = self.queue_password_reset(email, source_ip).await;
        kerato_http::timing::pad_to(started, reset::ANSWER_FLOOR).await;
        result
    }

    async fn queue_password_reset(
        &self,
        email: &str,
        source_ip: Option<String>,
    ) -> Result<(), AppError> {
        let email = normalise_email(email).map_err(|m| ValidationErrors::single("email", m))?;
        let now = self.now();
        let client_key = reset::client_key(source_ip.as_deref());
        let mut tx = self.store.write().await?;
        links::prune(&mut tx, now.plus_micros(-reset::KEEP_MICROS)).await?;
        let (by_address, by_client) = links::recent_requests(
            &mut tx,
            &reset::address_key(&email),
            &client_key,
            now.plus_micros(-reset::WINDOW_MICROS),
        )
        .await?;
        let user = store::find_user_by_email(&mut tx, &email)
            .await?
            .map(|(u, _)| u);
        if !reset::within_limits(by_address, by_client) {
            let e = self.password_event(
                user.as_ref(),
                Outcome::Denied,
                source_ip,
                "password reset refused: too many requests in the last hour",
            );
            audit::append(&mut tx, e).await?;
            tx.commit().await?;
            return Err(AppError::TooManyRequests(reset::TOO_MANY.into()));
        }
        match user.filter(|u| u.active) {
            Some(user) => {
                self.issue_link(&mut tx, &user, client_key, None).await?;
                let e = self.password_event(
                    Some(&user),
                    Outcome::Allowed,
                    source_ip,
                    "password reset link e-mailed",
                );
                audit::append(&mut tx, e).await?;
            }
            None => {
                // Counted like a sent link, so the limits hold for
                // addresses without an account too.
                links::insert(
                    &mut tx,
                    &ResetRequest {
                        id: uuid_v7(now, self.random_id_bits()).to_string(),
                        requested_at: now,
                        address_key: reset::address_key(&email),
                        client_key,
                        user_id: None,
                        issued_by: None,
                        token_hash: None,
                        expires_at: None,
                    },
                )
                .await?;
                let e = self.password_event(
                    None,
                    Outcome::Denied,
                    source_ip,
                    "password reset not sent: no active account uses the address",
                );
                audit::append(&mut tx, e).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The user behind a link that still works.
    async fn link_owner(
        &self,
        tx: &mut Tx,
        token: &str,
    ) -> Result<Option<(User, Credentials)>, AppError> {
        if !reset::token_shape_ok(token) {
            return Ok(None);
        }
        let Some(link) = links::find_link(tx, &hash_token(token)).await? else {
            return Ok(None);
        };
        if !reset::usable(link.expires_at, link.used_at, self.now()) {
            return Ok(None);
        }
        Ok(store::get_user(tx, link.user_id)
            .await?
            .filter(|(u, _)| u.active))
    }

    /// Whether a reset link still works, for the page the link opens. It
    /// only looks: a mail scanner that opens the link does not spend it.
    pub async fn check_reset_link(&self, token: &str) -> Result<(), AppError> {
        let mut tx = self.store.read().await?;
        let owner = self.link_owner(&mut tx, token).await?;
        drop(tx);
        owner.map(|_| ()).ok_or_else(link_unusable)
    }

    /// Sets a new password with a reset link: the link is spent, every
    /// session of the user ends, the lockout is cleared, and nobody is
    /// signed in (the next sign-in asks for the second factor as always).
    /// A bad password changes nothing and leaves the link usable; an
    /// unknown, used or expired link is [`AppError::Gone`]. Audited.
    pub async fn reset_password(
        &self,
        token: &str,
        new: &NewPassword,
        source_ip: Option<String>,
    ) -> Result<(), AppError> {
        let ip_key = format!(
            "password reset {}",
            source_ip.as_deref().unwrap_or("unknown")
        );
        if !self.limiter.allow(&ip_key, self.now()) {
            return Err(AppError::TooManyRequests(
                "too many password resets tried from this address; wait 5 minutes and try again"
                    .into(),
            ));
        }
        let mut tx = self.store.read().await?;
        let owner = self.link_owner(&mut tx, token).await?;
        drop(tx);
        let Some((user, _)) = owner else {
            let e = self.password_event(
                None,
                Outcome::Denied,
                source_ip,
                "password reset refused: unknown, used or expired link",
            );
            self.audit_now(e).await?;
            return Err(link_unusable());
        };
        let mut errors = ValidationErrors::new();
        new.check(&mut errors, &user);
        errors.into_result(())?;
        let hash = hash_password(new.password.clone()).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        if links::spend_link(&mut tx, &hash_token(token), now).await? != Some(user.id) {
            // Used or expired while the password was being hashed.
            drop(tx);
            let e = self.password_event(
                Some(&user),
                Outcome::Denied,
                source_ip,
                "password reset refused: the link was used or expired meanwhile",
            );
            self.audit_now(e).await?;
            return Err(link_unusable());
        }
        store::set_password(&mut tx, user.id, &hash, now).await?;
        links::spend_user_links(&mut tx, user.id, now).await?;
        let ended = store::revoke_user_sessions(&mut tx, user.id, now).await?;
        let mut e = self.password_event(
            Some(&user),
            Outcome::Allowed,
            source_ip,
            &format!("password reset with an e-mailed link; {ended} sessions ended"),
        );
        e.user_id = Some(user.id.to_string());
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator resets a staff member's password: e-mails them a
    /// reset link, or sets a temporary password (returned once, never
    /// stored in clear) that they must change at their next sign-in.
    /// Either way every session of theirs ends at once. Audited.
    pub async fn reset_user_password(
        &self,
        caller: &Caller,
        id: UserId,
        mode: ResetMode,
    ) -> Result<AdminReset, AppError> {
        self.require(caller, Resource::User, Action::Update, None)
            .await?;
        if id == caller.actor.user_id {
            return Err(AppError::Conflict(
                "to change your own password, use your account page".into(),
            ));
        }
        let temporary = match mode {
            ResetMode::TemporaryPassword => {
                let password = one_time_password();
                let hash = hash_password(password.clone()).await?;
                Some((password, hash))
            }
            ResetMode::Link => None,
        };
        let mut tx = self.store.write().await?;
        let (user, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let target = Target {
            organisation: user.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let act = Act::new(Action::Update, target, "staff account")
            .id(id)
            .new_value(&serde_json::json!({"password": mode.as_str()}));
        let mut tx = self.guard(tx, caller, act).await?;
        if !user.active {
            return Err(AppError::Conflict(
                "this account is deactivated; activate it first, then reset its password".into(),
            ));
        }
        let now = self.now();
        store::revoke_user_sessions(&mut tx, id, now).await?;
        let done = match temporary {
            Some((password, hash)) => {
                set_temporary(&mut tx, id, &hash, now).await?;
                AdminReset::TemporaryPassword(password)
            }
            None => {
                let client_key = reset::client_key(caller.source_ip.as_deref());
                let expires_at = self
                    .issue_link(&mut tx, &user, client_key, Some(caller.actor.user_id))
                    .await?;
                AdminReset::LinkSent {
                    email: user.email.clone(),
                    expires_at,
                }
            }
        };
        tx.commit().await?;
        Ok(done)
    }

    /// Sets a temporary password for the staff member who signs in with
    /// `email`, to be changed at their next sign-in, and ends every session
    /// of theirs; returns the password. For `kerato user reset-password`,
    /// run by whoever holds the data directory (a sole administrator locked
    /// out without e-mail has no other way back): named `unsafe_` because
    /// no signed-in caller vouches for it. Audited.
    pub async fn unsafe_set_temporary_password(&self, email: &str) -> Result<String, AppError> {
        let password = one_time_password();
        let hash = hash_password(password.clone()).await?;
        let mut tx = self.store.write().await?;
        let (user, _) = store::find_user_by_email(&mut tx, &email.trim().to_lowercase())
            .await?
            .ok_or(AppError::NotFound("staff account with that e-mail address"))?;
        if !user.active {
            return Err(AppError::Conflict(
                "this account is deactivated; an administrator must activate it first".into(),
            ));
        }
        let now = self.now();
        let ended = store::revoke_user_sessions(&mut tx, user.id, now).await?;
        set_temporary(&mut tx, user.id, &hash, now).await?;
        let e = self.password_event(
            Some(&user),
            Outcome::Allowed,
            None,
            &format!("temporary password set on the command line; {ended} sessions ended"),
        );
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Changes the password of the session's user, who gives the current
    /// one: from a signed-in session, or from a session that must choose a
    /// new password before anything else (which then becomes signed in).
    /// Every session of the user ends and a new, signed-in one is returned
    /// for the device that made the change.
    pub async fn change_own_password(
        &self,
        token: &str,
        source_ip: Option<String>,
        current: &str,
        new: &NewPassword,
    ) -> Result<SessionToken, AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, creds) = self.live_session(&mut tx, token).await?;
        tx.commit().await?;
        let forced = match session.stage {
            SessionStage::Full => false,
            SessionStage::Password => true,
            SessionStage::Mfa | SessionStage::Enrol => return Err(unauthenticated()),
        };
        // Both argon2 runs happen outside any transaction, so they do not
        // hold up the database's writer.
        let current_ok = match creds.password_hash {
            Some(h) => verify_password(current.chars().take(1024).collect(), h).await,
            None => false,
        };
        let mut errors = ValidationErrors::new();
        if !current_ok {
            errors.add("current_password", "the current password is not right");
        }
        new.check(&mut errors, &user);
        if current_ok && errors.is_empty() && new.password == current {
            errors.add(
                NewPassword::FIELDS[0],
                "choose a password different from the current one",
            );
        }
        errors.into_result(())?;
        let hash = hash_password(new.password.clone()).await?;
        let mut tx = self.store.write().await?;
        // The session may have ended while the password was hashed.
        self.live_session(&mut tx, token).await?;
        let now = self.now();
        store::set_password(&mut tx, user.id, &hash, now).await?;
        links::spend_user_links(&mut tx, user.id, now).await?;
        store::revoke_user_sessions(&mut tx, user.id, now).await?;
        let token = self
            .start_session(&mut tx, user.id, SessionStage::Full, source_ip.clone())
            .await?;
        let mut e = self.password_event(
            Some(&user),
            Outcome::Allowed,
            source_ip.clone(),
            if forced {
                "chose a new password at sign-in, as required; all sessions ended"
            } else {
                "changed password; all sessions ended"
            },
        );
        e.user_id = Some(user.id.to_string());
        audit::append(&mut tx, e).await?;
        if forced {
            let e = self.sign_in_event(
                Some(&user),
                AuditAction::Login,
                Outcome::Allowed,
                source_ip,
                "password changed at sign-in",
            );
            audit::append(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(token)
    }
}
