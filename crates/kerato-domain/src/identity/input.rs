//! The sign-in and account forms and bodies, parsed once. Sign-in refuses
//! nothing here: a wrong or missing address, password or code gets the one
//! answer the use case gives, so that it tells an attacker nothing.

use crate::ValidationErrors;
use crate::ids::LocationId;
use crate::input::ParseInput;

/// An e-mail address and password.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = SignInBody))]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    pub email: String,
    pub password: String,
}

/// What a person signs in with, as typed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SignInCredentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for SignInCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A password never goes into a log line.
        f.debug_struct("SignInCredentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl ParseInput for SignInCredentials {
    type Raw = SignInBody;

    fn parse(raw: SignInBody) -> Result<Self, ValidationErrors> {
        Ok(Self {
            email: raw.email,
            password: raw.password,
        })
    }
}

/// A code from the authenticator app, or a recovery code.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CodeBody))]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

/// A one-time code as typed; the use case says whether it matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneTimeCode(pub String);

impl ParseInput for OneTimeCode {
    type Raw = CodeBody;

    fn parse(raw: CodeBody) -> Result<Self, ValidationErrors> {
        Ok(Self(raw.code))
    }
}

/// The password the invited person chooses.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = AcceptBody))]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// 12 to 128 characters, not a common password, not the person's name.
    pub new_password: String,
}

/// A password chosen from an invitation. How strong it must be depends on
/// whose it is, which the use case knows.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChosenPassword(pub String);

impl std::fmt::Debug for ChosenPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChosenPassword(..)")
    }
}

impl ParseInput for ChosenPassword {
    type Raw = AcceptBody;

    fn parse(raw: AcceptBody) -> Result<Self, ValidationErrors> {
        Ok(Self(raw.new_password))
    }
}

/// The break-glass form: where, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EmergencyInput {
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub reason: String,
}

/// Emergency access asked for: a location of the practice's, and the
/// reason as typed (the use case says whether it is enough).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyRequest {
    pub location: LocationId,
    pub reason: String,
}

impl ParseInput for EmergencyRequest {
    type Raw = EmergencyInput;

    fn parse(raw: EmergencyInput) -> Result<Self, ValidationErrors> {
        match raw.location.trim().parse() {
            Ok(location) => Ok(Self {
                location,
                reason: raw.reason,
            }),
            Err(_) => Err(ValidationErrors::single(
                "location",
                "choose a location from the list",
            )),
        }
    }
}

/// The session form of the administrators' sessions page.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct SessionKeyInput {
    #[serde(default)]
    pub session: String,
}

/// A session as the sessions page names it: the hash of its token, 64
/// hexadecimal digits (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey(pub String);

impl ParseInput for SessionKey {
    type Raw = SessionKeyInput;

    fn parse(raw: SessionKeyInput) -> Result<Self, ValidationErrors> {
        let key = raw.session;
        if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(key))
        } else {
            Err(ValidationErrors::single(
                "session",
                "no such session; reload the list",
            ))
        }
    }
}

/// The security settings form: a ticked box sends `1`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct SecurityInput {
    #[serde(default)]
    pub mfa_required_for_all: Option<String>,
    #[serde(default)]
    pub idle_minutes: String,
}

/// The practice's sign-in rules as typed: whether everyone needs a second
/// factor, and after how many idle minutes a session ends (the use case
/// holds the bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecuritySettings {
    pub mfa_required_for_all: bool,
    pub idle_minutes: i64,
}

impl ParseInput for SecuritySettings {
    type Raw = SecurityInput;

    fn parse(raw: SecurityInput) -> Result<Self, ValidationErrors> {
        match raw.idle_minutes.trim().parse() {
            Ok(idle_minutes) => Ok(Self {
                mfa_required_for_all: raw.mfa_required_for_all.as_deref() == Some("1"),
                idle_minutes,
            }),
            Err(_) => Err(ValidationErrors::single(
                "idle_minutes",
                "enter a whole number of minutes from 1 to 30",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_account_forms_read_what_was_typed() {
        let c = SignInCredentials::parse(SignInBody {
            email: "olive@x.example".into(),
            password: "hunter2".into(),
        })
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"), "no password in logs");
        let e = EmergencyRequest::parse(EmergencyInput {
            location: "nowhere".into(),
            reason: "code blue".into(),
        })
        .unwrap_err();
        assert!(e.for_field("location").is_some());
        let s = SecuritySettings::parse(SecurityInput {
            mfa_required_for_all: Some("1".into()),
            idle_minutes: " 15 ".into(),
        })
        .unwrap();
        assert_eq!((s.mfa_required_for_all, s.idle_minutes), (true, 15));
        let bad = SecuritySettings::parse(SecurityInput {
            mfa_required_for_all: None,
            idle_minutes: "a while".into(),
        })
        .unwrap_err();
        assert!(bad.for_field("idle_minutes").is_some());
        assert!(
            SessionKey::parse(SessionKeyInput {
                session: "ab".repeat(32)
            })
            .is_ok()
        );
        assert!(
            SessionKey::parse(SessionKeyInput {
                session: "zz".repeat(32)
            })
            .is_err()
        );
    }

    proptest! {
        #[test]
        fn a_session_key_is_64_hex_digits(key in "[0-9a-fA-Fg-z]{0,70}") {
            let ok = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
            prop_assert_eq!(SessionKey::parse(SessionKeyInput { session: key }).is_ok(), ok);
        }
    }
}
