//! The waitlist: patients who want an earlier appointment, and the offer
//! made to one of them when a slot frees.

use jiff::civil::Date;

use crate::ValidationErrors;
use crate::ids::{
    AppointmentId, AppointmentTypeId, LocationId, OrganisationId, PatientId, ProviderId,
    WaitlistEntryId, parse_field,
};
use crate::input::ParseInput;
use crate::scheduling::booking::{local_date, optional_id};
use crate::time::Timestamp;

string_enum!(
    /// Where a waitlist entry stands.
    WaitlistStatus {
        Waiting = "waiting", "Waiting";
        Offered = "offered", "Offered a slot";
        Booked = "booked", "Booked";
        Removed = "removed", "Removed";
    }
);

/// An offer of a freed slot to a waiting patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub provider_id: ProviderId,
    pub location_id: LocationId,
    pub starts_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A patient waiting for an earlier appointment of a type, with whom and
/// where they asked, between two local dates (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistEntry {
    pub id: WaitlistEntryId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub appointment_type_id: AppointmentTypeId,
    pub provider_id: Option<ProviderId>,
    pub location_id: Option<LocationId>,
    pub earliest_date: Date,
    pub latest_date: Date,
    pub note: String,
    pub status: WaitlistStatus,
    pub offer: Option<Offer>,
    pub appointment_id: Option<AppointmentId>,
    pub version: i64,
}

/// The longest note on a waitlist entry, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// A request to join the waitlist, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct WaitlistRequest {
    pub patient_id: String,
    pub appointment_type_id: String,
    /// Any provider when blank.
    pub provider_id: Option<String>,
    /// Any location when blank.
    pub location_id: Option<String>,
    /// Local dates, `YYYY-MM-DD`, inclusive.
    pub earliest_date: String,
    pub latest_date: String,
    pub note: String,
}

/// A request to join the waitlist, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistInput {
    pub patient_id: PatientId,
    pub appointment_type_id: AppointmentTypeId,
    pub provider_id: Option<ProviderId>,
    pub location_id: Option<LocationId>,
    pub earliest_date: Date,
    pub latest_date: Date,
    pub note: String,
}

impl ParseInput for WaitlistInput {
    type Raw = WaitlistRequest;

    fn parse(raw: WaitlistRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient_id = parse_field(&mut e, "patient_id", &raw.patient_id);
        let appointment_type_id =
            parse_field(&mut e, "appointment_type_id", &raw.appointment_type_id);
        let provider_id = optional_id(&mut e, "provider_id", raw.provider_id.as_deref());
        let location_id = optional_id(&mut e, "location_id", raw.location_id.as_deref());
        let earliest_date = local_date(&mut e, "earliest_date", &raw.earliest_date);
        let latest_date = local_date(&mut e, "latest_date", &raw.latest_date);
        if let (Some(a), Some(b)) = (earliest_date, latest_date)
            && b < a
        {
            e.add("latest_date", "the latest date comes before the earliest");
        }
        let note = raw.note.trim().to_string();
        if note.chars().count() > MAX_NOTE_CHARS {
            e.add(
                "note",
                format!("keep the note to {MAX_NOTE_CHARS} characters"),
            );
        }
        match (patient_id, appointment_type_id, earliest_date, latest_date) {
            (
                Some(patient_id),
                Some(appointment_type_id),
                Some(earliest_date),
                Some(latest_date),
            ) if e.is_empty() => Ok(Self {
                patient_id,
                appointment_type_id,
                provider_id,
                location_id,
                earliest_date,
                latest_date,
                note,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "0190b4a4-7d3c-7cc1-8f1e-5d7a3f0b9c21";

    fn request(earliest: &str, latest: &str) -> WaitlistRequest {
        WaitlistRequest {
            patient_id: ID.into(),
            appointment_type_id: ID.into(),
            provider_id: Some(String::new()),
            location_id: None,
            earliest_date: earliest.into(),
            latest_date: latest.into(),
            note: " call after 3 ".into(),
        }
    }

    #[test]
    fn blank_choices_mean_any_and_every_problem_is_named() {
        let w = WaitlistInput::parse(request("2027-01-04", "2027-01-08")).unwrap();
        assert_eq!((w.provider_id, w.location_id), (None, None));
        assert_eq!(w.note, "call after 3");
        let e = WaitlistInput::parse(WaitlistRequest {
            patient_id: "x".into(),
            provider_id: Some("y".into()),
            note: "n".repeat(MAX_NOTE_CHARS + 1),
            ..request("soon", "2027-01-08")
        })
        .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["patient_id", "provider_id", "earliest_date", "note"]
        );
    }

    proptest! {
        #[test]
        fn the_range_must_not_run_backwards(a in 0i64..60, b in 0i64..60) {
            let day = |n: i64| Date::new(2027, 1, 1).unwrap().checked_add(jiff::Span::new().days(n)).unwrap().to_string();
            let parsed = WaitlistInput::parse(request(&day(a), &day(b)));
            prop_assert_eq!(parsed.is_ok(), a <= b);
        }
    }
}
