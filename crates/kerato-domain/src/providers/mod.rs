//! Providers: the people patients are booked with. A provider is a staff
//! user who signs in (a physician, an optometrist) or someone who does not
//! (a locum), with the identifiers claims and prescriptions carry, the
//! specialties and locations they work in, the visit types they take and
//! their working hours ([`hours`]).

pub mod hours;
pub mod npi;
pub mod time_off;

use std::collections::BTreeSet;

use crate::ValidationErrors;
use crate::ids::{AppointmentTypeId, LocationId, OrganisationId, ProviderId, UserId, parse_field};
use crate::input::{ParseInput, one_or_many};
use crate::tenancy::{Specialty, text_field, validate_name};
use crate::versioned::{Versioned, form_version};

pub use npi::{COMMON_TAXONOMIES, Npi, TaxonomyCode};

string_enum!(
    /// Whether a provider takes new bookings. A provider who has left keeps
    /// their past appointments and is never deleted.
    ProviderStatus {
        Active = "active", "Takes bookings";
        Inactive = "inactive", "Takes no new bookings";
    }
);

/// The visit types a provider takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitTypeScope {
    /// Every visit type of their specialties (of any, when they have none).
    AllOfSpecialties,
    /// Only these.
    Only(BTreeSet<AppointmentTypeId>),
}

/// The longest credentials text: "MD, FAAD, FACMS" fits with room.
pub const MAX_CREDENTIALS_CHARS: usize = 40;
/// More locations or visit types than a practice has; a bound on input.
pub const MAX_LIST: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: ProviderId,
    pub organisation_id: OrganisationId,
    pub name: String,
    /// The staff account, for a provider who signs in; none for a locum.
    pub user_id: Option<UserId>,
    /// Degrees and boards as they follow the name: `MD`, `OD, FAAO`.
    pub credentials: String,
    pub npi: Option<Npi>,
    pub taxonomy: Option<TaxonomyCode>,
    /// Empty: sees any specialty's visits.
    pub specialties: BTreeSet<Specialty>,
    pub locations: Vec<LocationId>,
    pub visit_types: VisitTypeScope,
    pub status: ProviderStatus,
    /// Moves on every edit; an edit made from an older one is refused.
    pub version: i64,
}

impl Provider {
    /// The name with the credentials, as a schedule shows it.
    pub fn display_name(&self) -> String {
        if self.credentials.is_empty() {
            self.name.clone()
        } else {
            format!("{}, {}", self.name, self.credentials)
        }
    }

    /// Why an appointment of this type cannot be booked with this provider,
    /// if it cannot: they take no new bookings, practise another specialty,
    /// or do not take that visit type.
    pub fn refuses(
        &self,
        type_id: AppointmentTypeId,
        type_name: &str,
        specialty: Option<Specialty>,
    ) -> Option<String> {
        if self.status == ProviderStatus::Inactive {
            return Some(format!("{} takes no new bookings", self.name));
        }
        match &self.visit_types {
            VisitTypeScope::Only(types) if !types.contains(&type_id) => {
                return Some(format!("{} does not take {type_name} visits", self.name));
            }
            _ => {}
        }
        match specialty {
            Some(sp) if !self.specialties.is_empty() && !self.specialties.contains(&sp) => {
                let sp = sp.label().to_lowercase();
                Some(format!(
                    "{type_name} is a {sp} appointment and {} does not practise {sp}",
                    self.name
                ))
            }
            _ => None,
        }
    }

    /// The provider as the edit form and the API give it back.
    pub fn to_input(&self) -> ProviderInput {
        ProviderInput {
            name: self.name.clone(),
            user_id: self.user_id.map(|u| u.to_string()),
            credentials: Some(self.credentials.clone()),
            npi: self.npi.as_ref().map(|n| n.to_string()),
            taxonomy_code: self.taxonomy.as_ref().map(|t| t.to_string()),
            specialties: self
                .specialties
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            location_ids: self.locations.iter().map(|l| l.to_string()).collect(),
            visit_type_ids: match &self.visit_types {
                VisitTypeScope::AllOfSpecialties => None,
                VisitTypeScope::Only(types) => Some(types.iter().map(|t| t.to_string()).collect()),
            },
            status: Some(self.status.as_str().to_string()),
            version: Some(self.version),
        }
    }
}

/// A provider as a form or the API gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    /// As patients know them: `Ada Okafor`.
    pub name: String,
    /// The staff account of a provider who signs in (a physician or an
    /// optometrist); absent for a provider without a login, such as a locum.
    #[serde(default)]
    pub user_id: Option<String>,
    /// `MD`, `DO`, `OD`, `PA-C`, `MD, FAAD`.
    #[serde(default)]
    pub credentials: Option<String>,
    /// Ten digits with a valid check digit.
    #[serde(default)]
    pub npi: Option<String>,
    /// NUCC taxonomy code, such as `207N00000X`.
    #[serde(default)]
    pub taxonomy_code: Option<String>,
    /// Any of `dermatology`, `eye_care`, `optical_shop`; none for any.
    #[serde(default)]
    pub specialties: Vec<String>,
    /// The locations they work at; at least one.
    #[serde(default)]
    pub location_ids: Vec<String>,
    /// The visit types they take; absent for every type of their
    /// specialties.
    #[serde(default)]
    pub visit_type_ids: Option<Vec<String>>,
    /// `active` (the default) or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// An edit only: the version it started from, as read.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A validated provider, before the practice's own records are checked
/// (that the user, locations and visit types are its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFields {
    pub name: String,
    pub user_id: Option<UserId>,
    pub credentials: String,
    pub npi: Option<Npi>,
    pub taxonomy: Option<TaxonomyCode>,
    pub specialties: BTreeSet<Specialty>,
    pub locations: Vec<LocationId>,
    pub visit_types: VisitTypeScope,
    pub status: ProviderStatus,
}

fn present(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ProviderInput {
    /// A provider of any specialty at these locations, with nothing else
    /// set: where a script or the set-up starts from.
    pub fn new(name: &str, locations: &[LocationId]) -> Self {
        Self {
            name: name.into(),
            location_ids: locations.iter().map(|l| l.to_string()).collect(),
            ..Self::default()
        }
    }

    /// Checks every field and reports every problem at once.
    pub fn validate(&self) -> Result<ProviderFields, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "name", &self.name);
        let user_id =
            present(&self.user_id).and_then(|raw| parse_field(&mut errors, "user_id", raw));
        let credentials = text_field(
            &mut errors,
            "credentials",
            "credentials",
            present(&self.credentials).unwrap_or(""),
            MAX_CREDENTIALS_CHARS,
            false,
        )
        .unwrap_or_default();
        let npi = present(&self.npi)
            .and_then(|raw| Npi::parse(raw).map_err(|m| errors.add("npi", m)).ok());
        let taxonomy = present(&self.taxonomy_code).and_then(|raw| {
            TaxonomyCode::parse(raw)
                .map_err(|m| errors.add("taxonomy_code", m))
                .ok()
        });
        let mut specialties = BTreeSet::new();
        for raw in self.specialties.iter().take(MAX_LIST) {
            match raw.trim().parse::<Specialty>() {
                Ok(sp) => {
                    specialties.insert(sp);
                }
                Err(m) => errors.add("specialties", m),
            }
        }
        let mut locations: Vec<LocationId> = Vec::new();
        for raw in self.location_ids.iter().take(MAX_LIST) {
            if let Some(id) = parse_field(&mut errors, "location_ids", raw)
                && !locations.contains(&id)
            {
                locations.push(id);
            }
        }
        if self.location_ids.is_empty() {
            errors.add(
                "location_ids",
                "choose at least one location where they see patients",
            );
        }
        if self.location_ids.len() > MAX_LIST || self.specialties.len() > MAX_LIST {
            errors.add("location_ids", format!("give at most {MAX_LIST}"));
        }
        let visit_types = match &self.visit_type_ids {
            None => VisitTypeScope::AllOfSpecialties,
            Some(list) if list.is_empty() => {
                errors.add(
                    "visit_type_ids",
                    "choose at least one visit type, or leave the list out for every type of their specialties",
                );
                VisitTypeScope::AllOfSpecialties
            }
            Some(list) => {
                if list.len() > MAX_LIST {
                    errors.add("visit_type_ids", format!("give at most {MAX_LIST}"));
                }
                VisitTypeScope::Only(
                    list.iter()
                        .take(MAX_LIST)
                        .filter_map(|raw| parse_field(&mut errors, "visit_type_ids", raw))
                        .collect(),
                )
            }
        };
        let status = match present(&self.status) {
            None => Some(ProviderStatus::Active),
            Some(raw) => raw
                .parse::<ProviderStatus>()
                .map_err(|m| errors.add("status", m))
                .ok(),
        };
        match (name, status) {
            (Some(name), Some(status)) if errors.is_empty() => Ok(ProviderFields {
                name,
                user_id,
                credentials,
                npi,
                taxonomy,
                specialties,
                locations,
                visit_types,
                status,
            }),
            _ => Err(errors),
        }
    }
}

/// A provider as the API sends it, checked: the fields, and the version an
/// edit started from (none for a new provider).
pub type ProviderChange = Versioned<ProviderFields>;

impl ParseInput for ProviderChange {
    type Raw = ProviderInput;

    fn parse(raw: ProviderInput) -> Result<Self, ValidationErrors> {
        let fields = raw.validate()?;
        Ok(Self {
            fields,
            version: raw.version,
        })
    }
}

/// The provider form as the browser sends it: the API's fields, with the
/// visit types as a choice between all and the ones ticked, and the
/// version of an edit as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ProviderFormInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub credentials: Option<String>,
    #[serde(default)]
    pub npi: Option<String>,
    #[serde(default)]
    pub taxonomy_code: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub specialties: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub location_ids: Vec<String>,
    /// `only` for the visit types ticked; anything else for every type of
    /// their specialties.
    #[serde(default)]
    pub visit_scope: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub visit_type_ids: Vec<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

impl From<ProviderFormInput> for ProviderInput {
    /// The form in the API's shape: blank fields are absent. A version
    /// that is not a number is left out, which [`ProviderForm`] refuses.
    fn from(f: ProviderFormInput) -> Self {
        let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Self {
            name: f.name,
            user_id: given(f.user_id),
            credentials: given(f.credentials),
            npi: given(f.npi),
            taxonomy_code: given(f.taxonomy_code),
            specialties: f.specialties,
            location_ids: f.location_ids,
            visit_type_ids: (f.visit_scope.as_deref() == Some("only")).then_some(f.visit_type_ids),
            status: given(f.status),
            version: form_version(&mut ValidationErrors::new(), f.version.as_deref()),
        }
    }
}

/// A provider as the form gives it, checked like the API's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderForm(pub ProviderChange);

impl ParseInput for ProviderForm {
    type Raw = ProviderFormInput;

    fn parse(raw: ProviderFormInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        form_version(&mut errors, raw.version.as_deref());
        match ProviderChange::parse(raw.into()) {
            Ok(change) if errors.is_empty() => Ok(Self(change)),
            Ok(_) => Err(errors),
            Err(mut problems) => {
                problems.errors.extend(errors.errors);
                Err(problems)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOC: &str = "01890a5d-ac96-774b-bcce-b302099a8057";
    const TYPE: &str = "01890a5d-ac96-774b-bcce-b302099a8060";

    fn valid() -> ProviderInput {
        ProviderInput {
            name: "Ada Okafor".into(),
            credentials: Some("MD, FAAD".into()),
            npi: Some("1234567893".into()),
            taxonomy_code: Some("207n00000x".into()),
            specialties: vec!["dermatology".into()],
            location_ids: vec![LOC.into(), LOC.into()],
            ..ProviderInput::default()
        }
    }

    fn provider(fields: ProviderFields) -> Provider {
        Provider {
            id: "01890a5d-ac96-774b-bcce-b302099a8061".parse().unwrap(),
            organisation_id: "01890a5d-ac96-774b-bcce-b302099a8062".parse().unwrap(),
            name: fields.name,
            user_id: fields.user_id,
            credentials: fields.credentials,
            npi: fields.npi,
            taxonomy: fields.taxonomy,
            specialties: fields.specialties,
            locations: fields.locations,
            visit_types: fields.visit_types,
            status: fields.status,
            version: 1,
        }
    }

    #[test]
    fn a_valid_provider_reads_back_as_its_input() {
        let fields = valid().validate().unwrap();
        assert_eq!(fields.locations.len(), 1, "a repeated location counts once");
        assert_eq!(fields.taxonomy.as_ref().unwrap().as_str(), "207N00000X");
        assert_eq!(fields.status, ProviderStatus::Active);
        let p = provider(fields.clone());
        assert_eq!(p.display_name(), "Ada Okafor, MD, FAAD");
        assert_eq!(p.to_input().validate().unwrap(), fields);
    }

    #[test]
    fn every_field_is_checked_at_once() {
        let errors = ProviderInput {
            name: " ".into(),
            user_id: Some("someone".into()),
            credentials: Some("x".repeat(41)),
            npi: Some("1234567890".into()),
            taxonomy_code: Some("DERM".into()),
            specialties: vec!["podiatry".into()],
            location_ids: vec![],
            visit_type_ids: Some(vec![]),
            status: Some("retired".into()),
            version: None,
        }
        .validate()
        .unwrap_err();
        for field in [
            "name",
            "user_id",
            "credentials",
            "npi",
            "taxonomy_code",
            "specialties",
            "location_ids",
            "visit_type_ids",
            "status",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn a_provider_refuses_what_they_do_not_take() {
        let kind: AppointmentTypeId = TYPE.parse().unwrap();
        let other: AppointmentTypeId = "01890a5d-ac96-774b-bcce-b302099a8063".parse().unwrap();
        let derm = provider(valid().validate().unwrap());
        assert_eq!(
            derm.refuses(kind, "Skin check", Some(Specialty::Dermatology)),
            None
        );
        assert_eq!(derm.refuses(kind, "Anything", None), None);
        assert!(
            derm.refuses(kind, "Eye exam", Some(Specialty::EyeCare))
                .unwrap()
                .contains("does not practise eye care")
        );
        let limited = provider(
            ProviderInput {
                visit_type_ids: Some(vec![TYPE.into()]),
                ..valid()
            }
            .validate()
            .unwrap(),
        );
        assert_eq!(limited.refuses(kind, "Skin check", None), None);
        assert!(
            limited
                .refuses(other, "Mohs", None)
                .unwrap()
                .contains("does not take Mohs visits")
        );
        let gone = Provider {
            status: ProviderStatus::Inactive,
            ..limited
        };
        assert!(
            gone.refuses(kind, "Skin check", None)
                .unwrap()
                .contains("no new bookings")
        );
    }

    #[test]
    fn the_form_parses_into_the_same_change_as_the_api() {
        let form = ProviderFormInput {
            name: "Ada Okafor".into(),
            credentials: Some("MD, FAAD".into()),
            npi: Some("1234567893".into()),
            taxonomy_code: Some("207n00000x".into()),
            specialties: vec!["dermatology".into()],
            location_ids: vec![LOC.into(), LOC.into()],
            user_id: Some(String::new()),
            visit_scope: Some("all".into()),
            visit_type_ids: vec![TYPE.into()],
            status: Some(String::new()),
            version: Some("3".into()),
        };
        let ProviderForm(change) = ProviderForm::parse(form.clone()).unwrap();
        let api = ProviderChange::parse(ProviderInput {
            version: Some(3),
            ..valid()
        })
        .unwrap();
        assert_eq!(change, api);
        let only = ProviderForm::parse(ProviderFormInput {
            visit_scope: Some("only".into()),
            ..form.clone()
        })
        .unwrap();
        assert_eq!(
            only.0.fields.visit_types,
            VisitTypeScope::Only([TYPE.parse().unwrap()].into())
        );
        let errors = ProviderForm::parse(ProviderFormInput {
            name: String::new(),
            version: Some("x".into()),
            ..form
        })
        .unwrap_err();
        assert!(errors.for_field("version").is_some(), "{errors:?}");
        assert!(errors.for_field("name").is_some(), "{errors:?}");
    }

    #[test]
    fn a_new_provider_has_no_version_and_an_edit_needs_one() {
        let new = ProviderChange::parse(valid()).unwrap();
        assert!(new.clone().for_new("provider").is_ok());
        assert!(new.for_edit().unwrap_err().for_field("version").is_some());
        let edit = ProviderChange::parse(ProviderInput {
            version: Some(2),
            ..valid()
        })
        .unwrap();
        assert!(
            edit.clone()
                .for_new("provider")
                .unwrap_err()
                .for_field("version")
                .is_some()
        );
        assert_eq!(edit.for_edit().unwrap().0, 2);
    }

    proptest! {
        #[test]
        fn validation_never_panics(name in ".{0,300}", npi in ".{0,14}", tax in ".{0,12}", cred in ".{0,60}") {
            let _ = ProviderInput { name, npi: Some(npi), taxonomy_code: Some(tax), credentials: Some(cred), ..valid() }.validate();
        }
    }
}
