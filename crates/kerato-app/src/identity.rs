//! Signing in and out, multi-factor authentication, sessions, staff
//! accounts and break-glass access.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use kerato_domain::ValidationErrors;
use kerato_domain::audit::{AuditAction, Outcome};
use kerato_domain::identity::{
    Action, Actor, Credentials, EMERGENCY_ACCESS_MICROS, GrantEntry, LocationScope,
    MAX_IDLE_MINUTES, MINUTE_MICROS, Resource, Role, SessionPolicy, SessionState, Target, User,
    after_failed_login, normalise_email, role_permits, session_state,
};
use kerato_domain::ids::{EmergencyGrantId, LocationId, MessageId, OrganisationId, UserId};
use kerato_domain::password::check_new_password;
use kerato_domain::tenancy::{Organisation, OrganisationKind, validate_name};
use kerato_domain::time::Timestamp;
use kerato_domain::totp::{TotpSecret, matching_step};
use kerato_store::identity::{self as store, SessionRow};
use kerato_store::{Tx, audit, tenancy};
use rand::Rng;
use sha2::{Digest, Sha256};

pub use kerato_domain::identity::SessionStage;

mod recovery;
pub use recovery::{AdminReset, NewPassword, one_time_password};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// The one answer to every failed sign-in, whatever failed, so the answer
/// does not tell an attacker which e-mail addresses have accounts.
pub const SIGN_IN_FAILED: &str = "The e-mail address or password is not right, or the account is locked after too many attempts. Check them and try again, or wait 15 minutes.";

const ISSUER: &str = "Kerato";
const INVITATION_MICROS: i64 = 7 * 24 * 60 * 60 * 1_000_000;
const RECOVERY_CODES: usize = 10;
/// Sign-in attempts allowed per client address in the window below.
const IP_ATTEMPTS: usize = 20;
const IP_WINDOW_MICROS: i64 = 5 * 60 * 1_000_000;
/// Every failed sign-in answers no sooner than this after it arrived. The
/// two failure paths (unknown address, wrong password) do the same argon2
/// work but different database writes; the floor hides that difference,
/// and anything else the host's load adds, behind one fixed response time.
const FAILED_SIGN_IN_FLOOR: std::time::Duration = std::time::Duration::from_millis(200);

/// Sessions record activity at most this often, to spare a write per
/// request; the record is written after the request, which never waits for
/// it. Idle timeouts are minutes long, so a minute's lag is immaterial.
const TOUCH_EVERY_MICROS: i64 = 60 * 1_000_000;

/// A session token for the cookie. Only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// Where a correct password leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Done(SessionToken),
    NeedsCode(SessionToken),
    NeedsEnrolment(SessionToken),
    /// Password right (and no second factor due), but someone else chose
    /// it: the session may only choose a new one.
    NeedsPasswordChange(SessionToken),
}

/// What the enrolment page shows.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// An SVG QR code of the URI, to embed in the page.
    pub qr_svg: String,
}

/// A live session, for the administrators' view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub token_hash: String,
    pub user_id: UserId,
    pub user_name: String,
    pub started_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub source_ip: Option<String>,
}

/// A new staff account as an administrator fills it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInput {
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Empty with `all_locations` false means no location yet.
    pub locations: Vec<String>,
    pub all_locations: bool,
}

/// When each session was last seen by this server, for the idle timeout:
/// the record in the database is written after the request that saw it
/// (see `TOUCH_EVERY_MICROS`), so the next request may arrive before it has
/// landed.
#[derive(Debug, Default)]
pub(crate) struct SeenSessions(Mutex<HashMap<String, Timestamp>>);

/// Entries are pruned once there are this many; a session unseen for
/// longer than the longest idle limit needs no entry.
const SEEN_PRUNE_AT: usize = 4096;

impl SeenSessions {
    /// The later of `stored` and when this server last saw the session.
    fn latest(&self, token_hash: &str, stored: Timestamp) -> Timestamp {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(token_hash)
            .copied()
            .filter(|t| *t > stored)
            .unwrap_or(stored)
    }

    fn saw(&self, token_hash: &str, now: Timestamp) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= SEEN_PRUNE_AT {
            seen.retain(|_, t| now.as_micros() - t.as_micros() < MAX_IDLE_MINUTES * MINUTE_MICROS);
        }
        seen.insert(token_hash.to_string(), now);
    }
}

/// Sliding-window limit of sign-in attempts per client address.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    attempts: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RateLimiter {
    /// Records an attempt; false when the address is over its limit.
    fn allow(&self, key: &str, now: Timestamp) -> bool {
        let Ok(mut map) = self.attempts.lock() else {
            return false;
        };
        if map.len() > 100_000 {
            // Bound memory under a flood of addresses: forget stale entries.
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.as_micros() - t < IP_WINDOW_MICROS)
            });
        }
        let q = map.entry(key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.as_micros() - t >= IP_WINDOW_MICROS)
        {
            q.pop_front();
        }
        if q.len() >= IP_ATTEMPTS {
            return false;
        }
        q.push_back(now.as_micros());
        true
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> SessionToken {
    SessionToken(hex::encode(rand::rng().random::<[u8; 32]>()))
}

fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = recovery::UNAMBIGUOUS;
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..10)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect()
}

/// Hashes a password with argon2id (m=19456 KiB, t=2, p=1: OWASP's minimum)
/// on the blocking pool, keeping the async workers free.
pub(crate) async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || kerato_domain::password::hash(&password))
        .await
        .map_err(|_| AppError::NotReady("the password hasher stopped".into()))?
        .map_err(|_| AppError::NotReady("the password could not be hashed".into()))
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || kerato_domain::password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the e-mail address is
/// unknown so that case costs the same time as a wrong password.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn dummy_hash() -> String {
    if let Some(h) = DUMMY_HASH.get() {
        return h.clone();
    }
    let random = hex::encode(rand::rng().random::<[u8; 16]>());
    let h = hash_password(random).await.unwrap_or_default();
    DUMMY_HASH.get_or_init(|| h).clone()
}

fn actor_of(user: &User, emergency: Vec<kerato_domain::identity::EmergencyGrant>) -> Actor {
    Actor {
        user_id: user.id,
        organisation_id: user.organisation_id,
        role: user.role,
        locations: user.locations.clone(),
        emergency,
    }
}

fn unauthenticated() -> AppError {
    AppError::Unauthenticated("sign in to continue".into())
}

impl App {
    async fn session_policy(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
    ) -> Result<SessionPolicy, AppError> {
        let (_, idle) = store::organisation_security(tx, org).await?;
        Ok(SessionPolicy::new(idle).unwrap_or_default())
    }

    async fn mfa_required(&self, tx: &mut Tx, user: &User) -> Result<bool, AppError> {
        let (all, _) = store::organisation_security(tx, user.organisation_id).await?;
        Ok(user.role.mfa_always_required() || all)
    }

    async fn start_session(
        &self,
        tx: &mut Tx,
        user: UserId,
        stage: SessionStage,
        source_ip: Option<String>,
    ) -> Result<SessionToken, AppError> {
        let token = new_token();
        let now = self.now();
        store::insert_session(
            tx,
            &SessionRow {
                token_hash: hash_token(&token.0),
                user_id: user,
                stage,
                created_at: now,
                last_seen_at: now,
                source_ip,
                revoked_at: None,
            },
        )
        .await?;
        Ok(token)
    }

    fn sign_in_event(
        &self,
        user: Option<&User>,
        action: AuditAction,
        outcome: Outcome,
        ip: Option<String>,
        detail: &str,
    ) -> kerato_domain::audit::NewAuditEvent {
        let mut e = self.audit_event(None, action, Resource::Session, outcome);
        e.organisation_id = user.map(|u| u.organisation_id.to_string());
        e.user_id = user.map(|u| u.id.to_string());
        e.resource = Resource::Session.as_str().into();
        e.category = "authentication".into();
        e.source_ip = ip;
        e.detail = Some(detail.into());
        e
    }

    async fn fail_sign_in(
        &self,
        tx: &mut Tx,
        user: Option<(&User, &Credentials)>,
        ip: Option<String>,
        detail: &str,
    ) -> Result<(), AppError> {
        if let Some((u, c)) = user {
            let (failures, locked) = after_failed_login(c.failed_logins, self.now());
            store::record_login_failure(tx, u.id, failures, locked.or(c.locked_until)).await?;
            if locked.is_some() {
                store::revoke_user_sessions(tx, u.id, self.now()).await?;
            }
        }
        let event = self.sign_in_event(
            user.map(|(u, _)| u),
            AuditAction::LoginFailed,
            Outcome::Denied,
            ip,
            detail,
        );
        audit::append(tx, event).await?;
        Ok(())
    }

    /// Checks a password. Every failure answers [`SIGN_IN_FAILED`] after the
    /// same argon2 work, is audited, and counts towards the lockout.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        source_ip: Option<String>,
    ) -> Result<SignIn, AppError> {
        let started = std::time::Instant::now();
        let result = self.check_sign_in(email, password, source_ip).await;
        if matches!(result, Err(AppError::Unauthenticated(_))) {
            kerato_http::timing::pad_to(started, FAILED_SIGN_IN_FLOOR).await;
        }
        result
    }

    async fn check_sign_in(
        &self,
        email: &str,
        password: &str,
        source_ip: Option<String>,
    ) -> Result<SignIn, AppError> {
        let now = self.now();
        let ip_key = source_ip.clone().unwrap_or_else(|| "unknown".into());
        if !self.limiter.allow(&ip_key, now) {
            let event = self.sign_in_event(
                None,
                AuditAction::LoginFailed,
                Outcome::Denied,
                source_ip,
                "rate limited",
            );
            self.audit_now(event).await?;
            return Err(AppError::TooManyRequests(
                "too many sign-in attempts from this address; wait 5 minutes and try again".into(),
            ));
        }
        let email_norm = email.trim().to_lowercase();
        let mut tx = self.store.write().await?;
        let found = if email_norm.len() <= 254 {
            store::find_user_by_email(&mut tx, &email_norm).await?
        } else {
            None
        };
        let hash = match found.as_ref().and_then(|(_, c)| c.password_hash.clone()) {
            Some(h) => h,
            None => dummy_hash().await,
        };
        let password_ok = verify_password(password.chars().take(1024).collect(), hash).await;
        let Some((user, creds)) = found else {
            self.fail_sign_in(&mut tx, None, source_ip, "unknown e-mail address")
                .await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated(SIGN_IN_FAILED.into()));
        };
        let locked = creds.locked_until.is_some_and(|t| t > now);
        if locked || !password_ok || !user.active || creds.password_hash.is_none() {
            let why = if locked {
                "account locked"
            } else if !user.active {
                "account deactivated"
            } else {
                "wrong password"
            };
            // A locked account's failures do not extend the lock.
            let counted = if locked { None } else { Some((&user, &creds)) };
            if counted.is_none() {
                let event = self.sign_in_event(
                    Some(&user),
                    AuditAction::LoginFailed,
                    Outcome::Denied,
                    source_ip,
                    why,
                );
                audit::append(&mut tx, event).await?;
            } else {
                self.fail_sign_in(&mut tx, counted, source_ip, why).await?;
            }
            tx.commit().await?;
            return Err(AppError::Unauthenticated(SIGN_IN_FAILED.into()));
        }
        store::clear_login_failures(&mut tx, user.id).await?;
        let outcome = if user.mfa_enrolled {
            SignIn::NeedsCode(
                self.start_session(&mut tx, user.id, SessionStage::Mfa, source_ip)
                    .await?,
            )
        } else if self.mfa_required(&mut tx, &user).await? {
            SignIn::NeedsEnrolment(
                self.start_session(&mut tx, user.id, SessionStage::Enrol, source_ip)
                    .await?,
            )
        } else if creds.must_change_password {
            SignIn::NeedsPasswordChange(
                self.start_session(&mut tx, user.id, SessionStage::Password, source_ip)
                    .await?,
            )
        } else {
            let token = self
                .start_session(&mut tx, user.id, SessionStage::Full, source_ip.clone())
                .await?;
            let event = self.sign_in_event(
                Some(&user),
                AuditAction::Login,
                Outcome::Allowed,
                source_ip,
                "password",
            );
            audit::append(&mut tx, event).await?;
            SignIn::Done(token)
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// The live session behind a token, at any stage, if it has not expired.
    async fn live_session(
        &self,
        tx: &mut Tx,
        token: &str,
    ) -> Result<(SessionRow, User, Credentials), AppError> {
        let hash = hash_token(token);
        let session = store::get_session(tx, &hash)
            .await?
            .ok_or_else(unauthenticated)?;
        if session.revoked_at.is_some() {
            return Err(unauthenticated());
        }
        let (user, creds) = store::get_user(tx, session.user_id)
            .await?
            .ok_or_else(unauthenticated)?;
        if !user.active {
            return Err(unauthenticated());
        }
        let policy = self.session_policy(tx, user.organisation_id).await?;
        let last_seen = self.seen.latest(&hash, session.last_seen_at);
        match session_state(policy, session.created_at, last_seen, self.now()) {
            SessionState::Active => Ok((session, user, creds)),
            SessionState::IdleExpired | SessionState::AbsoluteExpired => {
                // The session is refused either way; a reader leaves the
                // record of it to the next shared commit.
                let now = self.now();
                if tx.is_read_only() {
                    self.store.write_later(Box::new(move |w: &mut Tx| {
                        Box::pin(async move { store::revoke_session(w, &hash, now).await })
                    }));
                } else {
                    store::revoke_session(tx, &hash, now).await?;
                }
                Err(AppError::Unauthenticated(
                    "your session has expired; sign in again".into(),
                ))
            }
        }
    }

    /// The stage of a session part-way through sign-in, if it is alive.
    pub async fn sign_in_stage(&self, token: &str) -> Result<Option<SessionStage>, AppError> {
        let mut tx = self.store.write().await?;
        let stage = match self.live_session(&mut tx, token).await {
            Ok((s, _, _)) => Some(s.stage),
            Err(AppError::Unauthenticated(_)) => None,
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        Ok(stage)
    }

    /// Moves a session that passed MFA to a fresh, fully signed-in one: the
    /// token changes at sign-in, so one planted before it is worthless. A
    /// user who must choose a new password gets a session that may do only
    /// that; the sign-in is complete (and audited) once they have.
    async fn promote(
        &self,
        tx: &mut Tx,
        session: &SessionRow,
        (user, creds): (&User, &Credentials),
        via: &str,
    ) -> Result<SessionToken, AppError> {
        store::revoke_session(tx, &session.token_hash, self.now()).await?;
        if creds.must_change_password {
            return self
                .start_session(
                    tx,
                    user.id,
                    SessionStage::Password,
                    session.source_ip.clone(),
                )
                .await;
        }
        let token = self
            .start_session(tx, user.id, SessionStage::Full, session.source_ip.clone())
            .await?;
        let event = self.sign_in_event(
            Some(user),
            AuditAction::Login,
            Outcome::Allowed,
            session.source_ip.clone(),
            via,
        );
        audit::append(tx, event).await?;
        Ok(token)
    }

    /// Checks a TOTP code (each used once) or a recovery code (each used
    /// once) for a session at the MFA stage. Wrong codes count towards the
    /// account lockout.
    pub async fn submit_code(&self, token: &str, code: &str) -> Result<SessionToken, AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, creds) = self.live_session(&mut tx, token).await?;
        if session.stage != SessionStage::Mfa {
            return Err(unauthenticated());
        }
        if creds.locked_until.is_some_and(|t| t > self.now()) {
            return Err(AppError::Unauthenticated(SIGN_IN_FAILED.into()));
        }
        let secret = creds
            .mfa_secret
            .as_deref()
            .map(TotpSecret::from_base32)
            .transpose()
            .map_err(AppError::NotReady)?
            .ok_or_else(unauthenticated)?;
        let accepted = match matching_step(&secret, code, self.clock.outside_now()) {
            Some(step) => store::advance_mfa_step(&mut tx, user.id, step)
                .await?
                .then_some("totp"),
            None => {
                let h = hash_token(&normalise_recovery(code));
                store::use_recovery_code(&mut tx, user.id, &h, self.now())
                    .await?
                    .then_some("recovery code")
            }
        };
        match accepted {
            Some(via) => {
                store::clear_login_failures(&mut tx, user.id).await?;
                let token = self
                    .promote(&mut tx, &session, (&user, &creds), via)
                    .await?;
                tx.commit().await?;
                Ok(token)
            }
            None => {
                self.fail_sign_in(
                    &mut tx,
                    Some((&user, &creds)),
                    session.source_ip.clone(),
                    "wrong, used or expired code",
                )
                .await?;
                tx.commit().await?;
                Err(AppError::Unauthenticated(
                    "that code is not right, or was already used; enter the current code from your app, or an unused recovery code".into(),
                ))
            }
        }
    }

    /// A new TOTP secret for a session that must enrol, or a signed-in user
    /// replacing theirs; kept on the session until a code confirms it.
    pub async fn start_enrolment(&self, token: &str) -> Result<Enrolment, AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, _) = self.live_session(&mut tx, token).await?;
        if !matches!(session.stage, SessionStage::Enrol | SessionStage::Full) {
            return Err(unauthenticated());
        }
        let secret = TotpSecret::from_bytes(rand::rng().random());
        store::set_pending_secret(&mut tx, &session.token_hash, Some(&secret.to_base32())).await?;
        tx.commit().await?;
        let uri = secret.otpauth_uri(ISSUER, &user.email);
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map(|q| {
                q.render::<qrcode::render::svg::Color<'_>>()
                    .min_dimensions(200, 200)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default();
        Ok(Enrolment {
            secret_base32: secret.to_base32(),
            otpauth_uri: uri,
            qr_svg,
        })
    }

    /// Confirms enrolment with a code from the new secret; returns the
    /// session token to use from now on and the one-time recovery codes.
    pub async fn confirm_enrolment(
        &self,
        token: &str,
        code: &str,
    ) -> Result<(SessionToken, Vec<String>), AppError> {
        let mut tx = self.store.write().await?;
        let (session, user, creds) = self.live_session(&mut tx, token).await?;
        let pending = store::pending_secret(&mut tx, &session.token_hash)
            .await?
            .ok_or_else(|| {
                AppError::Conflict("start the enrolment again: no code is waiting".into())
            })?;
        let secret = TotpSecret::from_base32(&pending).map_err(AppError::NotReady)?;
        let Some(step) = matching_step(&secret, code, self.clock.outside_now()) else {
            return Err(AppError::Validation(ValidationErrors::single(
                "code",
                "that code does not match; enter the 6 digits your app shows now",
            )));
        };
        store::set_mfa_secret(&mut tx, user.id, Some(&pending), self.now()).await?;
        store::advance_mfa_step(&mut tx, user.id, step).await?;
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| hash_token(&normalise_recovery(c)))
            .collect();
        store::replace_recovery_codes(&mut tx, user.id, &hashes).await?;
        store::set_pending_secret(&mut tx, &session.token_hash, None).await?;
        let mut e = self.audit_event(None, AuditAction::Update, Resource::User, Outcome::Allowed);
        e.organisation_id = Some(user.organisation_id.to_string());
        e.user_id = Some(user.id.to_string());
        e.resource_id = Some(user.id.to_string());
        e.category = "authentication".into();
        e.detail = Some("enrolled multi-factor authentication".into());
        audit::append(&mut tx, e).await?;
        let token = if session.stage == SessionStage::Full {
            SessionToken(token.to_string())
        } else {
            self.promote(&mut tx, &session, (&user, &creds), "enrolled totp")
                .await?
        };
        tx.commit().await?;
        Ok((token, codes))
    }

    /// The caller behind a fully signed-in session; refreshes its activity.
    pub async fn authenticate(
        &self,
        token: &str,
        source_ip: Option<String>,
    ) -> Result<Caller, AppError> {
        // Authentication only reads; it never waits for the writer.
        let mut tx = self.store.read().await?;
        let (session, user, _) = self.live_session(&mut tx, token).await?;
        match session.stage {
            SessionStage::Full => {}
            SessionStage::Password => return Err(AppError::PasswordChangeRequired),
            SessionStage::Mfa | SessionStage::Enrol => return Err(unauthenticated()),
        }
        let now = self.now();
        let last_seen = self.seen.latest(&session.token_hash, session.last_seen_at);
        if now.as_micros() - last_seen.as_micros() >= TOUCH_EVERY_MICROS {
            self.seen.saw(&session.token_hash, now);
            let hash = session.token_hash.clone();
            self.store.write_later(Box::new(move |w: &mut Tx| {
                Box::pin(async move { store::touch_session(w, &hash, now).await })
            }));
        }
        let grants = store::active_grants(&mut tx, user.id, now).await?;
        drop(tx);
        Ok(Caller {
            actor: actor_of(&user, grants),
            display_name: user.display_name.clone(),
            source_ip,
        })
    }

    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        let hash = hash_token(token);
        if let Some(s) = store::get_session(&mut tx, &hash).await? {
            store::revoke_session(&mut tx, &hash, self.now()).await?;
            if let Some((user, _)) = store::get_user(&mut tx, s.user_id).await? {
                let e = self.sign_in_event(
                    Some(&user),
                    AuditAction::Logout,
                    Outcome::Allowed,
                    s.source_ip,
                    "signed out",
                );
                audit::append(&mut tx, e).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of the caller, on every device.
    pub async fn sign_out_everywhere(&self, caller: &Caller) -> Result<u64, AppError> {
        let mut tx = self.store.write().await?;
        let n = store::revoke_user_sessions(&mut tx, caller.actor.user_id, self.now()).await?;
        let mut e = self.audit_event(
            Some(caller),
            AuditAction::Logout,
            Resource::Session,
            Outcome::Allowed,
        );
        e.detail = Some(format!("signed out everywhere ({n} sessions)"));
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Sets the first password of an invited user.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        let user_id = store::take_invitation(&mut tx, &hash_token(token), self.now())
            .await?
            .ok_or_else(|| AppError::NotFound("invitation (it may have expired or been used)"))?;
        let (user, _) = store::get_user(&mut tx, user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut errors = ValidationErrors::new();
        NewPassword {
            password: password.to_string(),
            confirmation: None,
        }
        .check(&mut errors, &user);
        errors.into_result(())?;
        let hash = hash_password(password.to_string()).await?;
        store::set_password(&mut tx, user.id, &hash, self.now()).await?;
        let mut e = self.password_event(
            Some(&user),
            Outcome::Allowed,
            None,
            "accepted invitation and set a password",
        );
        e.user_id = Some(user.id.to_string());
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates the organisation and its first administrator, with a password,
    /// on an installation that has no users yet.
    pub async fn bootstrap(
        &self,
        organisation: &str,
        kind: OrganisationKind,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(Organisation, User), AppError> {
        if self.is_initialised().await? {
            return Err(AppError::Conflict(
                "this installation already has an organisation".into(),
            ));
        }
        // The password is printed on the installer's terminal: the
        // administrator must choose their own at the first sign-in.
        self.add_tenant(organisation, kind, (email, name, password), true)
            .await
    }

    /// Adds another organisation with its administrator, without any
    /// caller's authority: for hosting several tenants and for tests.
    pub async fn unsafe_add_tenant(
        &self,
        organisation: &str,
        kind: OrganisationKind,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(Organisation, User), AppError> {
        self.add_tenant(organisation, kind, (email, name, password), false)
            .await
    }

    async fn add_tenant(
        &self,
        organisation: &str,
        kind: OrganisationKind,
        (email, name, password): (&str, &str, &str),
        must_change_password: bool,
    ) -> Result<(Organisation, User), AppError> {
        let mut tx = self.store.write().await?;
        let org = self
            .create_organisation_in(&mut tx, organisation, kind)
            .await?;
        let user = self
            .new_user(
                org.id,
                &UserInput {
                    email: email.into(),
                    display_name: name.into(),
                    role: Role::Admin.as_str().into(),
                    locations: vec![],
                    all_locations: true,
                },
                &mut tx,
            )
            .await?;
        let local = user.email.split('@').next().unwrap_or("").to_string();
        check_new_password(password, &[&local, &user.display_name])
            .map_err(|m| ValidationErrors::single("password", m))?;
        store::insert_user(
            &mut tx,
            &user,
            &Credentials {
                password_hash: Some(hash_password(password.to_string()).await?),
                must_change_password,
                ..Credentials::default()
            },
        )
        .await?;
        let mut e = self.audit_event(None, AuditAction::Create, Resource::User, Outcome::Allowed);
        e.organisation_id = Some(org.id.to_string());
        e.resource_id = Some(user.id.to_string());
        e.detail = Some("first administrator created at installation".into());
        audit::append(&mut tx, e).await?;
        tx.commit().await?;
        Ok((org, user))
    }

    /// Acts as a user without a session: for command-line tasks and demo
    /// seeding, never for requests. Named `unsafe_` because it skips sign-in.
    pub async fn unsafe_caller_for(&self, user: UserId) -> Result<Caller, AppError> {
        let mut tx = self.store.read().await?;
        let (user, _) = store::get_user(&mut tx, user)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        Ok(Caller {
            actor: actor_of(&user, vec![]),
            display_name: user.display_name.clone(),
            source_ip: None,
        })
    }

    /// A signed-in session for a user without a password or code: for test
    /// harnesses only. Named `unsafe_` because it skips sign-in.
    pub async fn unsafe_session_for(&self, user: UserId) -> Result<SessionToken, AppError> {
        let mut tx = self.store.write().await?;
        let token = self
            .start_session(&mut tx, user, SessionStage::Full, None)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Validates a new account's fields against the organisation.
    async fn new_user(
        &self,
        org: OrganisationId,
        input: &UserInput,
        tx: &mut Tx,
    ) -> Result<User, AppError> {
        let mut errors = ValidationErrors::new();
        let email = normalise_email(&input.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let name = validate_name(&mut errors, "display_name", &input.display_name);
        let role = input
            .role
            .parse::<Role>()
            .map_err(|m| errors.add("role", m))
            .ok();
        let locations = self
            .location_scope(tx, org, input.all_locations, &input.locations, &mut errors)
            .await?;
        errors.into_result(())?;
        let now = self.now();
        Ok(User {
            id: UserId::new(now, self.random_id_bits()),
            organisation_id: org,
            email: email.unwrap_or_default(),
            display_name: name.unwrap_or_default(),
            role: role.unwrap_or(Role::Auditor),
            locations,
            active: true,
            mfa_enrolled: false,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    async fn location_scope(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
        all: bool,
        ids: &[String],
        errors: &mut ValidationErrors,
    ) -> Result<LocationScope, AppError> {
        if all {
            return Ok(LocationScope::All);
        }
        let mut set = BTreeSet::new();
        for raw in ids {
            let Ok(id) = raw.parse::<LocationId>() else {
                errors.add("locations", format!("{raw:?} is not a location ID"));
                continue;
            };
            if tenancy::get_location(tx, org, id).await?.is_none() {
                errors.add(
                    "locations",
                    "one of the chosen locations does not belong to this organisation",
                );
            } else {
                set.insert(id);
            }
        }
        Ok(LocationScope::Only(set))
    }

    /// Invites a staff member: the account exists at once, without a
    /// password; the returned token (sent by e-mail too) lets them set one.
    pub async fn invite_user(
        &self,
        caller: &Caller,
        input: &UserInput,
    ) -> Result<(User, String), AppError> {
        self.require(caller, Resource::User, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let user = self.new_user(org, input, &mut tx).await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::User,
        };
        let mut tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::Create, target, "staff account")
                    .id(user.id)
                    .new_value(&user_json(&user)),
            )
            .await?;
        store::insert_user(&mut tx, &user, &Credentials::default()).await?;
        let token = hex::encode(rand::rng().random::<[u8; 24]>());
        store::insert_invitation(
            &mut tx,
            &hash_token(&token),
            user.id,
            self.now().plus_micros(INVITATION_MICROS),
        )
        .await?;
        let id = MessageId::new(self.now(), self.random_id_bits()).to_string();
        kerato_store::outbox::queue_email(
            &mut tx,
            &id,
            &user.email,
            "Your Kerato account",
            &format!(
                "An account was created for you. Open {} within 7 days to choose your password.",
                self.link(&format!("/invite/{token}"))
            ),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok((user, token))
    }

    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<User>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::User, "staff accounts")
            .await?;
        let users = store::list_users(&mut tx, org).await?;
        tx.commit().await?;
        Ok(users)
    }

    pub async fn get_user(&self, caller: &Caller, id: UserId) -> Result<User, AppError> {
        let mut tx = self.store.write().await?;
        let (user, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let target = Target {
            organisation: user.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::View, target, "staff account").id(id),
            )
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user's name, role, locations or status. A change of role,
    /// locations or status is a privilege change: audited as such, and every
    /// session of that user ends so the new rights apply at once.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: UserId,
        version: i64,
        change: &UserInput,
        active: bool,
    ) -> Result<User, AppError> {
        self.require(caller, Resource::User, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let (current, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "display_name", &change.display_name);
        let role = change
            .role
            .parse::<Role>()
            .map_err(|m| errors.add("role", m))
            .ok();
        let locations = self
            .location_scope(
                &mut tx,
                current.organisation_id,
                change.all_locations,
                &change.locations,
                &mut errors,
            )
            .await?;
        errors.into_result(())?;
        if current.version != version {
            return Err(AppError::Conflict(
                "this account was changed by someone else; reload it and apply your change again"
                    .into(),
            ));
        }
        let updated = User {
            display_name: name.unwrap_or_default(),
            role: role.unwrap_or(current.role),
            locations,
            active,
            version: current.version + 1,
            updated_at: self.now(),
            ..current.clone()
        };
        if updated.id == caller.actor.user_id && (updated.role != current.role || !updated.active) {
            return Err(AppError::Conflict(
                "you cannot change your own role or deactivate yourself; ask another administrator"
                    .into(),
            ));
        }
        let privileged = updated.role != current.role
            || updated.locations != current.locations
            || updated.active != current.active;
        let target = Target {
            organisation: current.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let act = Act::new(Action::Update, target, "staff account")
            .id(id)
            .old(&user_json(&current))
            .new_value(&user_json(&updated));
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::update_user(&mut tx, &updated).await? {
            return Err(AppError::Conflict(
                "this account was changed by someone else; reload it".into(),
            ));
        }
        if privileged {
            store::revoke_user_sessions(&mut tx, id, self.now()).await?;
            let mut e = self.audit_event(
                Some(caller),
                AuditAction::PrivilegeChange,
                Resource::User,
                Outcome::Allowed,
            );
            e.resource_id = Some(id.to_string());
            e.old_value = serde_json::to_string(&user_json(&current)).ok();
            e.new_value = serde_json::to_string(&user_json(&updated)).ok();
            audit::append(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// Removes a user's authenticator and recovery codes; they enrol again at
    /// their next sign-in.
    pub async fn reset_mfa(&self, caller: &Caller, id: UserId) -> Result<(), AppError> {
        self.require(caller, Resource::User, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let (user, _) = store::get_user(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let target = Target {
            organisation: user.organisation_id,
            location: None,
            resource: Resource::User,
        };
        let mut act = Act::new(Action::Update, target, "staff account").id(id);
        act.new = Some("{\"mfa\":\"reset\"}".into());
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_mfa_secret(&mut tx, id, None, self.now()).await?;
        store::revoke_user_sessions(&mut tx, id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn live_sessions(&self, caller: &Caller) -> Result<Vec<SessionView>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Session, "sessions")
            .await?;
        let policy = self.session_policy(&mut tx, org).await?;
        let users: HashMap<UserId, String> = store::list_users(&mut tx, org)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect();
        let now = self.now();
        let sessions = store::live_sessions(&mut tx, org)
            .await?
            .into_iter()
            .filter(|s| {
                session_state(policy, s.created_at, s.last_seen_at, now) == SessionState::Active
            })
            .map(|s| SessionView {
                user_name: users.get(&s.user_id).cloned().unwrap_or_default(),
                token_hash: s.token_hash,
                user_id: s.user_id,
                started_at: s.created_at,
                last_seen_at: s.last_seen_at,
                source_ip: s.source_ip,
            })
            .collect();
        tx.commit().await?;
        Ok(sessions)
    }

    /// Ends one session of the organisation (an administrator's kill switch).
    pub async fn revoke_session(&self, caller: &Caller, token_hash: &str) -> Result<(), AppError> {
        self.require(caller, Resource::Session, Action::Delete, None)
            .await?;
        let mut tx = self.store.write().await?;
        let session = store::get_session(&mut tx, token_hash)
            .await?
            .ok_or(AppError::NotFound("session"))?;
        let (owner, _) = store::get_user(&mut tx, session.user_id)
            .await?
            .ok_or(AppError::NotFound("session"))?;
        let target = Target {
            organisation: owner.organisation_id,
            location: None,
            resource: Resource::Session,
        };
        let mut tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::Delete, target, "session").id(owner.id),
            )
            .await?;
        store::revoke_session(&mut tx, token_hash, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Break-glass: opens a location's records to the caller for an hour,
    /// with a reason; audited, and every privacy officer is told at once in
    /// the inbox and by e-mail.
    pub async fn open_emergency_access(
        &self,
        caller: &Caller,
        location: LocationId,
        reason: &str,
    ) -> Result<Timestamp, AppError> {
        self.require(caller, Resource::EmergencyAccess, Action::Create, None)
            .await?;
        let reason = reason.trim();
        if reason.chars().count() < 10 || reason.chars().count() > 500 {
            return Err(ValidationErrors::single(
                "reason",
                "describe the emergency in 10 to 500 characters",
            )
            .into());
        }
        let mut tx = self.store.write().await?;
        let loc = tenancy::find_location(&mut tx, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let target = Target {
            organisation: loc.organisation_id,
            location: None,
            resource: Resource::EmergencyAccess,
        };
        let mut tx = self
            .guard(
                tx,
                caller,
                Act::new(Action::Create, target, "emergency access").id(location),
            )
            .await?;
        let now = self.now();
        let expires = now.plus_micros(EMERGENCY_ACCESS_MICROS);
        store::insert_grant(
            &mut tx,
            loc.organisation_id,
            &GrantEntry {
                id: EmergencyGrantId::new(now, self.random_id_bits()),
                user_id: caller.actor.user_id,
                location_id: location,
                reason: reason.to_string(),
                started_at: now,
                expires_at: expires,
            },
        )
        .await?;
        let mut e = self.audit_event(
            Some(caller),
            AuditAction::EmergencyAccess,
            Resource::EmergencyAccess,
            Outcome::Allowed,
        );
        e.resource_id = Some(location.to_string());
        e.emergency = true;
        e.detail = Some(reason.to_string());
        audit::append(&mut tx, e).await?;
        let (me, _) = store::get_user(&mut tx, caller.actor.user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        // Names and the location only: the reason may hold PHI, so it stays
        // in the audit trail and the in-app inbox, not in e-mail.
        let subject = "Emergency access opened";
        let body = format!(
            "{} opened emergency access to {} until {}.",
            me.display_name, loc.name, expires
        );
        for (officer, email) in
            store::users_with_role(&mut tx, loc.organisation_id, Role::PrivacyOfficer.as_str())
                .await?
        {
            let id = MessageId::new(now, self.random_id_bits()).to_string();
            store::insert_inbox_message(
                &mut tx,
                &id,
                officer,
                subject,
                &format!("{body} Reason: {reason}"),
                now,
            )
            .await?;
            let id = MessageId::new(now, self.random_id_bits()).to_string();
            kerato_store::outbox::queue_email(
                &mut tx,
                &id,
                &email,
                subject,
                &format!("{body} Review it in Kerato's break-glass log."),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(expires)
    }

    /// Every location of the organisation, for choosing where to open
    /// emergency access (it is meant for places outside one's own).
    pub async fn emergency_locations(
        &self,
        caller: &Caller,
    ) -> Result<Vec<kerato_domain::tenancy::Location>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(
                caller,
                Action::View,
                Resource::EmergencyAccess,
                "emergency access",
            )
            .await?;
        let all = tenancy::list_locations(&mut tx, org).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Display names of the organisation's users, for labelling lists.
    pub async fn user_names(&self, caller: &Caller) -> Result<HashMap<UserId, String>, AppError> {
        Ok(self
            .list_users(caller)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect())
    }

    /// Names of all the organisation's locations, for labelling and for
    /// assigning staff; a location's name is not protected data.
    pub async fn location_names(
        &self,
        caller: &Caller,
    ) -> Result<std::collections::BTreeMap<LocationId, String>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Location, "locations")
            .await?;
        let all = tenancy::list_locations(&mut tx, org).await?;
        tx.commit().await?;
        Ok(all.into_iter().map(|l| (l.id, l.name)).collect())
    }

    /// Every break-glass grant of the organisation, newest first.
    pub async fn emergency_log(&self, caller: &Caller) -> Result<Vec<GrantEntry>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::EmergencyAccess,
                "emergency access",
            )
            .await?;
        let grants = store::list_grants(&mut tx, org).await?;
        tx.commit().await?;
        Ok(grants)
    }

    /// The caller's own inbox: no permission needed beyond being signed in.
    pub async fn inbox(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(String, String, Timestamp)>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(store::inbox(&mut tx, caller.actor.user_id).await?)
    }

    /// Whether every role must use MFA, and the idle timeout in minutes.
    pub async fn security_settings(&self, caller: &Caller) -> Result<(bool, i64), AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(
                caller,
                Action::View,
                Resource::Organisation,
                "security settings",
            )
            .await?;
        let settings = store::organisation_security(&mut tx, org).await?;
        tx.commit().await?;
        Ok(settings)
    }

    pub async fn set_security_settings(
        &self,
        caller: &Caller,
        mfa_required_for_all: bool,
        idle_minutes: i64,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        SessionPolicy::new(idle_minutes)
            .map_err(|m| ValidationErrors::single("idle_minutes", m))?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let old = store::organisation_security(&mut tx, org).await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::Organisation,
        };
        let act = Act::new(Action::Update, target, "security settings")
            .old(&serde_json::json!({"mfa_required_for_all": old.0, "idle_minutes": old.1}))
            .new_value(&serde_json::json!({"mfa_required_for_all": mfa_required_for_all, "idle_minutes": idle_minutes}));
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_organisation_security(&mut tx, org, mfa_required_for_all, idle_minutes).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The account fields recorded in the audit trail (never secrets).
fn user_json(u: &User) -> serde_json::Value {
    let locations: Vec<String> = match &u.locations {
        LocationScope::All => vec!["*".into()],
        LocationScope::Only(s) => s.iter().map(ToString::to_string).collect(),
    };
    serde_json::json!({
        "email": u.email,
        "display_name": u.display_name,
        "role": u.role.as_str(),
        "locations": locations,
        "active": u.active,
    })
}

/// Whether a role may open break-glass access (for showing the button).
pub fn may_open_emergency_access(role: Role) -> bool {
    role_permits(role, Resource::EmergencyAccess, Action::Create)
}
