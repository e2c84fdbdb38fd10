//! The guarantor: who is responsible for a patient's bill. An adult is
//! usually their own guarantor; a minor never is.

use jiff::civil::Date;

use crate::ValidationErrors;
use crate::input::ParseInput;
use crate::patients::Phone;

/// The age below which a patient needs someone else as guarantor.
pub const AGE_OF_MAJORITY: i16 = 18;

/// How the guarantor is related to the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The patient pays their own bills.
    SelfPay,
    Parent,
    Spouse,
    LegalGuardian,
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 5] = [
        Self::SelfPay,
        Self::Parent,
        Self::Spouse,
        Self::LegalGuardian,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfPay => "self",
            Self::Parent => "parent",
            Self::Spouse => "spouse",
            Self::LegalGuardian => "legal_guardian",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SelfPay => "The patient",
            Self::Parent => "Parent",
            Self::Spouse => "Spouse",
            Self::LegalGuardian => "Legal guardian",
            Self::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// A guarantor as typed into the chart's form, whose fields are named
/// `guarantor_name`, `guarantor_phone` and `guarantor_address` there.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct GuarantorInput {
    #[serde(default)]
    pub relationship: String,
    #[serde(default, alias = "guarantor_name")]
    pub name: String,
    #[serde(default, alias = "guarantor_phone")]
    pub phone: String,
    /// Where statements go, one line.
    #[serde(default, alias = "guarantor_address")]
    pub address: String,
}

/// A validated guarantor: the patient, or another person with a name, a
/// phone number and a billing address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Guarantor {
    SelfPay,
    Other {
        relationship: Relationship,
        name: String,
        phone: Phone,
        address: String,
    },
}

/// Whole years between `born` and `on`.
pub fn age_on(born: Date, on: Date) -> i16 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years
}

impl GuarantorInput {
    /// Checks the guarantor for a patient born on `born`, today being
    /// `today`: a minor's guarantor is someone else.
    pub fn validate(&self, born: Date, today: Date) -> Result<Guarantor, ValidationErrors> {
        let g = Guarantor::parse(self.clone())?;
        g.check_for_patient(born, today)?;
        Ok(g)
    }
}

impl ParseInput for Guarantor {
    type Raw = GuarantorInput;

    fn parse(raw: GuarantorInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let Some(relationship) = Relationship::parse(&raw.relationship) else {
            return Err(ValidationErrors::single(
                "relationship",
                "choose self, parent, spouse, legal_guardian or other",
            ));
        };
        if relationship == Relationship::SelfPay {
            return Ok(Guarantor::SelfPay);
        }
        let name = raw.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            e.add("name", "give the guarantor's name, up to 200 characters");
        }
        let phone = Phone::parse(&raw.phone).map_err(|m| e.add("phone", m)).ok();
        let address = raw.address.trim();
        if address.is_empty() || address.chars().count() > 300 {
            e.add(
                "address",
                "give the address statements go to, up to 300 characters",
            );
        }
        match (phone, e.is_empty()) {
            (Some(phone), true) => Ok(Guarantor::Other {
                relationship,
                name: name.to_string(),
                phone,
                address: address.to_string(),
            }),
            _ => Err(e),
        }
    }
}

impl Guarantor {
    /// The rule that needs the patient: someone under
    /// [`AGE_OF_MAJORITY`] on `today` cannot pay their own bills.
    pub fn check_for_patient(&self, born: Date, today: Date) -> Result<(), ValidationErrors> {
        if *self == Guarantor::SelfPay && age_on(born, today) < AGE_OF_MAJORITY {
            return Err(ValidationErrors::single(
                "relationship",
                format!(
                    "the patient is under {AGE_OF_MAJORITY}; name a parent or guardian as guarantor"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn a_minor_needs_someone_else() {
        let today = d(2026, 11, 26);
        let self_pay = GuarantorInput {
            relationship: "self".into(),
            ..Default::default()
        };
        let err = self_pay.validate(d(2010, 1, 1), today).unwrap_err();
        assert!(err.errors[0].message.contains("under 18"), "{err}");
        assert_eq!(
            self_pay.validate(d(2008, 11, 26), today).unwrap(),
            Guarantor::SelfPay
        );
        let parent = GuarantorInput {
            relationship: "parent".into(),
            name: "Dana Smith".into(),
            phone: "(217) 555-0100".into(),
            address: "1 Main St, Springfield, IL 62701".into(),
        };
        assert!(matches!(
            parent.validate(d(2010, 1, 1), today).unwrap(),
            Guarantor::Other {
                relationship: Relationship::Parent,
                ..
            }
        ));
        let incomplete = GuarantorInput {
            relationship: "parent".into(),
            phone: "12".into(),
            ..Default::default()
        };
        let err = incomplete.validate(d(2010, 1, 1), today).unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone", "address"]);
        assert!(
            GuarantorInput {
                relationship: "uncle".into(),
                ..parent
            }
            .validate(d(2010, 1, 1), today)
            .is_err()
        );
    }

    #[test]
    fn the_form_fields_parse_under_their_page_names() {
        let page: GuarantorInput = serde_json::from_value(serde_json::json!({
            "relationship": "parent",
            "guarantor_name": "Dana Smith",
            "guarantor_phone": "(217) 555-0100",
            "guarantor_address": "1 Main St, Springfield, IL 62701",
            "action": "save",
        }))
        .unwrap();
        let g = Guarantor::parse(page).unwrap();
        assert!(matches!(&g, Guarantor::Other { name, .. } if name == "Dana Smith"));
        assert!(g.check_for_patient(d(2020, 1, 1), d(2026, 1, 1)).is_ok());
        // Self-pay parses whoever the patient is; the patient's age decides.
        let self_pay = Guarantor::parse(GuarantorInput {
            relationship: "self".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(
            self_pay
                .check_for_patient(d(2020, 1, 1), d(2026, 1, 1))
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn age_is_whole_years(born in 0i64..40000, later in 0i64..40000) {
            let b = d(1900, 1, 1).checked_add(jiff::Span::new().days(born)).unwrap();
            let on = b.checked_add(jiff::Span::new().days(later)).unwrap();
            let age = age_on(b, on);
            prop_assert!(age >= 0);
            let birthday = b.checked_add(jiff::Span::new().years(i64::from(age))).unwrap();
            prop_assert!(birthday <= on);
            let next = b.checked_add(jiff::Span::new().years(i64::from(age) + 1)).unwrap();
            prop_assert!(next > on);
        }
    }
}
