//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30-second
//! steps), the kind every authenticator app reads from an `otpauth://` QR.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::time::Timestamp;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps either side of now that are accepted, for clock drift on phones.
pub const DRIFT_STEPS: i64 = 1;

/// A TOTP secret: 20 random bytes (160 bits, as RFC 4226 recommends).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes.to_vec())
    }

    /// Base32 without padding, as authenticator apps expect.
    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    pub fn from_base32(text: &str) -> Result<Self, String> {
        data_encoding::BASE32_NOPAD
            .decode(text.trim().to_ascii_uppercase().as_bytes())
            .map(Self)
            .map_err(|_| "the stored TOTP secret is not base32".to_string())
    }

    /// The `otpauth://` URI for enrolment.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            enc(issuer),
            enc(account),
            self.to_base32(),
            enc(issuer)
        )
    }
}

/// The step number for an instant.
pub fn step_at(now: Timestamp) -> i64 {
    now.as_micros()
        .div_euclid(1_000_000)
        .div_euclid(STEP_SECONDS)
}

/// The code for a step (HOTP of the step counter, RFC 4226 §5.3).
pub fn code_for_step(secret: &TotpSecret, step: i64, digits: u32) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&secret.0) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    let modulus = 10u32.pow(digits);
    format!("{:0width$}", binary % modulus, width = digits as usize)
}

/// The step whose code matches, within the drift window, if any. The caller
/// must refuse a step at or before the last one accepted (replay).
pub fn matching_step(secret: &TotpSecret, code: &str, now: Timestamp) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    (current - DRIFT_STEPS..=current + DRIFT_STEPS).find(|s| {
        let expected = code_for_step(secret, *s, DIGITS);
        constant_time_eq(&expected, &code)
    })
}

/// Compares two secrets in time that does not depend on where they first
/// differ, so response times do not leak how much of a guess was right.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    /// RFC 6238 appendix B, SHA-1 rows (8 digits).
    #[test]
    fn rfc_6238_test_vectors() {
        for (unix, expected) in [
            (59i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = step_at(Timestamp::from_micros(unix * 1_000_000));
            assert_eq!(code_for_step(&rfc_secret(), step, 8), expected, "T={unix}");
        }
    }

    #[test]
    fn drift_window_and_malformed_codes() {
        let now = Timestamp::from_micros(1_700_000_000_000_000);
        let s = rfc_secret();
        let step = step_at(now);
        let prev = code_for_step(&s, step - 1, DIGITS);
        assert_eq!(matching_step(&s, &prev, now), Some(step - 1));
        let far = code_for_step(&s, step - 3, DIGITS);
        assert_eq!(matching_step(&s, &far, now), None);
        for bad in ["", "12345", "1234567", "abcdef"] {
            assert_eq!(matching_step(&s, bad, now), None);
        }
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn otpauth_uri_shape() {
        let uri = rfc_secret().otpauth_uri("Kerato", "dr.okafor@clinic.example");
        assert!(uri.starts_with(
            "otpauth://totp/Kerato:dr.okafor@clinic.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        ));
        assert!(uri.contains("&issuer=Kerato") && uri.contains("&digits=6&period=30"));
    }

    proptest! {
        #[test]
        fn base32_round_trips(bytes: [u8; 20]) {
            let s = TotpSecret::from_bytes(bytes);
            prop_assert_eq!(TotpSecret::from_base32(&s.to_base32()).unwrap(), s);
        }

        #[test]
        fn the_current_code_always_matches(bytes: [u8; 20], secs in 0i64..4_000_000_000) {
            let s = TotpSecret::from_bytes(bytes);
            let now = Timestamp::from_micros(secs * 1_000_000);
            let code = code_for_step(&s, step_at(now), DIGITS);
            prop_assert_eq!(matching_step(&s, &code, now), Some(step_at(now)));
        }
    }
}
