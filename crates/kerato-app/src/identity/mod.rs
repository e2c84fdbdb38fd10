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

mod accounts;
mod emergency;
mod recovery;
mod sessions;
mod sign_in;

pub use emergency::may_open_emergency_access;
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
