//! Password rules per NIST SP 800-63B §3.1.1.2: a length floor, no
//! composition rules, and a blocklist of passwords known to be common.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::ValidationErrors;

pub mod reset;

pub const MIN_CHARS: usize = 12;
/// Long passphrases are welcome; the ceiling only bounds hashing work.
pub const MAX_CHARS: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

/// Checks a new password. `personal` holds words that must not be the
/// password's core (the user's e-mail name, their own name).
pub fn check_new_password(password: &str, personal: &[&str]) -> Result<(), String> {
    let count = password.chars().count();
    if count < MIN_CHARS {
        return Err(format!(
            "use at least {MIN_CHARS} characters (this one has {count}); a few unrelated words make a good password"
        ));
    }
    if count > MAX_CHARS {
        return Err(format!(
            "use at most {MAX_CHARS} characters (this one has {count})"
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err(
            "this password is on the list of commonly used passwords; choose another".into(),
        );
    }
    let distinct: HashSet<char> = lower.chars().collect();
    if distinct.len() < 4 {
        return Err("this password repeats too few characters; choose another".into());
    }
    for word in personal {
        let word = word.trim().to_lowercase();
        if word.chars().count() >= 4 && lower.contains(&word) {
            return Err("the password must not contain your name or e-mail address".into());
        }
    }
    Ok(())
}

/// Checks a new password chosen on a form that asks for it twice: the
/// rules of [`check_new_password`] on `fields[0]`, then whether the
/// confirmation in `fields[1]` matches. An API client that sends the
/// password once passes no confirmation.
pub fn check_new_password_twice(
    errors: &mut ValidationErrors,
    fields: [&str; 2],
    password: &str,
    confirmation: Option<&str>,
    personal: &[&str],
) {
    if let Err(m) = check_new_password(password, personal) {
        errors.add(fields[0], m);
    } else if confirmation.is_some_and(|c| c != password) {
        errors.add(
            fields[1],
            "the two passwords differ; type the same password twice",
        );
    }
}

/// Hashes a password with argon2id at its default parameters (m=19456 KiB,
/// t=2, p=1: OWASP's minimum) into a PHC string. It takes tens of
/// milliseconds of CPU, so async callers run it on a blocking thread.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
}

/// Whether `password` matches a PHC string made by [`hash`]; a malformed
/// hash matches nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_blocklist() {
        assert!(
            check_new_password("short", &[])
                .unwrap_err()
                .contains("at least 12")
        );
        assert!(
            check_new_password("passwordpassword", &[])
                .unwrap_err()
                .contains("commonly used")
        );
        assert!(
            check_new_password("PasswordPassword", &[])
                .unwrap_err()
                .contains("commonly used")
        );
        assert!(
            check_new_password(&"ab".repeat(10), &[])
                .unwrap_err()
                .contains("too few")
        );
        assert!(check_new_password(&"x".repeat(129), &[]).is_err());
        assert!(check_new_password("correct horse battery staple", &[]).is_ok());
        // No composition rules: lower-case words alone are fine.
        assert!(check_new_password("lantern orchard pebble", &[]).is_ok());
    }

    #[test]
    fn personal_words_are_refused() {
        let err = check_new_password("dr.okafor-lantern-99", &["okafor"]).unwrap_err();
        assert!(err.contains("your name"));
    }

    #[test]
    fn a_confirmation_must_match_a_good_password() {
        let fields = ["new_password", "confirmation"];
        let good = "lantern orchard pebble";
        let mut e = ValidationErrors::new();
        check_new_password_twice(&mut e, fields, good, Some(good), &[]);
        check_new_password_twice(&mut e, fields, good, None, &[]);
        assert!(e.is_empty(), "{e}");
        check_new_password_twice(&mut e, fields, good, Some("lantern orchard pebbles"), &[]);
        assert!(
            e.for_field("confirmation")
                .is_some_and(|m| m.contains("differ"))
        );
        // A bad password is named first; the confirmation is not judged then.
        let mut e = ValidationErrors::new();
        check_new_password_twice(&mut e, fields, "short", Some("other"), &[]);
        assert_eq!(e.errors.len(), 1);
        assert!(e.for_field("new_password").is_some());
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(COMMON.len() > 40_000);
    }
}
