//! Use-case helpers: hashing and checking passwords off the async threads.

use kerato_core::ValidationErrors;

use crate::accounts::rules::new_token;
use crate::web::SiteError;

/// Hashes on a blocking thread: argon2id takes tens of milliseconds.
pub(crate) async fn hash_password(password: String) -> Result<String, SiteError> {
    tokio::task::spawn_blocking(move || kerato_core::password::hash(&password))
        .await
        .map_err(|_| SiteError::Internal("the password hasher stopped".into()))?
        .map_err(|_| SiteError::Internal("the password could not be hashed".into()))
}

pub(crate) fn check_password(
    errors: &mut ValidationErrors,
    password: &str,
    confirm: &str,
    personal: &[&str],
) {
    kerato_core::password::check_new_password_twice(
        errors,
        ["password", "confirm"],
        password,
        Some(confirm),
        personal,
    );
}

/// A hash verified against when the address is unknown, so that case costs
/// the same time as a wrong password and does not reveal who has a user.
pub(crate) static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub(crate) async fn verify_password(password: String, hash: Option<String>) -> bool {
    let hash = match hash {
        Some(h) => h,
        None => match DUMMY_HASH.get() {
            Some(h) => h.clone(),
            None => {
                let h = crate::accounts::passwords::hash_password(new_token())
                    .await
                    .unwrap_or_default();
                DUMMY_HASH.get_or_init(|| h).clone()
            }
        },
    };
    tokio::task::spawn_blocking(move || kerato_core::password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}
