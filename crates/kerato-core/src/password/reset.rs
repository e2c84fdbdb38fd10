//! Password recovery by e-mail, as rules both deployments share: how long a
//! link works, how often one may be asked for, the answers a person sees,
//! and the message that carries the link.
//!
//! A request always gets the same answer, whether or not an account uses
//! the address, so the form cannot be used to learn who has an account.
//! The rate limits count requests by address and by client whether or not
//! the address is known, for the same reason. Only keys derived from the
//! address and the client are stored for counting (never the address typed),
//! and only the SHA-256 of a link's token.

use sha2::{Digest, Sha256};

use crate::session::MINUTE_MICROS;
use crate::time::Timestamp;

/// How long a reset link works after it was sent.
pub const LINK_MINUTES: i64 = 30;
pub const LINK_MICROS: i64 = LINK_MINUTES * MINUTE_MICROS;

/// The window the rate limits count requests in.
pub const WINDOW_MICROS: i64 = 60 * MINUTE_MICROS;
/// Links one address may be sent in the window (by self-service).
pub const PER_ADDRESS: i64 = 3;
/// Requests one client address may make in the window, for any addresses.
pub const PER_CLIENT: i64 = 10;
/// Request records older than this are deleted: they serve only the rate
/// limit (an hour) and the link's life (30 minutes).
pub const KEEP_MICROS: i64 = 24 * 60 * MINUTE_MICROS;

/// Every request is answered no sooner than this after it arrived, so the
/// time taken does not tell whether a message was queued.
pub const ANSWER_FLOOR: std::time::Duration = std::time::Duration::from_millis(300);

/// The one answer to a request, whether or not an account uses the address.
pub const REQUESTED: &str = "If an account uses this address, a link to choose a new password is on its way to it. The link works once, within 30 minutes. If nothing arrives, check the address and your spam folder, or ask your administrator.";

/// The answer once the rate limit is reached (the same for every address).
pub const TOO_MANY: &str = "Too many password reset links were asked for this address or from this network in the last hour; wait an hour, then ask again.";

/// The answer to a link that is unknown, used or expired.
pub const LINK_UNUSABLE: &str = "This link has expired or was already used; ask for a new one.";

crate::string_enum!(
    /// How an administrator resets someone's password.
    ResetMode {
        Link = "link", "E-mail a reset link";
        TemporaryPassword = "temporary_password", "Set a temporary password";
    }
);

fn keyed(purpose: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(purpose.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    hex::encode(h.finalize())
}

/// The key a request is counted under for its address (already normalised:
/// trimmed and lower-cased), stored instead of the address itself.
pub fn address_key(normalised_email: &str) -> String {
    keyed("kerato password reset address", normalised_email)
}

/// The key a request is counted under for its client address; requests
/// whose client is unknown share one key.
pub fn client_key(client: Option<&str>) -> String {
    keyed("kerato password reset client", client.unwrap_or("unknown"))
}

/// When a link sent at `now` stops working.
pub fn expires_at(now: Timestamp) -> Timestamp {
    now.plus_micros(LINK_MICROS)
}

/// Whether a link still works: unused, and `now` is before its expiry.
pub fn usable(expires_at: Timestamp, used_at: Option<Timestamp>, now: Timestamp) -> bool {
    used_at.is_none() && now < expires_at
}

/// Whether one more request is allowed, given how many the address and
/// the client made in the window before it.
pub fn within_limits(by_address: i64, by_client: i64) -> bool {
    by_address < PER_ADDRESS && by_client < PER_CLIENT
}

/// Whether a token has the shape of one this system issues (64 hex
/// digits); anything else is refused without a look-up.
pub fn token_shape_ok(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The subject and body of the message that carries a link. No detail of
/// the account beyond the address it goes to.
pub fn message(link: &str, signed: &str, by_administrator: bool) -> (&'static str, String) {
    let who = if by_administrator {
        "An administrator asked for a new password for the account that uses this address."
    } else {
        "Someone, hopefully you, asked for a new password for the account that uses this address."
    };
    let body = format!(
        "{who}\n\nChoose the new password here (the link works once, within {LINK_MINUTES} minutes):\n{link}\n\n\
         If you did not ask for this, ignore this message: your password stays as it is.\n\
         After the change, every session of the account ends, and signing in still asks for your second factor.\n\n{signed}\n"
    );
    ("Choose a new password", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_link_works_until_thirty_minutes_have_passed() {
        let sent = Timestamp::from_micros(1_000_000_000);
        let until = expires_at(sent);
        let second = 1_000_000;
        assert!(usable(until, None, sent));
        assert!(usable(until, None, until.plus_micros(-second)));
        assert!(!usable(until, None, until));
        assert!(!usable(until, None, until.plus_micros(second)));
        assert!(!usable(until, Some(sent), sent), "a used link works again");
    }

    #[test]
    fn the_limits_are_three_per_address_and_ten_per_client() {
        assert!(within_limits(2, 9));
        assert!(!within_limits(3, 0));
        assert!(!within_limits(0, 10));
    }

    #[test]
    fn keys_hide_the_address_and_differ_by_purpose() {
        let a = address_key("ann@clinic.example");
        assert_eq!(a.len(), 64);
        assert!(!a.contains("ann"));
        assert_eq!(a, address_key("ann@clinic.example"));
        assert_ne!(a, client_key(Some("ann@clinic.example")));
        assert_eq!(client_key(None), client_key(Some("unknown")));
    }

    #[test]
    fn the_message_carries_the_link_and_no_account_detail() {
        let (subject, body) = message("https://clinic.example/password/reset/ab", "Kerato", false);
        assert_eq!(subject, "Choose a new password");
        assert!(body.contains("https://clinic.example/password/reset/ab"));
        assert!(body.contains("30 minutes"));
        let (_, body) = message("x", "Kerato", true);
        assert!(body.starts_with("An administrator"));
    }

    proptest! {
        #[test]
        fn only_64_hex_digits_look_like_a_token(s in "\\PC{0,80}") {
            let hex = s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit());
            prop_assert_eq!(token_shape_ok(&s), hex);
        }
    }
}
