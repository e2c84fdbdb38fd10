//! Signing in, as pure rules both deployments share: the e-mail address a
//! person signs in with, session limits, and the lockout after failed
//! attempts.

use crate::time::Timestamp;

/// Validates a sign-in e-mail address: one `@`, a dot in the domain, no
/// spaces, at most 254 characters. Returns it lower-cased.
pub fn normalise_email(email: &str) -> Result<String, String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(e)
    } else {
        Err(format!(
            "{:?} is not an e-mail address; write it like name@example.com",
            email.chars().take(60).collect::<String>()
        ))
    }
}

/// Session limits. Idle is configurable from 1 to 30 minutes (HIPAA
/// automatic logoff; ONC d5); the absolute limit forces a fresh sign-in daily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_micros: i64,
    pub absolute_micros: i64,
}

pub const MINUTE_MICROS: i64 = 60 * 1_000_000;
pub const MAX_IDLE_MINUTES: i64 = 30;

impl SessionPolicy {
    pub fn new(idle_minutes: i64) -> Result<Self, String> {
        if !(1..=MAX_IDLE_MINUTES).contains(&idle_minutes) {
            return Err(format!(
                "the idle timeout must be between 1 and {MAX_IDLE_MINUTES} minutes, not {idle_minutes}"
            ));
        }
        Ok(Self {
            idle_micros: idle_minutes * MINUTE_MICROS,
            absolute_micros: 12 * 60 * MINUTE_MICROS,
        })
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_micros: 15 * MINUTE_MICROS,
            absolute_micros: 12 * 60 * MINUTE_MICROS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Active,
    IdleExpired,
    AbsoluteExpired,
}

pub fn session_state(
    policy: SessionPolicy,
    created_at: Timestamp,
    last_seen_at: Timestamp,
    now: Timestamp,
) -> SessionState {
    if now.as_micros() - created_at.as_micros() >= policy.absolute_micros {
        SessionState::AbsoluteExpired
    } else if now.as_micros() - last_seen_at.as_micros() >= policy.idle_micros {
        SessionState::IdleExpired
    } else {
        SessionState::Active
    }
}

/// Failed sign-ins before an account locks, and for how long it locks.
pub const LOCKOUT_THRESHOLD: i64 = 5;
pub const LOCKOUT_MICROS: i64 = 15 * MINUTE_MICROS;

/// After a failed sign-in: the new failure count and, if it reached the
/// threshold, when the lock ends (the count restarts then).
pub fn after_failed_login(failures_before: i64, now: Timestamp) -> (i64, Option<Timestamp>) {
    let failures = failures_before + 1;
    if failures >= LOCKOUT_THRESHOLD {
        (0, Some(now.plus_micros(LOCKOUT_MICROS)))
    } else {
        (failures, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let now = Timestamp::from_micros(0);
        let mut count = 0;
        for _ in 0..4 {
            let (c, lock) = after_failed_login(count, now);
            assert!(lock.is_none());
            count = c;
        }
        let (c, lock) = after_failed_login(count, now);
        assert_eq!((c, lock), (0, Some(Timestamp::from_micros(LOCKOUT_MICROS))));
    }

    #[test]
    fn emails_are_checked_and_lower_cased() {
        assert_eq!(
            normalise_email(" Dr.Okafor@Clinic.Example ").unwrap(),
            "dr.okafor@clinic.example"
        );
        for bad in [
            "", "no-at", "a@b", "a@@b.c", "a b@c.d", "@c.d", "a@.c", "a@c.",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
