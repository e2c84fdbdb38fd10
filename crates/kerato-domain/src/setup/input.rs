//! The set-up's forms and bodies, parsed once: a location's week of
//! opening hours, the specialties whose defaults to add, the first notice
//! of privacy practices, and the messaging settings and their test.

use std::collections::BTreeSet;

use jiff::civil::Date;

use super::{Channel, OpeningHours};
use crate::ValidationErrors;
use crate::input::{ParseInput, non_blank, one_or_many};
use crate::providers::hours::{parse_date, parse_time, parse_weekday, weekday_name};
use crate::tenancy::Specialty;

/// One day's hours as a form or the API gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpeningHoursInput {
    /// `monday` … `sunday`.
    pub weekday: String,
    /// `HH:MM`, 24-hour.
    pub opens: String,
    /// `HH:MM`, after `opens`.
    pub closes: String,
}

/// Reads a location's week of opening hours: at most one span a day; a
/// day not given is closed.
pub fn parse_opening_hours(
    days: &[OpeningHoursInput],
) -> Result<Vec<OpeningHours>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut out: Vec<OpeningHours> = Vec::new();
    if days.len() > 7 {
        errors.add("days", "give at most one span for each of the 7 days");
        return Err(errors);
    }
    for (i, d) in days.iter().enumerate() {
        let field = |name: &str| format!("days[{i}].{name}");
        let weekday = parse_weekday(&d.weekday);
        if weekday.is_none() {
            errors.add(field("weekday"), "write the weekday as monday … sunday");
        }
        let opens = parse_time(&d.opens)
            .map_err(|m| errors.add(field("opens"), m))
            .ok();
        let closes = parse_time(&d.closes)
            .map_err(|m| errors.add(field("closes"), m))
            .ok();
        if let (Some(weekday), Some(opens), Some(closes)) = (weekday, opens, closes) {
            if closes <= opens {
                errors.add(
                    field("closes"),
                    format!(
                        "{} closes at {} before it opens at {}",
                        weekday_name(weekday),
                        closes.strftime("%H:%M"),
                        opens.strftime("%H:%M")
                    ),
                );
            } else if out.iter().any(|o| o.weekday == weekday) {
                errors.add(
                    field("weekday"),
                    format!(
                        "{} is given twice; give one span a day",
                        weekday_name(weekday)
                    ),
                );
            } else {
                out.push(OpeningHours {
                    weekday,
                    opens,
                    closes,
                });
            }
        }
    }
    out.sort_by_key(|h| h.weekday.to_monday_zero_offset());
    errors.into_result(out)
}

/// The e-mail and text-message settings as the set-up takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MessagingInput {
    /// `smtp://host:port`, `smtp://host?tls=required` (STARTTLS) or
    /// `smtps://host`, with any credentials as `user:password@`; empty
    /// keeps e-mail queued.
    #[serde(default)]
    pub smtp_url: Option<String>,
    /// `Riverside Skin & Eye <front-desk@riverside.example>`.
    pub from_address: String,
    /// The HTTP gateway SMS are posted to; empty keeps them queued.
    #[serde(default)]
    pub sms_gateway_url: Option<String>,
    /// The gateway's bearer token; empty keeps the one saved before.
    #[serde(default)]
    pub sms_token: Option<String>,
}

/// A location's opening hours as the API gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OpeningHoursBody))]
#[serde(deny_unknown_fields)]
pub struct OpeningWeekInput {
    /// One span a day; a day not given is closed.
    pub days: Vec<OpeningHoursInput>,
}

/// A location's week of opening hours, checked: at least one day open, one
/// span a day, Monday first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningWeek(pub Vec<OpeningHours>);

impl ParseInput for OpeningWeek {
    type Raw = OpeningWeekInput;

    fn parse(raw: OpeningWeekInput) -> Result<Self, ValidationErrors> {
        let hours = parse_opening_hours(&raw.days)?;
        if hours.is_empty() {
            return Err(ValidationErrors::single(
                "days",
                "give the hours of at least one day the location is open",
            ));
        }
        Ok(Self(hours))
    }
}

impl OpeningWeek {
    /// The week as the API gives it back.
    pub fn to_input(&self) -> OpeningWeekInput {
        week_input(&self.0)
    }
}

/// Opening hours as the API gives them back.
pub fn week_input(hours: &[OpeningHours]) -> OpeningWeekInput {
    OpeningWeekInput {
        days: hours
            .iter()
            .map(|h| OpeningHoursInput {
                weekday: weekday_name(h.weekday).to_ascii_lowercase(),
                opens: h.opens.strftime("%H:%M").to_string(),
                closes: h.closes.strftime("%H:%M").to_string(),
            })
            .collect(),
    }
}

/// The opening-hours form as the browser sends it: a row a weekday
/// (`mon_opens`, `mon_closes` …); a day with both times empty is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct OpeningHoursFormInput {
    #[serde(default)]
    pub mon_opens: Option<String>,
    #[serde(default)]
    pub mon_closes: Option<String>,
    #[serde(default)]
    pub tue_opens: Option<String>,
    #[serde(default)]
    pub tue_closes: Option<String>,
    #[serde(default)]
    pub wed_opens: Option<String>,
    #[serde(default)]
    pub wed_closes: Option<String>,
    #[serde(default)]
    pub thu_opens: Option<String>,
    #[serde(default)]
    pub thu_closes: Option<String>,
    #[serde(default)]
    pub fri_opens: Option<String>,
    #[serde(default)]
    pub fri_closes: Option<String>,
    #[serde(default)]
    pub sat_opens: Option<String>,
    #[serde(default)]
    pub sat_closes: Option<String>,
    #[serde(default)]
    pub sun_opens: Option<String>,
    #[serde(default)]
    pub sun_closes: Option<String>,
}

impl From<OpeningHoursFormInput> for OpeningWeekInput {
    fn from(f: OpeningHoursFormInput) -> Self {
        let rows = [
            ("mon", f.mon_opens, f.mon_closes),
            ("tue", f.tue_opens, f.tue_closes),
            ("wed", f.wed_opens, f.wed_closes),
            ("thu", f.thu_opens, f.thu_closes),
            ("fri", f.fri_opens, f.fri_closes),
            ("sat", f.sat_opens, f.sat_closes),
            ("sun", f.sun_opens, f.sun_closes),
        ];
        Self {
            days: rows
                .into_iter()
                .filter(|(_, opens, closes)| {
                    non_blank(opens.as_deref()).is_some() || non_blank(closes.as_deref()).is_some()
                })
                .map(|(weekday, opens, closes)| OpeningHoursInput {
                    weekday: weekday.into(),
                    opens: opens.unwrap_or_default(),
                    closes: closes.unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A week of opening hours as the set-up's form gives it, checked like the
/// API's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningWeekForm(pub OpeningWeek);

impl ParseInput for OpeningWeekForm {
    type Raw = OpeningHoursFormInput;

    fn parse(raw: OpeningHoursFormInput) -> Result<Self, ValidationErrors> {
        OpeningWeek::parse(raw.into()).map(Self)
    }
}

/// The specialties whose defaults to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DefaultsBody))]
#[serde(deny_unknown_fields)]
pub struct SpecialtyChoiceInput {
    /// Any of `dermatology`, `eye_care`, `optical_shop`.
    #[serde(default, deserialize_with = "one_or_many")]
    pub specialties: Vec<String>,
}

/// The specialties chosen, each a known one. Whether any was chosen is the
/// use case's to say, as it is for every caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialtyChoice(pub BTreeSet<Specialty>);

impl ParseInput for SpecialtyChoice {
    type Raw = SpecialtyChoiceInput;

    fn parse(raw: SpecialtyChoiceInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let set = raw
            .specialties
            .iter()
            .filter_map(|s| s.parse().map_err(|m| errors.add("specialties", m)).ok())
            .collect();
        errors.into_result(Self(set))
    }
}

/// The longest way to reach the privacy officer the notice names.
pub const MAX_NOTICE_CONTACT_CHARS: usize = 300;

/// The first notice of privacy practices.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = NoticeBody))]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// The day it takes effect, `YYYY-MM-DD`.
    pub effective_on: String,
    /// How patients reach the privacy officer.
    pub contact: String,
    /// The full text; absent for Kerato's notice with the practice's
    /// name, address and this contact.
    #[serde(default)]
    pub body: Option<String>,
}

/// The first notice, checked: when it takes effect, whom patients contact,
/// and the text as edited (none for Kerato's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstNotice {
    pub effective_on: Date,
    pub contact: String,
    pub body: Option<String>,
}

impl ParseInput for FirstNotice {
    type Raw = NoticeInput;

    fn parse(raw: NoticeInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let effective_on = parse_date(&raw.effective_on)
            .map_err(|m| errors.add("effective_on", m))
            .ok();
        let contact = raw.contact.trim();
        if contact.is_empty() || contact.chars().count() > MAX_NOTICE_CONTACT_CHARS {
            errors.add(
                "contact",
                "say how patients reach your privacy officer: a telephone number, an e-mail address or both",
            );
        }
        match effective_on {
            Some(effective_on) if errors.is_empty() => Ok(Self {
                effective_on,
                contact: contact.to_string(),
                body: non_blank(raw.body.as_deref()).map(str::to_string),
            }),
            _ => Err(errors),
        }
    }
}

/// The messaging settings, each trimmed; an empty one is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessagingSettings {
    pub smtp_url: Option<String>,
    pub from_address: String,
    pub sms_gateway_url: Option<String>,
    /// None keeps the token saved before.
    pub sms_token: Option<String>,
}

impl ParseInput for MessagingSettings {
    type Raw = MessagingInput;

    /// Whether a URL, address and token make working channels is the use
    /// case's to say: it builds them with the transports it sends through.
    fn parse(raw: MessagingInput) -> Result<Self, ValidationErrors> {
        let given = |v: Option<String>| non_blank(v.as_deref()).map(str::to_string);
        Ok(Self {
            smtp_url: given(raw.smtp_url),
            from_address: raw.from_address.trim().to_string(),
            sms_gateway_url: given(raw.sms_gateway_url),
            sms_token: given(raw.sms_token),
        })
    }
}

/// The longest address or number a test message goes to.
pub const MAX_TEST_RECIPIENT_CHARS: usize = 254;

/// Where to send a test message.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = TestBody))]
#[serde(deny_unknown_fields)]
pub struct TestMessageInput {
    /// `email` or `sms`.
    pub channel: String,
    /// An e-mail address or a mobile number.
    pub to: String,
}

/// A test message, checked: the channel, and someone to send it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestMessage {
    pub channel: Channel,
    pub to: String,
}

impl ParseInput for TestMessage {
    type Raw = TestMessageInput;

    fn parse(raw: TestMessageInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let channel = raw
            .channel
            .parse::<Channel>()
            .map_err(|m| errors.add("channel", m))
            .ok();
        let to = raw.to.trim();
        if to.is_empty() || to.chars().count() > MAX_TEST_RECIPIENT_CHARS {
            errors.add(
                "to",
                "give the e-mail address or mobile number to send the test to",
            );
        }
        match channel {
            Some(channel) if errors.is_empty() => Ok(Self {
                channel,
                to: to.to_string(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_hours_form_reads_as_the_api_week() {
        let form = OpeningHoursFormInput {
            mon_opens: Some("08:00".into()),
            mon_closes: Some("17:00".into()),
            sat_opens: Some(" ".into()),
            sat_closes: Some(String::new()),
            ..OpeningHoursFormInput::default()
        };
        let OpeningWeekForm(week) = OpeningWeekForm::parse(form).unwrap();
        assert_eq!(week.0.len(), 1, "a day left empty is closed");
        assert_eq!(week.to_input().days[0].weekday, "monday");
        let closed = OpeningWeekForm::parse(OpeningHoursFormInput::default()).unwrap_err();
        assert!(closed.for_field("days").is_some(), "{closed:?}");
        let half = OpeningWeekForm::parse(OpeningHoursFormInput {
            tue_opens: Some("09:00".into()),
            ..OpeningHoursFormInput::default()
        })
        .unwrap_err();
        assert!(half.for_field("days[0].closes").is_some(), "{half:?}");
    }

    #[test]
    fn every_field_of_the_notice_and_the_test_is_checked_at_once() {
        let notice = FirstNotice::parse(NoticeInput {
            effective_on: "01/04/2027".into(),
            contact: " ".into(),
            body: None,
        })
        .unwrap_err();
        assert!(notice.for_field("effective_on").is_some());
        assert!(notice.for_field("contact").is_some());
        let ok = FirstNotice::parse(NoticeInput {
            effective_on: "2027-01-04".into(),
            contact: " (217) 555-0100 ".into(),
            body: Some("  ".into()),
        })
        .unwrap();
        assert_eq!(ok.contact, "(217) 555-0100");
        assert_eq!(ok.body, None, "a blank text is Kerato's own");
        let test = TestMessage::parse(TestMessageInput {
            channel: "pigeon".into(),
            to: String::new(),
        })
        .unwrap_err();
        assert!(test.for_field("channel").is_some());
        assert!(test.for_field("to").is_some());
        let choice = SpecialtyChoice::parse(SpecialtyChoiceInput {
            specialties: vec!["eye_care".into(), "podiatry".into()],
        })
        .unwrap_err();
        assert!(choice.for_field("specialties").is_some());
    }

    #[test]
    fn blank_messaging_settings_are_absent() {
        let s = MessagingSettings::parse(MessagingInput {
            smtp_url: Some(" ".into()),
            from_address: " Front desk <fd@x.example> ".into(),
            sms_gateway_url: None,
            sms_token: Some(String::new()),
        })
        .unwrap();
        assert_eq!(s.smtp_url, None);
        assert_eq!(s.sms_token, None);
        assert_eq!(s.from_address, "Front desk <fd@x.example>");
    }

    proptest! {
        #[test]
        fn a_test_message_parses_or_names_its_fields(channel in ".{0,8}", to in ".{0,300}") {
            match TestMessage::parse(TestMessageInput { channel, to }) {
                Ok(t) => prop_assert!(!t.to.is_empty() && t.to.chars().count() <= MAX_TEST_RECIPIENT_CHARS),
                Err(e) => prop_assert!(e.for_field("channel").is_some() || e.for_field("to").is_some()),
            }
        }
    }
}
