//! Versioned policy documents, clinic side: a version as the practice
//! publishes it ([`PublishedPolicy`]), the privacy officer's input for a
//! new version and staff's record of a patient's acknowledgement.
//!
//! The publication rules are shared with the vendor site and live in
//! `kerato_core::policy`; they are re-exported here.

use jiff::civil::Date;
use serde::Deserialize;

use crate::ValidationErrors;
use crate::ids::{OrganisationId, UserId};
use crate::input::ParseInput;
use crate::time::Timestamp;
pub use kerato_core::policy::*;

/// The largest policy text accepted: a notice of privacy practices runs to
/// a few thousand words.
pub const MAX_BODY_CHARS: usize = 100_000;
/// The longest summary of a change.
pub const MAX_SUMMARY_CHARS: usize = 500;

/// One published version of a practice's policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPolicy {
    pub organisation_id: OrganisationId,
    pub kind: PolicyKind,
    pub version: u32,
    pub announced_at: Timestamp,
    pub effective_at: Timestamp,
    pub material: bool,
    pub summary: String,
    pub body: String,
    pub published_by: UserId,
}

impl PublishedPolicy {
    /// The version as the publication rules read it.
    pub fn rule_version(&self) -> PolicyVersion {
        PolicyVersion {
            version: self.version,
            kind: self.kind,
            announced_at: self.announced_at,
            effective_at: self.effective_at,
            material: self.material,
            summary: self.summary.clone(),
        }
    }
}

/// A new version as typed by the privacy officer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInput {
    pub kind: PolicyKind,
    /// The day it takes effect, from the start of the day (UTC).
    pub effective_on: Date,
    pub material: bool,
    pub summary: String,
    pub body: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawPolicy {
    pub kind: String,
    /// `YYYY-MM-DD`.
    pub effective_on: String,
    /// `yes` (the form's checkbox), `true`, or absent.
    pub material: String,
    pub summary: String,
    pub body: String,
}

/// The `kind` field: which policy.
fn kind_field(errors: &mut ValidationErrors, raw: &str) -> Option<PolicyKind> {
    raw.trim()
        .parse::<PolicyKind>()
        .map_err(|m| errors.add("kind", m))
        .ok()
}

/// A yes-or-no field as a form's checkbox or a JSON body sends it.
fn flag(errors: &mut ValidationErrors, field: &str, raw: &str) -> bool {
    match raw.trim() {
        "yes" | "true" | "on" | "1" => true,
        "" | "no" | "false" | "0" => false,
        _ => {
            errors.add(field, "answer yes or no");
            false
        }
    }
}

impl ParseInput for PolicyInput {
    type Raw = RawPolicy;

    fn parse(raw: RawPolicy) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = kind_field(&mut e, &raw.kind);
        let effective_on = raw
            .effective_on
            .trim()
            .parse::<Date>()
            .map_err(|_| {
                e.add(
                    "effective_on",
                    "write the day it takes effect as YYYY-MM-DD",
                )
            })
            .ok();
        let material = flag(&mut e, "material", &raw.material);
        let summary = raw.summary.trim().to_string();
        if summary.chars().count() > MAX_SUMMARY_CHARS {
            e.add(
                "summary",
                format!("summarise the change in at most {MAX_SUMMARY_CHARS} characters"),
            );
        }
        let body = raw.body.trim().to_string();
        if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
            e.add(
                "body",
                format!(
                    "paste the full text of the new version (at most {MAX_BODY_CHARS} characters)"
                ),
            );
        }
        let (Some(kind), Some(effective_on)) = e.into_result((kind, effective_on))? else {
            return Err(ValidationErrors::single("kind", "choose the policy"));
        };
        Ok(Self {
            kind,
            effective_on,
            material,
            summary,
            body,
        })
    }
}

/// That a patient received (and acknowledged) a version of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcknowledgementInput {
    pub kind: PolicyKind,
    pub version: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawAcknowledgement {
    pub kind: String,
    pub version: String,
}

impl ParseInput for AcknowledgementInput {
    type Raw = RawAcknowledgement;

    fn parse(raw: RawAcknowledgement) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = kind_field(&mut e, &raw.kind);
        let version = raw
            .version
            .trim()
            .parse::<u32>()
            .map_err(|_| e.add("version", "choose the version the patient received"))
            .ok();
        let (Some(kind), Some(version)) = e.into_result((kind, version))? else {
            return Err(ValidationErrors::single("kind", "choose the policy"));
        };
        Ok(Self { kind, version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(e: &ValidationErrors) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_policy_version_names_every_bad_field() {
        let e = PolicyInput::parse(RawPolicy {
            kind: "terms".into(),
            effective_on: "soon".into(),
            material: "maybe".into(),
            summary: "s".repeat(501),
            body: " ".into(),
        })
        .unwrap_err();
        assert_eq!(
            names(&e),
            ["kind", "effective_on", "material", "summary", "body"]
        );
        let ok = PolicyInput::parse(RawPolicy {
            kind: "notice_of_privacy_practices".into(),
            effective_on: "2027-01-05".into(),
            material: "yes".into(),
            summary: " New contact. ".into(),
            body: "Text".into(),
        })
        .unwrap();
        assert_eq!(ok.kind, PolicyKind::NoticeOfPrivacyPractices);
        assert!(ok.material);
        assert_eq!(ok.summary, "New contact.");
        let e = AcknowledgementInput::parse(RawAcknowledgement {
            kind: "privacy_statement".into(),
            version: "-1".into(),
        })
        .unwrap_err();
        assert_eq!(names(&e), ["version"]);
    }

    proptest! {
        #[test]
        fn a_version_number_is_a_whole_positive_count(v in "[-0-9a-z]{0,12}") {
            let parsed = AcknowledgementInput::parse(RawAcknowledgement {
                kind: "privacy_statement".into(),
                version: v.clone(),
            });
            prop_assert_eq!(parsed.ok().map(|a| a.version), v.parse::<u32>().ok());
        }
    }
}
