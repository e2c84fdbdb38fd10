//! The consent and preference registry: per person and purpose, who said
//! yes or no, how, under which policy version, and when.
//!
//! The history is append-only and the current state is derived from it,
//! never stored: a withdrawal is a new entry, so the registry can always
//! show what the person had agreed to at any moment, which is what a
//! complaint or an audit asks.

use crate::error::ValidationErrors;
use crate::time::Timestamp;

string_enum!(
    /// What the consent is for.
    Purpose {
        ClinicalPhotography = "clinical_photography", "Clinical photographs for care";
        PhotoTeaching = "photo_teaching", "Use of photographs for teaching";
        PhotoMarketing = "photo_marketing", "Use of photographs in marketing";
        DigitalRx = "digital_rx", "Prescriptions delivered electronically";
        MarketingEmail = "marketing_email", "Marketing e-mail";
        Sms = "sms", "Text messages";
        AnalyticsCookies = "analytics_cookies", "Analytics cookies";
        PreferenceCookies = "preference_cookies", "Preference cookies";
        SaleShare = "sale_share", "Sale or sharing of personal information";
    }
);

string_enum!(
    /// How the answer reached us.
    Source {
        Form = "form", "Signed form";
        Staff = "staff", "Told to staff (in person or by phone)";
        Link = "link", "Link in a message";
        Portal = "portal", "Portal or kiosk";
        Gpc = "gpc", "Global Privacy Control signal";
    }
);

/// One entry of a person's consent history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEntry {
    pub purpose: Purpose,
    pub granted: bool,
    pub source: Source,
    /// The policy version in force when the answer was given, if a policy
    /// governs the purpose.
    pub policy_version: Option<String>,
    pub at: Timestamp,
}

/// The current answer for a purpose: the latest entry wins. Entries with
/// the same instant keep their order in the slice, the order of recording.
pub fn current(history: &[ConsentEntry], purpose: Purpose) -> Option<&ConsentEntry> {
    history
        .iter()
        .enumerate()
        .filter(|(_, e)| e.purpose == purpose)
        .max_by_key(|(i, e)| (e.at, *i))
        .map(|(_, e)| e)
}

/// The instant to record a new answer for `purpose` at: `now`, or just
/// after the latest answer if that is not earlier (two answers in the same
/// microsecond, or a clock set back), so the latest answer is always the
/// one recorded last and never depends on how ties are broken.
pub fn next_instant(history: &[ConsentEntry], purpose: Purpose, now: Timestamp) -> Timestamp {
    match current(history, purpose) {
        Some(latest) if latest.at >= now => {
            Timestamp::from_micros(latest.at.as_micros().saturating_add(1))
        }
        _ => now,
    }
}

/// Whether the person has agreed to the purpose now: only an explicit
/// grant that was not withdrawn since counts; silence is a no.
pub fn is_granted(history: &[ConsentEntry], purpose: Purpose) -> bool {
    current(history, purpose).is_some_and(|e| e.granted)
}

/// Parses a form's answer for one purpose: "yes" or "no".
pub fn parse_answer(field: &str, value: &str) -> Result<bool, ValidationErrors> {
    match value {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => Err(ValidationErrors::single(
            field,
            format!(
                "{:?} is not an answer: choose yes or no",
                other.chars().take(20).collect::<String>()
            ),
        )),
    }
}

/// One answer for one purpose, as staff record it from a signed form or
/// what the patient told them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentInput {
    pub purpose: Purpose,
    pub granted: bool,
    pub source: Source,
}

/// The answer's fields as sent: `answer` is `yes` or `no`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawConsent {
    pub purpose: String,
    pub answer: String,
    pub source: String,
}

impl crate::input::ParseInput for ConsentInput {
    type Raw = RawConsent;

    fn parse(raw: RawConsent) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let purpose = raw
            .purpose
            .trim()
            .parse::<Purpose>()
            .map_err(|m| e.add("purpose", m))
            .ok();
        let granted = parse_answer("answer", raw.answer.trim())
            .map_err(|errors| {
                for f in errors.errors {
                    e.add(f.field, f.message);
                }
            })
            .ok();
        let source = raw
            .source
            .trim()
            .parse::<Source>()
            .map_err(|m| e.add("source", m))
            .ok();
        match e.into_result((purpose, granted, source))? {
            (Some(purpose), Some(granted), Some(source)) => Ok(Self {
                purpose,
                granted,
                source,
            }),
            _ => Err(ValidationErrors::single("purpose", "choose the purpose")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(purpose: Purpose, granted: bool, at: i64) -> ConsentEntry {
        ConsentEntry {
            purpose,
            granted,
            source: Source::Staff,
            policy_version: None,
            at: Timestamp::from_micros(at),
        }
    }

    #[test]
    fn silence_is_not_consent() {
        assert!(!is_granted(&[], Purpose::PhotoTeaching));
        let others = [entry(Purpose::PhotoMarketing, true, 1)];
        assert!(!is_granted(&others, Purpose::PhotoTeaching));
    }

    #[test]
    fn a_withdrawal_after_a_grant_wins() {
        let h = [
            entry(Purpose::PhotoTeaching, true, 10),
            entry(Purpose::PhotoTeaching, false, 20),
        ];
        assert!(!is_granted(&h, Purpose::PhotoTeaching));
        let h = [
            entry(Purpose::PhotoTeaching, false, 20),
            entry(Purpose::PhotoTeaching, true, 10),
        ];
        assert!(
            !is_granted(&h, Purpose::PhotoTeaching),
            "order of rows does not matter, time does"
        );
    }

    #[test]
    fn same_instant_keeps_recording_order() {
        let h = [
            entry(Purpose::SaleShare, true, 5),
            entry(Purpose::SaleShare, false, 5),
        ];
        assert!(!is_granted(&h, Purpose::SaleShare));
    }

    #[test]
    fn a_new_answer_is_recorded_after_the_latest() {
        let h = [entry(Purpose::PhotoTeaching, true, 10)];
        let now = Timestamp::from_micros(10);
        let at = next_instant(&h, Purpose::PhotoTeaching, now);
        assert_eq!(at, Timestamp::from_micros(11));
        let later = [
            h[0].clone(),
            entry(Purpose::PhotoTeaching, false, at.as_micros()),
        ];
        assert!(!is_granted(&later, Purpose::PhotoTeaching));
        // Other purposes and earlier answers leave `now` as it is.
        assert_eq!(next_instant(&h, Purpose::Sms, now), now);
        let now = Timestamp::from_micros(99);
        assert_eq!(next_instant(&h, Purpose::PhotoTeaching, now), now);
    }

    #[test]
    fn an_answer_names_each_bad_field() {
        use crate::input::ParseInput;
        let e = ConsentInput::parse(RawConsent {
            purpose: "everything".into(),
            answer: "maybe".into(),
            source: "rumour".into(),
        })
        .unwrap_err();
        let names: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["purpose", "answer", "source"]);
        let ok = ConsentInput::parse(RawConsent {
            purpose: "photo_teaching".into(),
            answer: "no".into(),
            source: "staff".into(),
        })
        .unwrap();
        assert_eq!(
            ok,
            ConsentInput {
                purpose: Purpose::PhotoTeaching,
                granted: false,
                source: Source::Staff
            }
        );
    }

    #[test]
    fn answers_are_yes_or_no() {
        assert_eq!(parse_answer("teaching", "yes"), Ok(true));
        assert_eq!(parse_answer("teaching", "no"), Ok(false));
        let err = parse_answer("teaching", "maybe").unwrap_err();
        assert!(err.to_string().contains("choose yes or no"), "{err}");
    }

    proptest! {
        /// The current answer is the answer of the entry with the latest
        /// time for that purpose, whatever else is in the history.
        #[test]
        fn current_is_the_latest(entries in proptest::collection::vec((0usize..3, any::<bool>(), 0i64..50), 0..30)) {
            let purposes = [Purpose::PhotoTeaching, Purpose::PhotoMarketing, Purpose::Sms];
            let h: Vec<ConsentEntry> = entries.iter().map(|(p, g, t)| entry(purposes[*p], *g, *t)).collect();
            for p in purposes {
                let latest = h.iter().filter(|e| e.purpose == p).map(|e| e.at).max();
                let expected = latest.map(|t| h.iter().rev().find(|e| e.purpose == p && e.at == t).map(|e| e.granted).unwrap_or(false));
                prop_assert_eq!(current(&h, p).map(|e| e.granted), expected);
            }
        }
    }
}
