//! A chart's demographics as typed into the registration form or an API
//! body, and the rules they are checked against.

use jiff::civil::Date;

use super::{
    Channel, CommunicationPrefs, MAX_AGE_YEARS, MAX_NAME_PART_CHARS, PatientFields, Phone,
    SexAtBirth,
};
use crate::error::ValidationErrors;
use crate::identity::normalise_email;
use crate::tenancy::{Address, US_STATES, is_zip};

/// A patient as typed into the registration form or an API body.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    pub legal_first_name: String,
    #[serde(default)]
    pub legal_middle_name: Option<String>,
    pub legal_last_name: String,
    #[serde(default)]
    pub preferred_name: Option<String>,
    /// `YYYY-MM-DD` or `MM/DD/YYYY`.
    pub date_of_birth: String,
    #[serde(default)]
    pub sex_at_birth: Option<String>,
    #[serde(default)]
    pub gender_identity: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub home_phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address_line1: Option<String>,
    #[serde(default)]
    pub address_line2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    /// A language tag such as `en` or `es`; English when absent.
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub emergency_contact_name: Option<String>,
    #[serde(default)]
    pub emergency_contact_phone: Option<String>,
    #[serde(default)]
    pub reminder_channel: Option<String>,
    #[serde(default)]
    pub results_channel: Option<String>,
    #[serde(default)]
    pub statement_channel: Option<String>,
    #[serde(default)]
    pub marketing_consent: bool,
}

fn optional(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn name_part(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: Option<&str>,
    required: bool,
) -> Option<String> {
    match value {
        None if required => {
            errors.add(field, format!("{label} is required"));
            None
        }
        None => None,
        Some(v) if v.chars().count() > MAX_NAME_PART_CHARS => {
            errors.add(
                field,
                format!(
                    "{label} is {} characters long; the limit is {MAX_NAME_PART_CHARS}",
                    v.chars().count()
                ),
            );
            None
        }
        Some(v) if v.chars().any(|c| c.is_control() || c.is_ascii_digit()) => {
            errors.add(
                field,
                format!("{label} contains digits or control characters; check it"),
            );
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

/// A day written `YYYY-MM-DD` or `MM/DD/YYYY`, if it exists.
pub fn parse_us_or_iso_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Some((m, rest)) = t.split_once('/') {
        rest.split_once('/').and_then(|(d, y)| {
            let (y, m, d) = (
                y.parse::<i16>().ok()?,
                m.parse::<i8>().ok()?,
                d.parse::<i8>().ok()?,
            );
            Date::new(y, m, d).ok()
        })
    } else {
        t.parse::<Date>().ok()
    }
}

/// Parses a date of birth in `YYYY-MM-DD` or `MM/DD/YYYY` and checks it is
/// a real day, not in the future and not impossibly long ago.
pub fn parse_date_of_birth(text: &str, today: Date) -> Result<Date, String> {
    let t = text.trim();
    let Some(date) = parse_us_or_iso_date(t) else {
        return Err(format!(
            "{:?} is not a date: write it as MM/DD/YYYY or YYYY-MM-DD, and check the day exists",
            t.chars().take(20).collect::<String>()
        ));
    };
    if date > today {
        return Err("the date of birth is in the future".into());
    }
    if today.year() - date.year() > MAX_AGE_YEARS {
        return Err(format!(
            "the date of birth is more than {MAX_AGE_YEARS} years ago; check the year"
        ));
    }
    Ok(date)
}

fn phone(errors: &mut ValidationErrors, field: &str, value: Option<&str>) -> Option<Phone> {
    value.and_then(|v| Phone::parse(v).map_err(|m| errors.add(field, m)).ok())
}

fn channel(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    default: Channel,
) -> Channel {
    match value {
        None => default,
        Some(v) => Channel::parse(v).unwrap_or_else(|m| {
            errors.add(field, m);
            default
        }),
    }
}

impl PatientInput {
    /// Checks every field and reports every problem at once. `today` is
    /// the practice's date, for the date-of-birth checks.
    pub fn validate(&self, today: Date) -> Result<PatientFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let first = name_part(
            &mut e,
            "legal_first_name",
            "first name",
            Some(self.legal_first_name.trim()).filter(|s| !s.is_empty()),
            true,
        );
        let middle = name_part(
            &mut e,
            "legal_middle_name",
            "middle name",
            optional(&self.legal_middle_name),
            false,
        );
        let last = name_part(
            &mut e,
            "legal_last_name",
            "last name",
            Some(self.legal_last_name.trim()).filter(|s| !s.is_empty()),
            true,
        );
        let preferred = name_part(
            &mut e,
            "preferred_name",
            "preferred name",
            optional(&self.preferred_name),
            false,
        );
        let dob = parse_date_of_birth(&self.date_of_birth, today)
            .map_err(|m| e.add("date_of_birth", m))
            .ok();
        let sex = optional(&self.sex_at_birth).and_then(|s| {
            SexAtBirth::parse(s)
                .map_err(|m| e.add("sex_at_birth", m))
                .ok()
        });
        let gender = name_part(
            &mut e,
            "gender_identity",
            "gender identity",
            optional(&self.gender_identity),
            false,
        );
        let mobile = phone(&mut e, "mobile_phone", optional(&self.mobile_phone));
        let home = phone(&mut e, "home_phone", optional(&self.home_phone));
        let email = optional(&self.email)
            .and_then(|v| normalise_email(v).map_err(|m| e.add("email", m)).ok());

        let parts = [
            optional(&self.address_line1),
            optional(&self.city),
            optional(&self.state),
            optional(&self.zip),
        ];
        let address =
            if parts.iter().all(Option::is_none) && optional(&self.address_line2).is_none() {
                None
            } else {
                for (field, label, v) in [
                    ("address_line1", "address line 1", parts[0]),
                    ("city", "city", parts[1]),
                    ("state", "state", parts[2]),
                    ("zip", "ZIP code", parts[3]),
                ] {
                    if v.is_none() {
                        e.add(
                            field,
                            format!("{label} is required when an address is given"),
                        );
                    }
                }
                let state = parts[2].unwrap_or("").to_ascii_uppercase();
                if parts[2].is_some() && !US_STATES.contains(&state.as_str()) {
                    e.add("state", "use the two-letter USPS code, such as IL");
                }
                if parts[3].is_some_and(|z| !is_zip(z)) {
                    e.add(
                        "zip",
                        "ZIP code must be 5 digits, or ZIP+4 written 12345-6789",
                    );
                }
                Some(Address {
                    line1: parts[0].unwrap_or("").to_string(),
                    line2: optional(&self.address_line2).map(str::to_string),
                    city: parts[1].unwrap_or("").to_string(),
                    state,
                    zip: parts[3].unwrap_or("").to_string(),
                })
            };
        let language = optional(&self.preferred_language)
            .unwrap_or("en")
            .to_ascii_lowercase();
        if !(2..=8).contains(&language.len())
            || !language
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-')
        {
            e.add(
                "preferred_language",
                "use a language code such as en, es or zh-hant",
            );
        }
        let emergency = match (
            optional(&self.emergency_contact_name),
            optional(&self.emergency_contact_phone),
        ) {
            (None, None) => None,
            (Some(n), Some(p)) => {
                let p = phone(&mut e, "emergency_contact_phone", Some(p));
                p.map(|p| (n.to_string(), p))
            }
            (None, Some(_)) => {
                e.add(
                    "emergency_contact_name",
                    "give the emergency contact's name too",
                );
                None
            }
            (Some(_), None) => {
                e.add(
                    "emergency_contact_phone",
                    "give the emergency contact's phone number too",
                );
                None
            }
        };
        let communication = CommunicationPrefs {
            reminders: channel(
                &mut e,
                "reminder_channel",
                optional(&self.reminder_channel),
                if mobile.is_some() {
                    Channel::Sms
                } else {
                    Channel::Email
                },
            ),
            results: channel(
                &mut e,
                "results_channel",
                optional(&self.results_channel),
                Channel::Phone,
            ),
            statements: channel(
                &mut e,
                "statement_channel",
                optional(&self.statement_channel),
                Channel::Mail,
            ),
            marketing_consent: self.marketing_consent,
        };
        if communication.reminders == Channel::Sms && mobile.is_none() {
            e.add(
                "reminder_channel",
                "text reminders need a mobile phone number",
            );
        }
        if communication.reminders == Channel::Email
            && email.is_none()
            && optional(&self.reminder_channel).is_some()
        {
            e.add(
                "reminder_channel",
                "e-mail reminders need an e-mail address",
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        match (first, last, dob) {
            (Some(first), Some(last), Some(dob)) => Ok(PatientFields {
                legal_first_name: first,
                legal_middle_name: middle,
                legal_last_name: last,
                preferred_name: preferred,
                date_of_birth: dob,
                sex_at_birth: sex,
                gender_identity: gender,
                mobile_phone: mobile,
                home_phone: home,
                email,
                address,
                preferred_language: language,
                emergency_contact: emergency,
                communication,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::new(2026, 11, 26).unwrap()
    }

    fn valid() -> PatientInput {
        PatientInput {
            legal_first_name: "Zoë".into(),
            legal_last_name: "Müller-O'Neil".into(),
            date_of_birth: "04/15/1980".into(),
            mobile_phone: Some("(217) 555-0123".into()),
            email: Some("Zoe@Example.com".into()),
            ..PatientInput::default()
        }
    }

    #[test]
    fn a_valid_patient_is_normalised() {
        let f = valid().validate(today()).unwrap();
        assert_eq!(f.date_of_birth, Date::new(1980, 4, 15).unwrap());
        assert_eq!(f.mobile_phone.as_ref().unwrap().e164(), "+12175550123");
        assert_eq!(f.mobile_phone.unwrap().to_string(), "(217) 555-0123");
        assert_eq!(f.email.as_deref(), Some("zoe@example.com"));
        assert_eq!(f.communication.reminders, Channel::Sms);
        assert!(
            !f.communication.marketing_consent,
            "marketing is off unless given"
        );
        assert_eq!(f.preferred_language, "en");
    }

    #[test]
    fn impossible_and_future_dates_are_refused() {
        for (dob, why) in [
            ("02/30/1990", "not a date"),
            ("2027-01-01", "future"),
            ("1850-01-01", "130 years"),
            ("13/01/1990", "not a date"),
            ("", "not a date"),
        ] {
            let err = PatientInput {
                date_of_birth: dob.into(),
                ..valid()
            }
            .validate(today())
            .unwrap_err();
            assert!(
                err.for_field("date_of_birth").unwrap().contains(why),
                "{dob}: {err}"
            );
        }
        assert!(
            PatientInput {
                date_of_birth: "2024-02-29".into(),
                ..valid()
            }
            .validate(today())
            .is_ok()
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = PatientInput {
            legal_first_name: " ".into(),
            legal_last_name: "Sm1th".into(),
            mobile_phone: Some("555-0123".into()),
            home_phone: Some("(017) 555-0123".into()),
            email: Some("not-an-email".into()),
            city: Some("Springfield".into()),
            state: Some("ZZ".into()),
            zip: Some("6270".into()),
            sex_at_birth: Some("x".into()),
            emergency_contact_name: Some("Mom".into()),
            reminder_channel: Some("pigeon".into()),
            ..valid()
        };
        let e = input.validate(today()).unwrap_err();
        for field in [
            "legal_first_name",
            "legal_last_name",
            "mobile_phone",
            "home_phone",
            "email",
            "address_line1",
            "state",
            "zip",
            "sex_at_birth",
            "emergency_contact_phone",
            "reminder_channel",
        ] {
            assert!(e.for_field(field).is_some(), "{field} not reported: {e}");
        }
    }

    proptest! {
        #[test]
        fn validation_never_panics(first in ".{0,120}", dob in ".{0,12}", phone in ".{0,16}") {
            let _ = PatientInput { legal_first_name: first, date_of_birth: dob, mobile_phone: Some(phone), ..valid() }.validate(today());
        }
    }
}
