//! Patients: the registry's rules (names, dates of birth, phone numbers,
//! addresses, communication preferences) and the name matching behind the
//! as-you-type search and duplicate detection.

use std::fmt;

use jiff::civil::Date;
use unicode_normalization::UnicodeNormalization;

use crate::error::ValidationErrors;
use crate::identity::normalise_email;
use crate::ids::{OrganisationId, PatientId};
use crate::tenancy::{Address, US_STATES, is_zip};
use crate::time::Timestamp;

pub mod search;

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

/// Folds a name for matching: accents removed, lower case, apostrophes and
/// periods dropped, hyphens and other separators turned into spaces.
/// `Zoë Müller-O'Neil` becomes `zoe muller oneil`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Lower-case before decomposing: some capitals lower-case to a letter
    // plus a combining mark (İ to i and a dot above), which decomposition
    // then exposes for removal, so folding twice changes nothing.
    for c in text.to_lowercase().nfd() {
        match c {
            '\u{0300}'..='\u{036f}' => {}
            '\'' | '’' | '.' => {}
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
        }
    }
    // Dropping an apostrophe can bring two combining marks together, which
    // canonical order then sorts: order them now, so folding twice changes
    // nothing.
    out.trim_end().nfd().collect()
}

/// Whether `a` and `b` are within one edit (insert, delete, substitute, or
/// swap of neighbours): the typo tolerance of the search.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if la == lb {
        let rest_equal = |from: usize| a[from..] == b[from..];
        // Substitution, or a swap of two neighbours.
        rest_equal(prefix + 1)
            || (prefix + 1 < la
                && a[prefix] == b[prefix + 1]
                && a[prefix + 1] == b[prefix]
                && rest_equal(prefix + 2))
    } else {
        let (long, short) = if la > lb { (&a, &b) } else { (&b, &a) };
        long[prefix + 1..] == short[prefix..]
    }
}

/// What a query word earns for beginning a name word.
pub const PREFIX_SCORE: u32 = 3;
/// What a query word earns for beginning a name word with one typo.
pub const TYPO_SCORE: u32 = 1;

/// How much a match counts: the first query word's match in a last name
/// weighs most, every other match the same.
pub fn match_weight(first_query_word: bool, kind: NameKind) -> u32 {
    if first_query_word && kind == NameKind::Last {
        4
    } else {
        2
    }
}

/// How well one query word matches one name word: [`PREFIX_SCORE`] for a
/// prefix, [`TYPO_SCORE`] for a prefix with one typo, 0 for no match.
fn word_score(query: &str, word: &str) -> u32 {
    if word.starts_with(query) {
        return PREFIX_SCORE;
    }
    let q = query.chars().count();
    if q < 3 {
        return 0;
    }
    // Compare the query with the word's beginnings one shorter, equal and
    // one longer, so a typo anywhere in what was typed still matches.
    let chars: Vec<char> = word.chars().collect();
    let close = (q.saturating_sub(1)..=q + 1)
        .filter(|n| *n <= chars.len() && *n > 0)
        .any(|n| within_one_edit(query, &chars[..n].iter().collect::<String>()));
    if close { TYPO_SCORE } else { 0 }
}

/// Ranks a patient's names against a query; `None` when some query word
/// matches no name word. Last-name matches weigh most, so "smi jo" finds
/// Jo Smith before Smitty Jones.
pub fn name_match(query: &str, last: &str, first: &str, preferred: Option<&str>) -> Option<u32> {
    let q = fold(query);
    if q.is_empty() {
        return None;
    }
    let last = fold(last);
    let first = fold(first);
    let preferred = preferred.map(fold).unwrap_or_default();
    let mut total = 0;
    for (i, qw) in q.split(' ').enumerate() {
        let best = last
            .split(' ')
            .map(|w| word_score(qw, w) * match_weight(i == 0, NameKind::Last))
            .chain(
                first
                    .split(' ')
                    .chain(preferred.split(' '))
                    .filter(|w| !w.is_empty())
                    .map(|w| word_score(qw, w) * match_weight(i == 0, NameKind::First)),
            )
            .max()
            .unwrap_or(0);
        if best == 0 {
            return None;
        }
        total += best;
    }
    Some(total)
}

/// Which of a chart's names a search word comes from: last-name words rank
/// above words of the first or preferred name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameKind {
    Last,
    First,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Last => "last",
            Self::First => "first",
        }
    }
}

/// The distinct folded words of a chart's names, each once per kind, in the
/// order the search index stores them. Preferred names count as first names.
pub fn name_words(last: &str, first: &str, preferred: Option<&str>) -> Vec<(NameKind, String)> {
    let mut words = std::collections::BTreeSet::new();
    for w in fold(last).split(' ').filter(|w| !w.is_empty()) {
        words.insert((NameKind::Last, w.to_string()));
    }
    let preferred = preferred.map(fold).unwrap_or_default();
    for w in fold(first)
        .split(' ')
        .chain(preferred.split(' '))
        .filter(|w| !w.is_empty())
    {
        words.insert((NameKind::First, w.to_string()));
    }
    words.into_iter().collect()
}

/// Characters of a name word's beginning that typo keys cover. A longer
/// query word is looked up by its first `TYPO_KEY_CHARS` characters and the
/// words found are checked against all of it, which keeps the keys of a
/// word to about twenty however long the word is.
pub const TYPO_KEY_CHARS: usize = 5;

/// Shortest query word that tolerates a typo (shorter ones would match
/// nearly everything).
pub const MIN_TYPO_CHARS: usize = 3;

/// `s` and every string made by removing one character of `s`.
fn deletion_neighbourhood(s: &[char], out: &mut std::collections::BTreeSet<String>) {
    out.insert(s.iter().collect());
    for i in 0..s.len() {
        out.insert(s[..i].iter().chain(&s[i + 1..]).collect());
    }
}

/// The keys under which a folded name word is found by a query word with
/// one typo: the deletion neighbourhoods of the word's beginnings of 2 to
/// `TYPO_KEY_CHARS + 1` characters. A query word within one edit of a
/// beginning of the word shares a key with it (see [`typo_probe`]), so a
/// one-typo lookup is an index probe instead of a scan.
pub fn typo_keys(word: &str) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut keys = std::collections::BTreeSet::new();
    for len in 2..=chars.len().min(TYPO_KEY_CHARS + 1) {
        deletion_neighbourhood(&chars[..len], &mut keys);
    }
    keys
}

/// The keys to look up for a folded query word of at least
/// [`MIN_TYPO_CHARS`] characters: the deletion neighbourhood of its first
/// `TYPO_KEY_CHARS` characters. Every word the query matches with one typo
/// has one of these among its [`typo_keys`]; some words found this way are
/// further off, so each is checked with [`typo_match`].
pub fn typo_probe(query_word: &str) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = query_word.chars().take(TYPO_KEY_CHARS).collect();
    let mut keys = std::collections::BTreeSet::new();
    deletion_neighbourhood(&chars, &mut keys);
    keys
}

/// Whether a folded query word matches a folded name word only with a typo
/// (a beginning of the word is one edit away, and the word does not simply
/// start with the query).
pub fn typo_match(query_word: &str, word: &str) -> bool {
    word_score(query_word, word) == 1
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

    #[test]
    fn folding_removes_accents_case_and_punctuation() {
        assert_eq!(fold("Zoë Müller-O'Neil"), "zoe muller oneil");
        assert_eq!(fold("  ÅSTRÖM  "), "astrom");
        assert_eq!(fold("Strauß"), "strauss");
        assert_eq!(fold("Nguyễn"), "nguyen");
    }

    #[test]
    fn one_typo_is_tolerated_two_are_not() {
        assert!(within_one_edit("smith", "smyth"));
        assert!(within_one_edit("smith", "smth"));
        assert!(within_one_edit("smith", "smitth"));
        assert!(within_one_edit("smith", "msith"));
        assert!(!within_one_edit("smith", "smyht"));
        assert!(!within_one_edit("smith", "jones"));
    }

    #[test]
    fn name_words_are_folded_distinct_and_kinded() {
        assert_eq!(
            name_words("Müller-O'Neil", "Zoë Anne", Some("Zoe")),
            vec![
                (NameKind::Last, "muller".to_string()),
                (NameKind::Last, "oneil".to_string()),
                (NameKind::First, "anne".to_string()),
                (NameKind::First, "zoe".to_string()),
            ]
        );
        assert_eq!(name_words("Lee", "Lee", None).len(), 2);
    }

    #[test]
    fn typo_keys_cover_beginnings_and_probes_the_typed_start() {
        let keys = typo_keys("smith");
        for k in [
            "sm", "s", "m", "smi", "si", "mi", "smit", "smt", "smith", "smth", "sith",
        ] {
            assert!(keys.contains(k), "{k}");
        }
        assert!(!keys.contains("smithson"));
        // Six characters at most, however long the word.
        assert!(
            typo_keys("johanssonski")
                .iter()
                .all(|k| k.chars().count() <= 6)
        );
        assert_eq!(typo_probe("smtih").len(), 6);
        assert!(
            typo_probe("smtihers")
                .iter()
                .all(|k| k.chars().count() <= 5)
        );
        assert!(!typo_probe("smtih").is_disjoint(&typo_keys("smith")));
        assert!(typo_match("smtih", "smith") && typo_match("smyth", "smithers"));
        assert!(!typo_match("smi", "smith"), "a plain prefix is not a typo");
        assert!(!typo_match("sm", "sn"), "too short to tolerate a typo");
    }

    #[test]
    fn search_ranks_last_name_matches_first() {
        let jo_smith = name_match("smi jo", "Smith", "Jo", None).unwrap();
        let smitty_jones = name_match("smi jo", "Jones", "Smitty", None).unwrap();
        assert!(jo_smith > smitty_jones);
        assert!(name_match("muller", "Müller-O'Neil", "Zoë", None).is_some());
        assert!(name_match("oneil", "Müller-O'Neil", "Zoë", None).is_some());
        assert!(
            name_match("mullr", "Müller-O'Neil", "Zoë", None).is_some(),
            "one typo"
        );
        assert!(name_match("zoe", "Müller-O'Neil", "Zoë", None).is_some());
        assert!(name_match("liz", "Taylor", "Elizabeth", Some("Liz")).is_some());
        assert!(name_match("xyz", "Taylor", "Elizabeth", None).is_none());
        assert!(name_match("", "Taylor", "Elizabeth", None).is_none());
    }

    proptest! {
        #[test]
        fn any_single_substitution_is_within_one_edit(s in "[a-z]{1,12}", i in 0usize..12, c in "[a-z]") {
            let mut chars: Vec<char> = s.chars().collect();
            let i = i % chars.len();
            chars[i] = c.chars().next().unwrap();
            let t: String = chars.into_iter().collect();
            prop_assert!(within_one_edit(&s, &t));
            prop_assert!(within_one_edit(&t, &s));
        }

        #[test]
        fn any_deletion_is_within_one_edit(s in "[a-z]{2,12}", i in 0usize..12) {
            let mut chars: Vec<char> = s.chars().collect();
            chars.remove(i % chars.len());
            let t: String = chars.into_iter().collect();
            prop_assert!(within_one_edit(&s, &t));
        }

        #[test]
        fn phones_round_trip(area in 200u32..999, exchange in 200u32..999, line in 0u32..9999) {
            let typed = format!("({area:03}) {exchange:03}-{line:04}");
            let p = Phone::parse(&typed).unwrap();
            prop_assert_eq!(p.to_string(), typed);
            prop_assert_eq!(Phone::parse(p.e164()).unwrap(), p);
        }

        #[test]
        fn every_one_typo_match_shares_a_key(q in "[abcé]{3,9}", w in "[abcé]{1,11}") {
            // A small alphabet makes near matches common, so both sides of
            // the implication are exercised.
            let (q, w) = (fold(&q), fold(&w));
            if typo_match(&q, &w) {
                prop_assert!(!typo_probe(&q).is_disjoint(&typo_keys(&w)), "{} {}", q, w);
            }
        }

        #[test]
        fn a_typed_beginning_with_one_edit_is_found(
            w in "[a-z]{1,12}",
            len in 3usize..10,
            at in 0usize..10,
            c in "[a-z]",
            edit in 0u8..4,
        ) {
            // What the front desk types: the start of a name with one edit.
            let mut typed: Vec<char> = w.chars().take(len).collect();
            let c = c.chars().next().unwrap();
            let at = at % typed.len();
            match edit {
                0 => typed[at] = c,
                1 => typed.insert(at, c),
                2 => { typed.remove(at); }
                _ => if at + 1 < typed.len() { typed.swap(at, at + 1) },
            }
            let typed: String = typed.into_iter().collect();
            if typed.chars().count() >= MIN_TYPO_CHARS && !w.starts_with(&typed) {
                prop_assert!(typo_match(&typed, &w), "{} {}", typed, w);
                prop_assert!(!typo_probe(&typed).is_disjoint(&typo_keys(&w)), "{} {}", typed, w);
            }
        }

        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn validation_never_panics(first in ".{0,120}", dob in ".{0,12}", phone in ".{0,16}") {
            let _ = PatientInput { legal_first_name: first, date_of_birth: dob, mobile_phone: Some(phone), ..valid() }.validate(today());
        }
    }
}
