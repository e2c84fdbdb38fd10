//! The rules Kerato's two deployments share: time, validation errors,
//! passwords and one-time codes, typed IDs, business calendars, and the
//! privacy program (consent, rights requests and their legal clocks,
//! retention schedules, policy notices, the PHI guard).
//!
//! The clinic's domain (`kerato-domain`) re-exports these modules under the
//! same names; the vendor site (`kerato-site`) uses them directly and so
//! depends on nothing clinical. Like the domain, nothing here does I/O,
//! runs async code or reads the wall clock.

/// A closed set of words stored and sent as text: `ALL`, `as_str` (the
/// stored form, also `Display`), `label` (for people), and `FromStr` with a
/// message listing the accepted words. Defined before the modules so every
/// one of them can use it.
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let all: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!(
                        "{:?} is not a valid {}: use one of {}",
                        s.chars().take(40).collect::<String>(),
                        stringify!($name).to_lowercase(),
                        all.join(", ")
                    )
                })
            }
        }
    };
}

pub mod calendar;
pub mod consent;
pub mod error;
pub mod ids;
pub mod input;
pub mod password;
pub mod phi_guard;
pub mod policy;
pub mod retention;
pub mod rights_request;
pub mod secret;
pub mod session;
pub mod telemetry;
pub mod time;
pub mod totp;
pub mod us_states;

pub use error::{FieldError, ValidationErrors};
