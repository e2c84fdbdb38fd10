//! Patients: the registry's rules (names, dates of birth, phone numbers,
//! addresses, communication preferences) and the name matching behind the
//! as-you-type search and duplicate detection.
//!
//! `demographics` checks what is typed into a chart, `name` folds and
//! matches names, `search` pages through a search's results.

use std::fmt;

use crate::error::ValidationErrors;
use crate::ids::{OrganisationId, PatientId};
use crate::input::ParseInput;
use crate::tenancy::Address;
use crate::time::Timestamp;

mod demographics;
mod name;
pub mod search;

pub use demographics::*;
use jiff::civil::Date;
pub use name::*;

pub const MAX_NAME_PART_CHARS: usize = 100;
/// The oldest documented human lived 122 years; anything past this is a typo.
pub const MAX_AGE_YEARS: i16 = 130;

/// A US phone number, stored in E.164 form (`+12175550123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Phone(String);

impl Phone {
    /// Accepts what people type: `(217) 555-0123`, `217.555.0123`,
    /// `+1 217 555 0123`, `12175550123`. The number must follow the North
    /// American numbering plan (area code and exchange do not start with 0 or 1).
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let stray = text
            .chars()
            .any(|c| !(c.is_ascii_digit() || " ()-.+".contains(c)));
        let national = match digits.len() {
            10 => digits.as_str(),
            11 if digits.starts_with('1') => &digits[1..],
            _ => "",
        };
        let nanp = national.len() == 10
            && !matches!(national.as_bytes()[0], b'0' | b'1')
            && !matches!(national.as_bytes()[3], b'0' | b'1');
        if stray || !nanp {
            return Err(format!(
                "{:?} is not a US phone number: write 10 digits such as (217) 555-0123",
                text.chars().take(30).collect::<String>()
            ));
        }
        Ok(Self(format!("+1{national}")))
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The ten national digits, for searching.
    pub fn national(&self) -> &str {
        &self.0[2..]
    }

    pub fn from_e164(text: &str) -> Result<Self, String> {
        Self::parse(text)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.national();
        write!(f, "({}) {}-{}", &n[..3], &n[3..6], &n[6..])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SexAtBirth {
    Female,
    Male,
    Unknown,
}

impl SexAtBirth {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "female" => Ok(Self::Female),
            "male" => Ok(Self::Male),
            "unknown" => Ok(Self::Unknown),
            other => Err(format!(
                "{other:?} is not a sex at birth: use female, male or unknown"
            )),
        }
    }
}

/// How a patient wants to hear from the practice, per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Phone,
    Mail,
    None,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Phone => "phone",
            Self::Mail => "mail",
            Self::None => "none",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "email" => Ok(Self::Email),
            "sms" => Ok(Self::Sms),
            "phone" => Ok(Self::Phone),
            "mail" => Ok(Self::Mail),
            "none" => Ok(Self::None),
            other => Err(format!(
                "{other:?} is not a channel: use email, sms, phone, mail or none"
            )),
        }
    }
}

/// Channels per purpose. Marketing is separate consent, off unless given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CommunicationPrefs {
    pub reminders: Channel,
    pub results: Channel,
    pub statements: Channel,
    pub marketing_consent: bool,
}

/// The validated content of a chart's demographics.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatientFields {
    pub legal_first_name: String,
    pub legal_middle_name: Option<String>,
    pub legal_last_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub sex_at_birth: Option<SexAtBirth>,
    pub gender_identity: Option<String>,
    pub mobile_phone: Option<Phone>,
    pub home_phone: Option<Phone>,
    pub email: Option<String>,
    pub address: Option<Address>,
    pub preferred_language: String,
    pub emergency_contact: Option<(String, Phone)>,
    pub communication: CommunicationPrefs,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Patient {
    pub id: PatientId,
    pub organisation_id: OrganisationId,
    /// Medical record number, unique within the organisation.
    pub mrn: String,
    pub fields: PatientFields,
    /// Set when this chart was a duplicate merged into another.
    pub merged_into: Option<PatientId>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A medical record number: seven digits, as the registry hands them out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mrn(String);

impl Mrn {
    /// Accepts an MRN as typed, its leading zeros optional (`42` is
    /// `0000042`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() || t.len() > 7 || !t.chars().all(|c| c.is_ascii_digit()) {
            return Err("enter the duplicate chart's MRN (digits only)".into());
        }
        Ok(Self(format!("{t:0>7}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Mrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The chart's merge form: the MRN of a duplicate chart.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MergeInput {
    #[serde(default)]
    pub mrn: String,
}

/// A checked request to merge the chart with this MRN into another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartMerge {
    pub duplicate: Mrn,
}

impl ParseInput for ChartMerge {
    type Raw = MergeInput;

    fn parse(raw: MergeInput) -> Result<Self, ValidationErrors> {
        Mrn::parse(&raw.mrn)
            .map(|duplicate| Self { duplicate })
            .map_err(|m| ValidationErrors::single("mrn", m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_mrn_is_seven_digits_however_it_was_typed() {
        assert_eq!(Mrn::parse(" 42 ").unwrap().as_str(), "0000042");
        assert_eq!(Mrn::parse("1234567").unwrap().to_string(), "1234567");
        for bad in ["", "abc", "12345678", "12 3", "-1"] {
            assert!(Mrn::parse(bad).is_err(), "{bad:?}");
        }
        let e = ChartMerge::parse(MergeInput { mrn: "x".into() }).unwrap_err();
        assert!(e.for_field("mrn").is_some());
    }

    proptest! {
        #[test]
        fn any_mrn_the_registry_hands_out_parses_to_itself(n in 1u32..10_000_000) {
            let mrn = format!("{n:07}");
            prop_assert_eq!(Mrn::parse(&mrn).unwrap().to_string(), mrn.clone());
            prop_assert_eq!(Mrn::parse(&n.to_string()).unwrap().to_string(), mrn);
        }

        #[test]
        fn phones_round_trip(area in 200u32..999, exchange in 200u32..999, line in 0u32..9999) {
            let typed = format!("({area:03}) {exchange:03}-{line:04}");
            let p = Phone::parse(&typed).unwrap();
            prop_assert_eq!(p.to_string(), typed);
            prop_assert_eq!(Phone::parse(p.e164()).unwrap(), p);
        }
    }
}
