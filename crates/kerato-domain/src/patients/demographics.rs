//! A chart's demographics as typed into the registration form or an API
//! body, and the rules they are checked against.

use jiff::civil::Date;

use super::{
    Channel, CommunicationPrefs, MAX_AGE_YEARS, MAX_NAME_PART_CHARS, PatientFields, Phone,
    SexAtBirth,
};
use crate::error::ValidationErrors;
use crate::identity::normalise_email;
use crate::input::ParseInput;
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
    /// Whether the patient agreed to marketing messages; a form's ticked
    /// checkbox (`1`) counts as `true`.
    #[serde(default, deserialize_with = "checkbox")]
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
    let date = parse_birth_date(text)?;
    check_birth_date(date, today)?;
    Ok(date)
}

/// A date of birth written `YYYY-MM-DD` or `MM/DD/YYYY`, if the day exists.
pub(crate) fn parse_birth_date(text: &str) -> Result<Date, String> {
    let t = text.trim();
    parse_us_or_iso_date(t).ok_or_else(|| {
        format!(
            "{:?} is not a date: write it as MM/DD/YYYY or YYYY-MM-DD, and check the day exists",
            t.chars().take(20).collect::<String>()
        )
    })
}

/// Whether a date of birth can be a living patient's on `today`: not in the
/// future and not impossibly long ago.
pub(crate) fn check_birth_date(date: Date, today: Date) -> Result<(), String> {
    if date > today {
        return Err("the date of birth is in the future".into());
    }
    if today.year() - date.year() > MAX_AGE_YEARS {
        return Err(format!(
            "the date of birth is more than {MAX_AGE_YEARS} years ago; check the year"
        ));
    }
    Ok(())
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
        self.check(Some(today))
    }

    /// Checks every field; the date of birth against `today` too when it
    /// is given (a request is parsed before the practice's date is known,
    /// and the use case checks that rule with [`PatientFields::check_date_of_birth`]).
    fn check(&self, today: Option<Date>) -> Result<PatientFields, ValidationErrors> {
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
        let dob = parse_birth_date(&self.date_of_birth)
            .and_then(|d| match today {
                Some(today) => check_birth_date(d, today).map(|()| d),
                None => Ok(d),
            })
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

impl PatientFields {
    /// The one rule a request cannot be checked against when it is
    /// parsed: that the date of birth is possible on the practice's `today`.
    pub fn check_date_of_birth(&self, today: Date) -> Result<(), ValidationErrors> {
        check_birth_date(self.date_of_birth, today)
            .map_err(|m| ValidationErrors::single("date_of_birth", m))
    }
}

/// A checkbox: JSON's `true` or `false`, or what a form sends (`1`, `on`,
/// `true` when ticked; nothing or an empty value when not).
fn checkbox<'de, D: serde::Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Tick {
        Bool(bool),
        Text(String),
    }
    match <Tick as serde::Deserialize>::deserialize(de)? {
        Tick::Bool(b) => Ok(b),
        Tick::Text(t) => match t.trim() {
            "1" | "on" | "true" | "yes" => Ok(true),
            "" | "0" | "off" | "false" | "no" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "{:?} is not a yes or no: tick the box or leave it empty",
                other.chars().take(20).collect::<String>()
            ))),
        },
    }
}

/// The registration and demographics forms as a page sends them: the
/// chart's fields side by side with the form's own (the duplicate
/// confirmation, the version an edit started from). Unknown fields are
/// let through, as a form's buttons send their names too.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PatientForm {
    #[serde(flatten)]
    pub patient: PatientInput,
    #[serde(default, deserialize_with = "checkbox")]
    pub allow_duplicate: bool,
    #[serde(default)]
    pub version: Option<String>,
}

/// A registration as the API takes it.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientCreateBody {
    pub patient: PatientInput,
    /// Register even though a chart with the same name and birth date,
    /// phone or e-mail exists.
    #[serde(default)]
    pub allow_duplicate: bool,
}

/// A change of demographics as the API takes it.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientUpdateBody {
    pub patient: PatientInput,
    /// The version the edit started from, as returned by GET.
    pub version: i64,
}

/// A checked registration: the new chart's demographics, and whether it
/// goes ahead although a chart that may be the same person exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub fields: PatientFields,
    pub allow_duplicate: bool,
}

impl Registration {
    /// A registration of `patient`'s demographics (for imports, the demo
    /// and tests, which hold the text shape already).
    pub fn of(patient: &PatientInput, allow_duplicate: bool) -> Result<Self, ValidationErrors> {
        Ok(Self {
            fields: patient.check(None)?,
            allow_duplicate,
        })
    }
}

impl ParseInput for Registration {
    type Raw = PatientCreateBody;

    fn parse(raw: PatientCreateBody) -> Result<Self, ValidationErrors> {
        Self::of(&raw.patient, raw.allow_duplicate)
    }
}

/// A registration from the registration page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationForm(pub Registration);

impl ParseInput for RegistrationForm {
    type Raw = PatientForm;

    fn parse(raw: PatientForm) -> Result<Self, ValidationErrors> {
        Registration::of(&raw.patient, raw.allow_duplicate).map(Self)
    }
}

/// A checked change of a chart's demographics, with the version of the
/// chart it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemographicsUpdate {
    pub fields: PatientFields,
    pub version: i64,
}

impl DemographicsUpdate {
    /// A change to `patient`'s demographics made from chart version `version`.
    pub fn of(patient: &PatientInput, version: i64) -> Result<Self, ValidationErrors> {
        Ok(Self {
            fields: patient.check(None)?,
            version,
        })
    }
}

impl ParseInput for DemographicsUpdate {
    type Raw = PatientUpdateBody;

    fn parse(raw: PatientUpdateBody) -> Result<Self, ValidationErrors> {
        Self::of(&raw.patient, raw.version)
    }
}

/// A change of demographics from the chart's edit page, which carries the
/// version the page was drawn from in a hidden field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemographicsForm(pub DemographicsUpdate);

impl ParseInput for DemographicsForm {
    type Raw = PatientForm;

    fn parse(raw: PatientForm) -> Result<Self, ValidationErrors> {
        let version = raw.version.as_deref().and_then(|v| v.trim().parse().ok());
        let fields = raw.patient.check(None);
        match (fields, version) {
            (Ok(fields), Some(version)) => Ok(Self(DemographicsUpdate { fields, version })),
            (fields, version) => {
                let mut e = fields.err().unwrap_or_default();
                if version.is_none() {
                    e.add(
                        VERSION_FIELD,
                        "the form lost the chart's version; reload the page",
                    );
                }
                Err(e)
            }
        }
    }
}

/// The field of an edit form that names the version it was drawn from.
pub const VERSION_FIELD: &str = "version";

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

    fn form(pairs: &[(&str, &str)]) -> serde_json::Value {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    #[test]
    fn the_form_and_the_api_give_the_same_registration() {
        let page = form(&[
            ("legal_first_name", "Zoë"),
            ("legal_last_name", "Müller-O'Neil"),
            ("date_of_birth", "04/15/1980"),
            ("mobile_phone", "(217) 555-0123"),
            ("email", "Zoe@Example.com"),
            ("marketing_consent", "1"),
            ("allow_duplicate", "1"),
            ("action", "save"),
        ]);
        let raw: PatientForm = serde_json::from_value(page).unwrap();
        let from_page = RegistrationForm::parse(raw).unwrap().0;
        let body: PatientCreateBody = serde_json::from_value(serde_json::json!({
            "patient": {
                "legal_first_name": "Zoë",
                "legal_last_name": "Müller-O'Neil",
                "date_of_birth": "04/15/1980",
                "mobile_phone": "(217) 555-0123",
                "email": "Zoe@Example.com",
                "marketing_consent": true,
            },
            "allow_duplicate": true,
        }))
        .unwrap();
        assert_eq!(Registration::parse(body).unwrap(), from_page);
        assert!(from_page.allow_duplicate && from_page.fields.communication.marketing_consent);
    }

    #[test]
    fn the_api_still_refuses_unknown_fields_and_the_form_ignores_them() {
        let unknown = serde_json::json!({
            "patient": { "legal_first_name": "A", "legal_last_name": "B", "date_of_birth": "2000-01-01", "colour": "red" },
        });
        assert!(serde_json::from_value::<PatientCreateBody>(unknown).is_err());
        let unknown = serde_json::json!({ "patient": valid_json(), "version": 1, "colour": "red" });
        assert!(serde_json::from_value::<PatientUpdateBody>(unknown).is_err());
        let bad_tick = form(&[
            ("legal_first_name", "A"),
            ("legal_last_name", "B"),
            ("date_of_birth", "2000-01-01"),
            ("marketing_consent", "maybe"),
        ]);
        assert!(serde_json::from_value::<PatientForm>(bad_tick).is_err());
    }

    fn valid_json() -> serde_json::Value {
        serde_json::json!({ "legal_first_name": "A", "legal_last_name": "B", "date_of_birth": "2000-01-01" })
    }

    #[test]
    fn an_edit_form_names_a_lost_version_with_every_other_problem() {
        let raw: PatientForm = serde_json::from_value(form(&[
            ("legal_first_name", ""),
            ("legal_last_name", "B"),
            ("date_of_birth", "2000-01-01"),
        ]))
        .unwrap();
        let e = DemographicsForm::parse(raw).unwrap_err();
        assert!(e.for_field(VERSION_FIELD).is_some() && e.for_field("legal_first_name").is_some());
        let raw: PatientForm = serde_json::from_value(form(&[
            ("legal_first_name", "A"),
            ("legal_last_name", "B"),
            ("date_of_birth", "2000-01-01"),
            ("version", "7"),
        ]))
        .unwrap();
        assert_eq!(DemographicsForm::parse(raw).unwrap().0.version, 7);
    }

    #[test]
    fn the_date_of_birth_is_checked_against_today_where_today_is_known() {
        let future = PatientInput {
            date_of_birth: "2027-01-01".into(),
            ..valid()
        };
        // Parsed without the practice's date, the day itself is fine...
        let parsed = Registration::of(&future, false).unwrap();
        // ...and the use case's check refuses it, naming the field.
        let e = parsed.fields.check_date_of_birth(today()).unwrap_err();
        assert!(e.for_field("date_of_birth").unwrap().contains("future"));
        assert!(
            valid()
                .validate(today())
                .unwrap()
                .check_date_of_birth(today())
                .is_ok()
        );
    }

    proptest! {
        #[test]
        fn the_form_and_the_api_agree_on_any_input(
            first in ".{0,30}",
            dob in "[0-9/-]{0,12}",
            phone in ".{0,16}",
            tick in prop::bool::ANY,
        ) {
            let patient = PatientInput { legal_first_name: first, date_of_birth: dob, mobile_phone: Some(phone), marketing_consent: tick, ..valid() };
            let api = Registration::parse(PatientCreateBody { patient: patient.clone(), allow_duplicate: tick });
            let page = RegistrationForm::parse(PatientForm { patient, allow_duplicate: tick, version: None }).map(|f| f.0);
            prop_assert_eq!(api, page);
        }

        #[test]
        fn validation_never_panics(first in ".{0,120}", dob in ".{0,12}", phone in ".{0,16}") {
            let _ = PatientInput { legal_first_name: first, date_of_birth: dob, mobile_phone: Some(phone), ..valid() }.validate(today());
        }
    }
}
