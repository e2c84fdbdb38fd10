//! The scheduling set-up's forms, parsed once: a room or device, a visit
//! type, a weekly break, a closure. Each turns its text into typed values
//! and names every field it cannot read; the rules on the values (a
//! name's length, a duration's range, a break that ends after it starts)
//! are the use case's, which every caller goes through.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};

use crate::ValidationErrors;
use crate::ids::{LocationId, ProviderId};
use crate::input::{ParseInput, non_blank, one_or_many};
use crate::tenancy::Specialty;

use super::booking::{chosen, clock_time, local_date, optional_id};
use super::{Break, ResourceKind};

/// A room, lane or device to add at a location, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ResourceRequest {
    pub location_id: String,
    pub kind: String,
    pub name: String,
}

/// A room, lane or device to add, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInput {
    pub location_id: LocationId,
    pub kind: ResourceKind,
    pub name: String,
}

fn resource_kind(e: &mut ValidationErrors, field: &str, raw: &str) -> Option<ResourceKind> {
    let kind = ResourceKind::parse(raw);
    if kind.is_none() {
        let all: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
        e.add(
            field,
            format!("not a resource kind; choose one of {}", all.join(", ")),
        );
    }
    kind
}

impl ParseInput for ResourceInput {
    type Raw = ResourceRequest;

    fn parse(raw: ResourceRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let location_id = chosen(&mut e, "location_id", "a location", &raw.location_id);
        let kind = resource_kind(&mut e, "kind", &raw.kind);
        match (location_id, kind) {
            (Some(location_id), Some(kind)) if e.is_empty() => Ok(Self {
                location_id,
                kind,
                name: raw.name,
            }),
            _ => Err(e),
        }
    }
}

/// An appointment type as the practice defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInput {
    pub name: String,
    pub duration_minutes: i64,
    pub specialty: Option<Specialty>,
    /// `#rrggbb`; a default when absent.
    pub colour: Option<String>,
    pub new_patient: bool,
    pub resources: BTreeSet<ResourceKind>,
}

/// A visit type, as the set-up form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct TypeRequest {
    pub name: String,
    pub duration_minutes: String,
    /// A specialty's code; any provider takes it when blank.
    pub specialty: String,
    pub colour: String,
    /// `on` when ticked.
    pub new_patient: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub resources: Vec<String>,
}

impl ParseInput for TypeInput {
    type Raw = TypeRequest;

    fn parse(raw: TypeRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let duration_minutes = raw
            .duration_minutes
            .trim()
            .parse::<i64>()
            .map_err(|_| e.add("duration_minutes", "write the duration in whole minutes"))
            .ok();
        let specialty = non_blank(Some(&raw.specialty)).and_then(|s| {
            s.parse::<Specialty>()
                .map_err(|m| e.add("specialty", m))
                .ok()
        });
        let resources: BTreeSet<ResourceKind> = raw
            .resources
            .iter()
            .filter_map(|k| resource_kind(&mut e, "resources", k))
            .collect();
        match duration_minutes {
            Some(duration_minutes) if e.is_empty() => Ok(Self {
                name: raw.name,
                duration_minutes,
                specialty,
                colour: non_blank(Some(&raw.colour)).map(String::from),
                new_patient: raw.new_patient.as_deref() == Some("on"),
                resources,
            }),
            _ => Err(e),
        }
    }
}

/// A weekly break, as the set-up form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct BreakRequest {
    pub provider_id: String,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: String,
    pub start: String,
    pub end: String,
    pub label: String,
}

/// A weekly break of one provider, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakInput {
    pub provider_id: ProviderId,
    pub rest: Break,
}

impl ParseInput for BreakInput {
    type Raw = BreakRequest;

    fn parse(raw: BreakRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let provider_id = chosen(&mut e, "provider_id", "a provider", &raw.provider_id);
        let weekday = raw
            .weekday
            .trim()
            .parse::<i8>()
            .ok()
            .and_then(|d| Weekday::from_monday_one_offset(d).ok());
        if weekday.is_none() {
            e.add("weekday", "choose a weekday");
        }
        let start = clock_time(&mut e, "start", &raw.start);
        let end = clock_time(&mut e, "end", &raw.end);
        match (provider_id, weekday, start, end) {
            (Some(provider_id), Some(weekday), Some(start), Some(end)) if e.is_empty() => {
                Ok(Self {
                    provider_id,
                    rest: Break {
                        weekday,
                        start,
                        end,
                        label: raw.label,
                    },
                })
            }
            _ => Err(e),
        }
    }
}

/// Days to close, as the set-up form sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ClosureRequest {
    /// Blank for a holiday of the whole location.
    pub provider_id: String,
    /// Blank for time off wherever the provider works.
    pub location_id: String,
    pub first: String,
    /// The first day when blank.
    pub last: String,
    pub reason: String,
}

/// Whole local days to close, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureInput {
    pub provider_id: Option<ProviderId>,
    pub location_id: Option<LocationId>,
    pub first: Date,
    pub last: Date,
    pub reason: String,
}

impl ParseInput for ClosureInput {
    type Raw = ClosureRequest;

    fn parse(raw: ClosureRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let provider_id = optional_id(&mut e, "provider_id", Some(&raw.provider_id));
        let location_id = optional_id(&mut e, "location_id", Some(&raw.location_id));
        let first = local_date(&mut e, "first", &raw.first);
        let last = match non_blank(Some(&raw.last)) {
            None => first,
            Some(l) => local_date(&mut e, "last", l),
        };
        match (first, last) {
            (Some(first), Some(last)) if e.is_empty() => Ok(Self {
                provider_id,
                location_id,
                first,
                last,
                reason: raw.reason,
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

    fn fields(e: &ValidationErrors) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn each_set_up_form_names_the_fields_it_cannot_read() {
        let e = ResourceInput::parse(ResourceRequest {
            location_id: String::new(),
            kind: "broom".into(),
            name: "Closet".into(),
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["location_id", "kind"]);
        let e = TypeInput::parse(TypeRequest {
            duration_minutes: "half an hour".into(),
            specialty: "astrology".into(),
            resources: vec!["oct".into(), "broom".into()],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["duration_minutes", "specialty", "resources"]);
        let e = BreakInput::parse(BreakRequest {
            provider_id: "x".into(),
            weekday: "8".into(),
            start: "noon".into(),
            end: "13:00".into(),
            label: "Lunch".into(),
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["provider_id", "weekday", "start"]);
        let e = ClosureInput::parse(ClosureRequest {
            provider_id: "x".into(),
            first: "2027-13-01".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["provider_id", "first"]);
    }

    #[test]
    fn set_up_forms_read_what_they_are_sent() {
        let t = TypeInput::parse(TypeRequest {
            name: "Visual field".into(),
            duration_minutes: " 20 ".into(),
            specialty: "eye_care".into(),
            colour: String::new(),
            new_patient: Some("on".into()),
            resources: vec!["visual_field".into(), "visual_field".into()],
        })
        .unwrap();
        assert_eq!(t.duration_minutes, 20);
        assert_eq!(t.colour, None);
        assert!(t.new_patient);
        assert_eq!(t.resources.len(), 1);
        let c = ClosureInput::parse(ClosureRequest {
            location_id: ID.into(),
            first: "2027-12-24".into(),
            reason: "Holidays".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((c.first, c.last, c.provider_id), (c.first, c.first, None));
    }

    proptest! {
        #[test]
        fn a_break_falls_on_the_weekday_it_names(d in 1i8..=7) {
            let b = BreakInput::parse(BreakRequest {
                provider_id: ID.into(),
                weekday: d.to_string(),
                start: "12:00".into(),
                end: "13:00".into(),
                label: "Lunch".into(),
            })
            .unwrap();
            prop_assert_eq!(b.rest.weekday.to_monday_one_offset(), d);
        }
    }
}
