//! What a form or the API sends to open an exam, fill a section and amend
//! a signed one, each parsed once into a checked value.
//!
//! A section's values are checked field by field against the section they
//! are for ([`super::validate_section`]), which the request names in its
//! path; what is checked here is what holds for any section.

use std::collections::BTreeMap;

use crate::ValidationErrors;
use crate::ids::{AppointmentId, LocationId};
use crate::input::{ParseInput, non_blank};

use super::{MAX_TEXT, Template};

/// The longest reason for an amendment, a refusal note or an answer.
pub const MAX_REASON: usize = 500;

/// The most values one section can be sent: the largest section has
/// fewer than thirty fields.
const MAX_VALUES: usize = 64;

/// Opening an exam for a patient (who is named by the request's path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartExamInput {
    pub location_id: LocationId,
    pub template: Template,
    pub appointment_id: Option<AppointmentId>,
}

/// The text shape of [`StartExamInput`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StartExamRaw {
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub appointment_id: Option<String>,
}

impl ParseInput for StartExamInput {
    type Raw = StartExamRaw;

    fn parse(raw: StartExamRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let location_id = raw
            .location_id
            .trim()
            .parse()
            .map_err(|_| e.add("location_id", "choose the location of the exam"))
            .ok();
        let template = Template::parse(raw.template.trim())
            .map_err(|m| e.add("template", m))
            .ok();
        let appointment_id = match non_blank(raw.appointment_id.as_deref()) {
            None => None,
            Some(a) => a
                .parse()
                .map_err(|_| {
                    e.add(
                        "appointment_id",
                        "name the visit by its appointment's ID, or leave it out",
                    )
                })
                .ok(),
        };
        match (location_id, template) {
            (Some(location_id), Some(template)) if e.is_empty() => Ok(Self {
                location_id,
                template,
                appointment_id,
            }),
            _ => Err(e),
        }
    }
}

/// The values typed into one section, by field key (`od.sphere`, `notes`),
/// trimmed, with blanks left out. Which keys the section has and what each
/// may hold is checked against the section by
/// [`super::validate_section`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionEntry {
    values: BTreeMap<String, String>,
}

impl SectionEntry {
    /// The values by key.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// Values already held as data, such as a section copied from an
    /// earlier exam, checked the same way as typed ones.
    pub fn from_values(values: BTreeMap<String, String>) -> Result<Self, ValidationErrors> {
        Self::parse(values)
    }
}

impl ParseInput for SectionEntry {
    type Raw = BTreeMap<String, String>;

    fn parse(raw: BTreeMap<String, String>) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if raw.len() > MAX_VALUES {
            e.add(
                "section",
                format!("a section has at most {MAX_VALUES} fields; send only its own"),
            );
        }
        let mut values = BTreeMap::new();
        for (key, value) in raw {
            let shown: String = key.chars().take(60).collect();
            if key.is_empty()
                || key.len() > 60
                || !key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
            {
                e.add(
                    shown,
                    "a field key is lower-case letters, digits, '_' and '.', such as od.sphere",
                );
                continue;
            }
            // The longest field holds MAX_TEXT characters; anything longer
            // is refused here, before it is checked against its field.
            if value.chars().count() > MAX_TEXT {
                e.add(key, format!("at most {MAX_TEXT} characters"));
                continue;
            }
            let value = value.trim();
            if !value.is_empty() {
                values.insert(key, value.to_string());
            }
        }
        e.into_result(Self { values })
    }
}

/// An amendment to a signed exam's section: the new values and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendInput {
    pub entry: SectionEntry,
    pub reason: String,
}

/// The text shape of [`AmendInput`]: the section's fields beside `reason`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AmendRaw {
    #[serde(default)]
    pub reason: String,
    #[serde(flatten)]
    pub values: BTreeMap<String, String>,
}

impl ParseInput for AmendInput {
    type Raw = AmendRaw;

    fn parse(raw: AmendRaw) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let reason = raw.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON {
            e.add(
                "reason",
                format!("say why the signed exam is amended (1–{MAX_REASON} characters)"),
            );
        }
        let entry = SectionEntry::parse(raw.values);
        match entry {
            Ok(entry) if e.is_empty() => Ok(Self {
                entry,
                reason: reason.to_string(),
            }),
            Ok(_) => Err(e),
            Err(more) => {
                for f in more.errors {
                    e.add(f.field, f.message);
                }
                Err(e)
            }
        }
    }
}
