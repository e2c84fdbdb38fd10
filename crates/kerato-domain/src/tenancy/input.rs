//! The organisation's and its locations' forms and bodies, parsed once.

use super::{LocationFields, LocationInput, validate_name};
use crate::ValidationErrors;
use crate::input::{ParseInput, one_or_many};
use crate::versioned::{Versioned, form_version};

/// A location to create, or the new content of one to update, as the API
/// sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = LocationBody))]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// 1 to 120 characters, unique within the organisation (ignoring case).
    pub name: String,
    /// IANA time zone name, such as `America/Chicago`.
    pub time_zone: String,
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: Option<String>,
    pub city: String,
    /// USPS two-letter code.
    pub state: String,
    /// `12345` or `12345-6789`.
    pub zip: String,
    /// At least one of `dermatology`, `eye_care`, `optical_shop`.
    pub specialties: Vec<String>,
    /// Required on update: the version the edit started from.
    #[serde(default)]
    pub version: Option<i64>,
}

impl From<LocationBody> for LocationInput {
    fn from(b: LocationBody) -> Self {
        Self {
            name: b.name,
            time_zone: b.time_zone,
            address_line1: b.address_line1,
            address_line2: b.address_line2,
            city: b.city,
            state: b.state,
            zip: b.zip,
            specialties: b.specialties,
        }
    }
}

/// A location's fields, checked, with the version an edit started from.
pub type LocationChange = Versioned<LocationFields>;

impl ParseInput for LocationChange {
    type Raw = LocationBody;

    fn parse(raw: LocationBody) -> Result<Self, ValidationErrors> {
        let version = raw.version;
        let fields = LocationInput::from(raw).validate()?;
        Ok(Self { fields, version })
    }
}

/// The location form as the browser sends it: the API's fields, the
/// specialties as ticked boxes and the version of an edit as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct LocationFormInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub zip: String,
    #[serde(default, deserialize_with = "one_or_many")]
    pub specialties: Vec<String>,
    #[serde(default)]
    pub version: Option<String>,
}

impl From<LocationFormInput> for LocationInput {
    /// The form's fields; an empty second address line is absent.
    fn from(f: LocationFormInput) -> Self {
        Self {
            name: f.name,
            time_zone: f.time_zone,
            address_line1: f.address_line1,
            address_line2: f.address_line2.filter(|l| !l.trim().is_empty()),
            city: f.city,
            state: f.state,
            zip: f.zip,
            specialties: f.specialties,
        }
    }
}

/// A location as the form gives it, checked like the API's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationForm(pub LocationChange);

impl ParseInput for LocationForm {
    type Raw = LocationFormInput;

    fn parse(raw: LocationFormInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let version = form_version(&mut errors, raw.version.as_deref());
        match LocationInput::from(raw).validate() {
            Ok(fields) if errors.is_empty() => Ok(Self(LocationChange { fields, version })),
            Ok(_) => Err(errors),
            Err(mut problems) => {
                problems.errors.extend(errors.errors);
                Err(problems)
            }
        }
    }
}

/// An organisation's new name, as the API or the set-up's form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OrganisationBody))]
#[serde(deny_unknown_fields)]
pub struct OrganisationBody {
    /// 1 to 120 characters.
    pub name: String,
}

/// An organisation's name, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationName(pub String);

impl ParseInput for OrganisationName {
    type Raw = OrganisationBody;

    fn parse(raw: OrganisationBody) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "name", &raw.name);
        match name {
            Some(name) if errors.is_empty() => Ok(Self(name)),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form() -> LocationFormInput {
        LocationFormInput {
            name: "Main Street".into(),
            time_zone: "America/Chicago".into(),
            address_line1: "1 Main St".into(),
            address_line2: Some(" ".into()),
            city: "Springfield".into(),
            state: "il".into(),
            zip: "62701".into(),
            specialties: vec!["dermatology".into()],
            version: Some("2".into()),
        }
    }

    #[test]
    fn the_form_and_the_api_parse_into_the_same_change() {
        let LocationForm(from_form) = LocationForm::parse(form()).unwrap();
        let from_api = LocationChange::parse(LocationBody {
            name: "Main Street".into(),
            time_zone: "America/Chicago".into(),
            address_line1: "1 Main St".into(),
            address_line2: None,
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62701".into(),
            specialties: vec!["dermatology".into()],
            version: Some(2),
        })
        .unwrap();
        assert_eq!(from_form, from_api);
        let errors = LocationForm::parse(LocationFormInput {
            zip: "6270".into(),
            version: Some("two".into()),
            ..form()
        })
        .unwrap_err();
        assert!(errors.for_field("zip").is_some(), "{errors:?}");
        assert!(errors.for_field("version").is_some(), "{errors:?}");
    }

    #[test]
    fn an_organisation_needs_a_name() {
        let errors = OrganisationName::parse(OrganisationBody { name: " ".into() }).unwrap_err();
        assert!(errors.for_field("name").is_some());
        let name = OrganisationName::parse(OrganisationBody {
            name: " Riverside Skin & Eye ".into(),
        })
        .unwrap();
        assert_eq!(name.0, "Riverside Skin & Eye");
    }

    proptest! {
        #[test]
        fn a_name_parses_or_names_the_field(name in ".{0,200}") {
            match OrganisationName::parse(OrganisationBody { name }) {
                Ok(n) => prop_assert!(!n.0.is_empty() && n.0.chars().count() <= crate::tenancy::MAX_NAME_CHARS),
                Err(e) => prop_assert!(e.for_field("name").is_some()),
            }
        }
    }
}
