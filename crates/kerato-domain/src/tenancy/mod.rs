//! Tenancy: an organisation (one practice, or a group of practices) and its
//! locations. Every other record belongs to an organisation, and most to a
//! location, so these rules come first.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

mod input;

use crate::error::ValidationErrors;
use crate::ids::{LocationId, OrganisationId};
use crate::time::{TimeZoneName, Timestamp};
pub use input::{
    LocationBody, LocationChange, LocationForm, LocationFormInput, OrganisationBody,
    OrganisationName,
};
pub use kerato_core::us_states::US_STATES;

/// Longest accepted name of an organisation or location, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest accepted address line, in characters.
pub const MAX_ADDRESS_LINE_CHARS: usize = 120;
/// Longest accepted city name, in characters.
pub const MAX_CITY_CHARS: usize = 80;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// One practice, possibly with several locations.
    Practice,
    /// A group of practices under one administration.
    Group,
}

impl OrganisationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Practice => "practice",
            Self::Group => "group",
        }
    }
}

impl FromStr for OrganisationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "practice" => Ok(Self::Practice),
            "group" => Ok(Self::Group),
            other => Err(format!(
                "{other:?} is not an organisation kind: use practice or group"
            )),
        }
    }
}

/// What a location does; a location may do several.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Specialty {
    Dermatology,
    EyeCare,
    OpticalShop,
}

impl Specialty {
    pub const ALL: [Specialty; 3] = [Self::Dermatology, Self::EyeCare, Self::OpticalShop];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dermatology => "dermatology",
            Self::EyeCare => "eye_care",
            Self::OpticalShop => "optical_shop",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Dermatology => "Dermatology",
            Self::EyeCare => "Eye care",
            Self::OpticalShop => "Optical shop",
        }
    }
}

impl fmt::Display for Specialty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Specialty {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Specialty::ALL
            .into_iter()
            .find(|sp| sp.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{:?} is not a specialty: use dermatology, eye_care or optical_shop",
                    s.chars().take(40).collect::<String>()
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A US postal address, validated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// USPS two-letter code, upper case.
    pub state: String,
    /// Five digits, or ZIP+4 as `12345-6789`.
    pub zip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub id: LocationId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub time_zone: TimeZoneName,
    pub address: Address,
    pub specialties: BTreeSet<Specialty>,
    /// Incremented by every update; an update names the version it edits so
    /// two people editing the same location cannot silently overwrite each other.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A location as typed into a form or an API body, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub name: String,
    pub time_zone: String,
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub specialties: Vec<String>,
}

/// The validated content of a location, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationFields {
    pub name: String,
    pub time_zone: TimeZoneName,
    pub address: Address,
    pub specialties: BTreeSet<Specialty>,
}

/// Trims, collapses the empty string to "missing", and enforces a length
/// limit in characters (not bytes), reporting the limit it applied.
pub(crate) fn text_field(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        if required {
            errors.add(field, format!("{label} is required"));
        }
        return None;
    }
    let count = trimmed.chars().count();
    if count > max {
        errors.add(
            field,
            format!("{label} is {count} characters long; the limit is {max}"),
        );
        return None;
    }
    if trimmed.chars().any(char::is_control) {
        errors.add(
            field,
            format!("{label} contains control characters; remove them"),
        );
        return None;
    }
    Some(trimmed.to_string())
}

/// Validates an organisation or location name.
pub fn validate_name(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<String> {
    text_field(errors, field, "name", value, MAX_NAME_CHARS, true)
}

/// Five digits, or ZIP+4 written `12345-6789`.
pub fn is_zip(zip: &str) -> bool {
    let b = zip.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => digits(b),
        10 => digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]),
        _ => false,
    }
}

impl LocationInput {
    /// Checks every field and reports every problem at once.
    pub fn validate(&self) -> Result<LocationFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "name", &self.name);
        let time_zone = match TimeZoneName::parse(&self.time_zone) {
            Ok(tz) => Some(tz),
            Err(message) => {
                errors.add("time_zone", message);
                None
            }
        };
        let line1 = text_field(
            &mut errors,
            "address_line1",
            "address line 1",
            &self.address_line1,
            MAX_ADDRESS_LINE_CHARS,
            true,
        );
        let line2 = text_field(
            &mut errors,
            "address_line2",
            "address line 2",
            self.address_line2.as_deref().unwrap_or(""),
            MAX_ADDRESS_LINE_CHARS,
            false,
        );
        let city = text_field(
            &mut errors,
            "city",
            "city",
            &self.city,
            MAX_CITY_CHARS,
            true,
        );
        let state = self.state.trim().to_ascii_uppercase();
        if !US_STATES.contains(&state.as_str()) {
            errors.add(
                "state",
                format!(
                    "{:?} is not a US state: use the two-letter USPS code such as NY",
                    self.state.chars().take(20).collect::<String>()
                ),
            );
        }
        let zip = self.zip.trim().to_string();
        if !is_zip(&zip) {
            errors.add(
                "zip",
                "ZIP code must be 5 digits, or ZIP+4 written 12345-6789",
            );
        }
        let mut specialties = BTreeSet::new();
        for raw in &self.specialties {
            match raw.trim().parse::<Specialty>() {
                Ok(sp) => {
                    specialties.insert(sp);
                }
                Err(message) => errors.add("specialties", message),
            }
        }
        if self.specialties.is_empty() {
            errors.add(
                "specialties",
                "choose at least one specialty: dermatology, eye_care or optical_shop",
            );
        }
        match (name, time_zone, line1, city) {
            (Some(name), Some(time_zone), Some(line1), Some(city)) if errors.is_empty() => {
                Ok(LocationFields {
                    name,
                    time_zone,
                    address: Address {
                        line1,
                        line2,
                        city,
                        state,
                        zip,
                    },
                    specialties,
                })
            }
            _ => Err(errors),
        }
    }
}

impl Location {
    /// A new location from validated fields.
    pub fn create(
        id: LocationId,
        organisation_id: OrganisationId,
        fields: LocationFields,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            organisation_id,
            name: fields.name,
            time_zone: fields.time_zone,
            address: fields.address,
            specialties: fields.specialties,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// This location with new fields, one version later.
    pub fn updated(&self, fields: LocationFields, now: Timestamp) -> Self {
        Self {
            name: fields.name,
            time_zone: fields.time_zone,
            address: fields.address,
            specialties: fields.specialties,
            version: self.version + 1,
            updated_at: now,
            ..self.clone()
        }
    }

    /// The fields as they would be typed back into the edit form.
    pub fn to_input(&self) -> LocationInput {
        LocationInput {
            name: self.name.clone(),
            time_zone: self.time_zone.as_str().to_string(),
            address_line1: self.address.line1.clone(),
            address_line2: self.address.line2.clone(),
            city: self.address.city.clone(),
            state: self.address.state.clone(),
            zip: self.address.zip.clone(),
            specialties: self
                .specialties
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
        }
    }
}

/// Serialises specialties for a single TEXT column: sorted, comma-separated.
pub fn specialties_to_column(set: &BTreeSet<Specialty>) -> String {
    set.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

/// The inverse of [`specialties_to_column`].
pub fn specialties_from_column(text: &str) -> Result<BTreeSet<Specialty>, String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn valid() -> LocationInput {
        LocationInput {
            name: "Lakeside Eye & Skin".into(),
            time_zone: "America/Chicago".into(),
            address_line1: "100 Main St".into(),
            address_line2: None,
            city: "Springfield".into(),
            state: "il".into(),
            zip: "62701".into(),
            specialties: vec!["eye_care".into(), "dermatology".into()],
        }
    }

    #[test]
    fn a_valid_location_is_normalised() {
        let fields = valid().validate().unwrap();
        assert_eq!(fields.address.state, "IL");
        assert_eq!(
            fields.specialties.iter().copied().collect::<Vec<_>>(),
            vec![Specialty::Dermatology, Specialty::EyeCare]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let input = LocationInput {
            name: "   ".into(),
            time_zone: "Mars/Base".into(),
            address_line1: "x".repeat(MAX_ADDRESS_LINE_CHARS + 1),
            address_line2: None,
            city: "".into(),
            state: "ZZ".into(),
            zip: "1234".into(),
            specialties: vec!["podiatry".into()],
        };
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.for_field("name"), Some("name is required"));
        assert!(errors.for_field("time_zone").unwrap().contains("Mars/Base"));
        assert!(
            errors
                .for_field("address_line1")
                .unwrap()
                .contains("limit is 120")
        );
        assert_eq!(errors.for_field("city"), Some("city is required"));
        assert!(errors.for_field("state").unwrap().contains("USPS"));
        assert!(errors.for_field("zip").unwrap().contains("5 digits"));
        assert!(
            errors
                .for_field("specialties")
                .unwrap()
                .contains("podiatry")
        );
    }

    #[test]
    fn no_specialty_is_an_error() {
        let errors = LocationInput {
            specialties: vec![],
            ..valid()
        }
        .validate()
        .unwrap_err();
        assert!(errors.for_field("specialties").is_some());
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let name = "é".repeat(MAX_NAME_CHARS);
        assert!(LocationInput { name, ..valid() }.validate().is_ok());
    }

    #[test]
    fn update_bumps_the_version() {
        let now = Timestamp::from_micros(1);
        let org = OrganisationId::new(now, [1; 10]);
        let loc = Location::create(
            LocationId::new(now, [2; 10]),
            org,
            valid().validate().unwrap(),
            now,
        );
        let later = Timestamp::from_micros(2);
        let edited = loc.updated(
            LocationInput {
                name: "New".into(),
                ..valid()
            }
            .validate()
            .unwrap(),
            later,
        );
        assert_eq!(
            (edited.version, edited.name.as_str(), edited.created_at),
            (2, "New", now)
        );
        assert_eq!(edited.to_input().validate().unwrap().name, "New");
    }

    proptest! {
        #[test]
        fn zip_rule_matches_the_usps_shapes(s in "[0-9-]{0,11}") {
            let expected = s.len() == 5 && s.chars().all(|c| c.is_ascii_digit())
                || s.len() == 10 && s.chars().enumerate().all(|(i, c)| if i == 5 { c == '-' } else { c.is_ascii_digit() });
            prop_assert_eq!(is_zip(&s), expected);
        }

        #[test]
        fn specialties_column_round_trips(mask in 1u8..8) {
            let set: BTreeSet<Specialty> = Specialty::ALL.into_iter().enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0).map(|(_, s)| s).collect();
            prop_assert_eq!(specialties_from_column(&specialties_to_column(&set)).unwrap(), set);
        }

        #[test]
        fn validation_never_panics(name in ".{0,200}", tz in ".{0,70}", zip in ".{0,12}") {
            let _ = LocationInput { name, time_zone: tz, zip, ..valid() }.validate();
        }
    }
}
