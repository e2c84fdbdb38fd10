//! Typed identifiers.
//!
//! Every entity has its own ID type so an organisation ID can never be passed
//! where a location ID is expected. IDs are UUIDv7: time-ordered, which keeps
//! B-tree inserts local, and built from the caller's clock reading and random
//! bytes so this crate never reads the clock itself.

use std::fmt;
use std::str::FromStr;

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

/// Builds the UUIDv7 for `now` with the given random bytes (74 bits used).
/// Instants before 1970 cannot occur in practice and map to the epoch.
pub fn uuid_v7(now: Timestamp, random: [u8; 10]) -> uuid::Uuid {
    let millis = u64::try_from(now.as_micros().div_euclid(1_000)).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new ID for an entity created at `now`.
            pub fn new(now: Timestamp, random: [u8; 10]) -> Self {
                Self(uuid_v7(now, random))
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            /// Accepts only the canonical hyphenated lower- or upper-case form,
            /// so IDs in URLs and files have exactly one spelling.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let err = || IdParseError {
                    kind: $kind,
                    shown: s.chars().take(40).collect(),
                };
                if s.len() != 36 {
                    return Err(err());
                }
                uuid::Uuid::try_parse(s).map(Self).map_err(|_| err())
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }
    };
}

typed_id!(
    /// An organisation: one practice, or a group of practices.
    OrganisationId,
    "organisation"
);
typed_id!(
    /// A location (clinic or shop) of an organisation.
    LocationId,
    "location"
);

typed_id!(
    /// A biopsy in the closed-loop biopsy log: one specimen from order to
    /// closure.
    BiopsyId,
    "biopsy"
);
typed_id!(
    /// A staff account.
    UserId,
    "user"
);
typed_id!(
    /// A patient's chart.
    PatientId,
    "patient"
);
typed_id!(
    /// A provider who sees patients (a physician, optometrist, …).
    ProviderId,
    "provider"
);
typed_id!(
    /// A kind of appointment (new patient exam, biopsy, …).
    AppointmentTypeId,
    "appointment type"
);
typed_id!(
    /// One booked appointment.
    AppointmentId,
    "appointment"
);
typed_id!(
    /// An insurance coverage of a patient.
    CoverageId,
    "coverage"
);
typed_id!(
    /// One audit event.
    AuditEventId,
    "audit event"
);
typed_id!(
    /// One recorded disclosure of PHI.
    DisclosureId,
    "disclosure"
);
typed_id!(
    /// A message: an inbox entry or a queued e-mail.
    MessageId,
    "message"
);
typed_id!(
    /// One break-glass grant.
    EmergencyGrantId,
    "emergency grant"
);
typed_id!(
    /// A room, pretest lane or device an appointment occupies.
    ResourceId,
    "resource"
);
typed_id!(
    /// A weekly break or a dated closure in a schedule.
    BlockId,
    "schedule block"
);
typed_id!(
    /// A recurring series of appointments.
    SeriesId,
    "appointment series"
);
typed_id!(
    /// A patient's place on the waitlist.
    WaitlistEntryId,
    "waitlist entry"
);
typed_id!(
    /// A kind of recall (annual eye exam, full-skin check, …).
    RecallTypeId,
    "recall type"
);
typed_id!(
    /// One patient's recall, due on a date.
    RecallId,
    "recall"
);

typed_id!(
    /// One eye exam (a visit's structured record).
    ExamId,
    "exam"
);

typed_id!(
    /// An issued spectacle or contact lens prescription.
    PrescriptionId,
    "prescription"
);

typed_id!(
    /// A contact lens seller's verification request or an agent's request
    /// for a copy of a prescription.
    RxRequestId,
    "prescription request"
);

typed_id!(
    /// A skin lesion followed across visits.
    LesionId,
    "lesion"
);

typed_id!(
    /// A clinical photo.
    PhotoId,
    "photo"
);

typed_id!(
    /// One entry of the consent registry's history.
    ConsentId,
    "consent record"
);

typed_id!(
    /// A procedure done in a visit, with its note and charge proposal.
    ProcedureId,
    "procedure"
);

typed_id!(
    /// A privacy rights request (access, correction, deletion, opt-out, …)
    /// with its legal clock.
    RightsRequestId,
    "rights request"
);

typed_id!(
    /// A legal hold, which stops the retention job deleting what it covers.
    LegalHoldId,
    "legal hold"
);

typed_id!(
    /// One run of the retention job for one practice.
    RetentionRunId,
    "retention run"
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
            let err = bad.parse::<LocationId>().unwrap_err();
            assert!(err.to_string().contains("not a valid ID"), "{bad}");
        }
    }

    #[test]
    fn ids_are_version_7_and_time_ordered() {
        let early = LocationId::new(Timestamp::from_micros(1_700_000_000_000_000), [0xff; 10]);
        let late = LocationId::new(Timestamp::from_micros(1_700_000_000_001_000), [0; 10]);
        assert_eq!(early.as_uuid().get_version_num(), 7);
        assert!(
            early < late,
            "a later millisecond sorts later whatever the random bits"
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(micros in 0i64..4_000_000_000_000_000, random: [u8; 10]) {
            let id = OrganisationId::new(Timestamp::from_micros(micros), random);
            let parsed: OrganisationId = id.to_string().parse().unwrap();
            prop_assert_eq!(parsed, id);
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<OrganisationId>(&json).unwrap(), id);
        }

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,64}") {
            let _ = s.parse::<OrganisationId>();
        }
    }
}
