//! Insurance coverages: a patient's medical and vision plans, in order of
//! priority, with the subscriber when it is not the patient.

use jiff::civil::Date;

use crate::error::ValidationErrors;
use crate::ids::{CoverageId, PatientId};
use crate::input::ParseInput;
use crate::patients::{check_birth_date, parse_birth_date};
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageKind {
    Medical,
    Vision,
}

impl CoverageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Medical => "medical",
            Self::Vision => "vision",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "medical" => Ok(Self::Medical),
            "vision" => Ok(Self::Vision),
            other => Err(format!(
                "{other:?} is not a kind of coverage: use medical or vision"
            )),
        }
    }
}

/// The subscriber's relationship to the patient (X12 individual
/// relationship codes 18, 01, 19, G8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    SelfInsured,
    Spouse,
    Child,
    Other,
}

impl Relationship {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfInsured => "self",
            Self::Spouse => "spouse",
            Self::Child => "child",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "self" => Ok(Self::SelfInsured),
            "spouse" => Ok(Self::Spouse),
            "child" => Ok(Self::Child),
            "other" => Ok(Self::Other),
            other => Err(format!(
                "{other:?} is not a relationship: use self, spouse, child or other"
            )),
        }
    }
}

/// A coverage as typed into the chart's form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CoverageInput {
    #[serde(default)]
    pub kind: String,
    /// 1 primary, 2 secondary, 3 tertiary.
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub payer: String,
    #[serde(default)]
    pub member_id: String,
    #[serde(default)]
    pub group_number: Option<String>,
    #[serde(default)]
    pub subscriber_relationship: String,
    #[serde(default)]
    pub subscriber_name: Option<String>,
    #[serde(default)]
    pub subscriber_date_of_birth: Option<String>,
    /// `YYYY-MM-DD` or `MM/DD/YYYY`.
    #[serde(default)]
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    pub id: CoverageId,
    pub patient_id: PatientId,
    pub kind: CoverageKind,
    pub priority: i64,
    pub payer: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub relationship: Relationship,
    /// The subscriber when not the patient: name and date of birth.
    pub subscriber: Option<(String, Date)>,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub created_at: Timestamp,
}

fn parse_day(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Some((m, rest)) = t.split_once('/') {
        let (d, y) = rest.split_once('/')?;
        Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
    } else {
        t.parse().ok()
    }
}

fn identifier(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.add(field, format!("{label} is required"));
        }
        return None;
    }
    if v.len() > 30 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errors.add(
            field,
            format!("{label} is 1 to 30 letters, digits or hyphens, as printed on the card"),
        );
        return None;
    }
    Some(v.to_ascii_uppercase())
}

impl Coverage {
    /// Whether the coverage is in force on `day`.
    pub fn active_on(&self, day: Date) -> bool {
        self.effective_from <= day && self.effective_to.is_none_or(|to| day <= to)
    }

    /// Whether two coverages are in force on some common day.
    pub fn overlaps(&self, other: &Coverage) -> bool {
        let ends_before =
            |a: &Coverage, b: &Coverage| a.effective_to.is_some_and(|to| to < b.effective_from);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// A checked coverage before it is a patient's: what the form said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCoverage {
    pub kind: CoverageKind,
    pub priority: i64,
    pub payer: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub relationship: Relationship,
    /// The subscriber when not the patient: name and date of birth.
    pub subscriber: Option<(String, Date)>,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
}

impl NewCoverage {
    /// The rule that needs the practice's date: the subscriber's date of
    /// birth is possible on `today`.
    pub fn check_subscriber(&self, today: Date) -> Result<(), ValidationErrors> {
        match &self.subscriber {
            Some((_, born)) => check_birth_date(*born, today)
                .map_err(|m| ValidationErrors::single("subscriber_date_of_birth", m)),
            None => Ok(()),
        }
    }

    /// The coverage as `patient`'s, recorded at `now`.
    pub fn into_coverage(self, id: CoverageId, patient: PatientId, now: Timestamp) -> Coverage {
        Coverage {
            id,
            patient_id: patient,
            kind: self.kind,
            priority: self.priority,
            payer: self.payer,
            member_id: self.member_id,
            group_number: self.group_number,
            relationship: self.relationship,
            subscriber: self.subscriber,
            effective_from: self.effective_from,
            effective_to: self.effective_to,
            created_at: now,
        }
    }
}

impl CoverageInput {
    /// Validates a coverage for `patient`; `today` bounds the subscriber's
    /// date of birth.
    pub fn validate(
        &self,
        id: CoverageId,
        patient: PatientId,
        today: Date,
        now: Timestamp,
    ) -> Result<Coverage, ValidationErrors> {
        let new = NewCoverage::parse(self.clone())?;
        new.check_subscriber(today)?;
        Ok(new.into_coverage(id, patient, now))
    }
}

impl ParseInput for NewCoverage {
    type Raw = CoverageInput;

    fn parse(raw: CoverageInput) -> Result<Self, ValidationErrors> {
        let this = &raw;
        let mut e = ValidationErrors::new();
        let kind = CoverageKind::parse(this.kind.trim())
            .map_err(|m| e.add("kind", m))
            .ok();
        let priority = match this.priority.trim().parse::<i64>() {
            Ok(p) if (1..=3).contains(&p) => Some(p),
            _ => {
                e.add(
                    "priority",
                    "priority is 1 (primary), 2 (secondary) or 3 (tertiary)",
                );
                None
            }
        };
        let payer = this.payer.trim();
        if payer.is_empty() || payer.chars().count() > 100 {
            e.add("payer", "give the payer's name, up to 100 characters");
        }
        let member_id = identifier(&mut e, "member_id", "member ID", &this.member_id, true);
        let group = identifier(
            &mut e,
            "group_number",
            "group number",
            this.group_number.as_deref().unwrap_or(""),
            false,
        );
        let relationship = Relationship::parse(this.subscriber_relationship.trim())
            .map_err(|m| e.add("subscriber_relationship", m))
            .ok();
        let subscriber = match relationship {
            Some(Relationship::SelfInsured) | None => None,
            Some(_) => {
                let name = this
                    .subscriber_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty());
                if name.is_none() {
                    e.add(
                        "subscriber_name",
                        "give the subscriber's name when the patient is not the subscriber",
                    );
                }
                let dob = match this
                    .subscriber_date_of_birth
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(d) => parse_birth_date(d)
                        .map_err(|m| e.add("subscriber_date_of_birth", m))
                        .ok(),
                    None => {
                        e.add(
                            "subscriber_date_of_birth",
                            "give the subscriber's date of birth",
                        );
                        None
                    }
                };
                name.zip(dob).map(|(n, d)| (n.to_string(), d))
            }
        };
        let from = parse_day(&this.effective_from);
        if from.is_none() {
            e.add(
                "effective_from",
                "write the start date as MM/DD/YYYY or YYYY-MM-DD",
            );
        }
        let to = match this
            .effective_to
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(t) => match parse_day(t) {
                Some(d) if from.is_some_and(|f| d < f) => {
                    e.add("effective_to", "the end date is before the start date");
                    None
                }
                Some(d) => Some(d),
                None => {
                    e.add(
                        "effective_to",
                        "write the end date as MM/DD/YYYY or YYYY-MM-DD",
                    );
                    None
                }
            },
        };
        if !e.is_empty() {
            return Err(e);
        }
        match (kind, priority, member_id, relationship, from) {
            (
                Some(kind),
                Some(priority),
                Some(member_id),
                Some(relationship),
                Some(effective_from),
            ) => Ok(NewCoverage {
                kind,
                priority,
                payer: payer.to_string(),
                member_id,
                group_number: group,
                relationship,
                subscriber,
                effective_from,
                effective_to: to,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids() -> (CoverageId, PatientId) {
        let now = Timestamp::from_micros(1);
        (CoverageId::new(now, [1; 10]), PatientId::new(now, [2; 10]))
    }

    fn valid() -> CoverageInput {
        CoverageInput {
            kind: "vision".into(),
            priority: "1".into(),
            payer: "VSP Vision Care".into(),
            member_id: "abc-123".into(),
            subscriber_relationship: "self".into(),
            effective_from: "01/01/2026".into(),
            ..CoverageInput::default()
        }
    }

    fn today() -> Date {
        Date::new(2026, 11, 26).unwrap()
    }

    #[test]
    fn a_valid_coverage_is_normalised() {
        let (c, p) = ids();
        let cov = valid()
            .validate(c, p, today(), Timestamp::from_micros(1))
            .unwrap();
        assert_eq!(
            (cov.member_id.as_str(), cov.kind, cov.priority),
            ("ABC-123", CoverageKind::Vision, 1)
        );
        assert!(cov.subscriber.is_none());
        assert!(cov.active_on(today()));
    }

    #[test]
    fn a_dependent_needs_the_subscriber() {
        let (c, p) = ids();
        let e = CoverageInput {
            subscriber_relationship: "child".into(),
            ..valid()
        }
        .validate(c, p, today(), Timestamp::from_micros(1))
        .unwrap_err();
        assert!(
            e.for_field("subscriber_name").is_some()
                && e.for_field("subscriber_date_of_birth").is_some()
        );
        let ok = CoverageInput {
            subscriber_relationship: "child".into(),
            subscriber_name: Some("Pat Parent".into()),
            subscriber_date_of_birth: Some("1970-05-05".into()),
            ..valid()
        };
        assert!(
            ok.validate(c, p, today(), Timestamp::from_micros(1))
                .unwrap()
                .subscriber
                .is_some()
        );
    }

    #[test]
    fn the_form_parses_and_today_bounds_the_subscriber_after() {
        let page: CoverageInput = serde_json::from_value(serde_json::json!({
            "kind": "vision",
            "priority": "1",
            "payer": "VSP",
            "member_id": "abc-1",
            "subscriber_relationship": "child",
            "subscriber_name": "Pat Parent",
            "subscriber_date_of_birth": "2030-01-01",
            "effective_from": "2026-01-01",
            "action": "add",
        }))
        .unwrap();
        let new = NewCoverage::parse(page).unwrap();
        assert_eq!(new.member_id, "ABC-1");
        let e = new.check_subscriber(today()).unwrap_err();
        assert!(
            e.for_field("subscriber_date_of_birth")
                .unwrap()
                .contains("future")
        );
        let missing: CoverageInput = serde_json::from_str("{}").unwrap();
        let e = NewCoverage::parse(missing).unwrap_err();
        for field in [
            "kind",
            "priority",
            "payer",
            "member_id",
            "subscriber_relationship",
            "effective_from",
        ] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let (c, p) = ids();
        let input = CoverageInput {
            kind: "dental".into(),
            priority: "4".into(),
            payer: "".into(),
            member_id: "bad id!".into(),
            subscriber_relationship: "cousin".into(),
            effective_from: "2026-02-30".into(),
            effective_to: Some("yesterday".into()),
            ..valid()
        };
        let e = input
            .validate(c, p, today(), Timestamp::from_micros(1))
            .unwrap_err();
        for f in [
            "kind",
            "priority",
            "payer",
            "member_id",
            "subscriber_relationship",
            "effective_from",
            "effective_to",
        ] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        let backwards = CoverageInput {
            effective_to: Some("2025-12-31".into()),
            ..valid()
        };
        assert!(
            backwards
                .validate(c, p, today(), Timestamp::from_micros(1))
                .unwrap_err()
                .for_field("effective_to")
                .is_some()
        );
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric(a in 0i16..400, b in 0i16..400, c in 0i16..400, d in 0i16..400) {
            let (ci, p) = ids();
            let day = |n: i16| Date::new(2025, 1, 1).unwrap().checked_add(jiff::Span::new().days(n)).unwrap();
            let cov = |from: i16, to: i16| {
                let (lo, hi) = (from.min(to), from.max(to));
                CoverageInput { effective_from: day(lo).to_string(), effective_to: Some(day(hi).to_string()), ..valid() }
                    .validate(ci, p, today(), Timestamp::from_micros(1)).unwrap()
            };
            let (x, y) = (cov(a, b), cov(c, d));
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            let shared = (0..400).any(|n| x.active_on(day(n)) && y.active_on(day(n)));
            prop_assert_eq!(x.overlaps(&y), shared);
        }
    }
}
