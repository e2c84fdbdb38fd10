//! Typed identifiers.
//!
//! Every entity has its own ID type so an organisation ID can never be passed
//! where a location ID is expected. IDs are UUIDv7: time-ordered, which keeps
//! B-tree inserts local, and built from the caller's clock reading and random
//! bytes so this crate never reads the clock itself.

use crate::time::Timestamp;

/// The input was not a UUID in canonical hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{kind} ID {shown:?} is not a valid ID: expected a UUID like 0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f"
)]
pub struct IdParseError {
    kind: &'static str,
    shown: String,
}

impl IdParseError {
    /// The error for `input`, of which only the start is kept: enough to
    /// recognise it, never a whole pasted document.
    pub fn new(kind: &'static str, input: &str) -> Self {
        Self {
            kind,
            shown: input.chars().take(40).collect(),
        }
    }
}

/// Builds the UUIDv7 for `now` with the given random bytes (74 bits used).
/// Instants before 1970 cannot occur in practice and map to the epoch.
pub fn uuid_v7(now: Timestamp, random: [u8; 10]) -> uuid::Uuid {
    let millis = u64::try_from(now.as_micros().div_euclid(1_000)).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

/// Defines an ID type: a UUIDv7 newtype with one canonical text form.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new ID for an entity created at `now`.
            pub fn new(now: $crate::time::Timestamp, random: [u8; 10]) -> Self {
                Self($crate::ids::uuid_v7(now, random))
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ids::IdParseError;

            /// Accepts only the canonical hyphenated lower- or upper-case form,
            /// so IDs in URLs and files have exactly one spelling.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || $crate::ids::IdParseError::new($kind, s);
                if s.len() != 36 {
                    return Err(err());
                }
                uuid::Uuid::try_parse(s).map(Self).map_err(|_| err())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::ids::IdParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }
    };
}

typed_id!(
    /// A privacy rights request (access, correction, deletion, opt-out, …)
    /// with its legal clock.
    RightsRequestId,
    "rights request"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_is_not_a_uuid() {
        for bad in [
            "",
            "1",
            "not-a-uuid",
            "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6",
            "0190f5d27c1e7a3b9f001a2b3c4d5e6f",
            "{0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f}",
            "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6g",
        ] {
            let err = bad.parse::<RightsRequestId>().unwrap_err();
            assert!(err.to_string().contains("not a valid ID"), "{bad}");
        }
    }

    #[test]
    fn ids_are_version_7_and_time_ordered() {
        let early = RightsRequestId::new(Timestamp::from_micros(1_700_000_000_000_000), [0xff; 10]);
        let late = RightsRequestId::new(Timestamp::from_micros(1_700_000_000_001_000), [0; 10]);
        assert_eq!(early.as_uuid().get_version_num(), 7);
        assert!(
            early < late,
            "a later millisecond sorts later whatever the random bits"
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(micros in 0i64..4_000_000_000_000_000, random: [u8; 10]) {
            let id = RightsRequestId::new(Timestamp::from_micros(micros), random);
            let parsed: RightsRequestId = id.to_string().parse().unwrap();
            prop_assert_eq!(parsed, id);
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<RightsRequestId>(&json).unwrap(), id);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,64}") {
            let _ = s.parse::<RightsRequestId>();
        }
    }
}
