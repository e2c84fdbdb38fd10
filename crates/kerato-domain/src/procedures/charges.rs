//! The inputs that change a day's charges: the visit's separately
//! identifiable E/M, and which distinct-procedure modifier a payer wants.

use jiff::civil::Date;

use super::coding::{DistinctModifier, EmCode, normalise_payer};
use crate::ValidationErrors;
use crate::input::{ParseInput, non_blank};

/// The E/M of a visit day that the note supports as separate from its
/// procedures, or none to clear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitEm {
    pub date: Date,
    pub em: Option<EmCode>,
}

/// The visit E/M form's fields.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct VisitEmInput {
    /// The visit day as YYYY-MM-DD.
    pub date: String,
    /// An office visit code, or empty for none.
    pub em: Option<String>,
}

impl ParseInput for VisitEm {
    type Raw = VisitEmInput;

    fn parse(raw: VisitEmInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let date = raw
            .date
            .trim()
            .parse::<Date>()
            .map_err(|_| e.add("date", "the visit day must be a date as YYYY-MM-DD"))
            .ok();
        let em = match non_blank(raw.em.as_deref()) {
            None => Some(None),
            Some(code) => EmCode::from_code(code)
                .ok_or_else(|| {
                    e.add(
                        "em",
                        "choose an office visit code (99202–99205 new, 99212–99215 established) or none",
                    )
                })
                .ok()
                .map(Some),
        };
        match (date, em) {
            (Some(date), Some(em)) if e.is_empty() => Ok(VisitEm { date, em }),
            _ => Err(e),
        }
    }
}

/// The longest payer name the settings take, in characters.
const MAX_PAYER_CHARS: usize = 200;

/// A payer's modifier choice as set on the coding settings page; the
/// payer's name is normalised ([`normalise_payer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerModifierSetting {
    pub payer: String,
    pub modifier: DistinctModifier,
}

/// The coding settings form's fields.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PayerModifierInput {
    /// The payer's name as it appears on coverages.
    pub payer: String,
    /// 59 or XS.
    pub modifier: String,
}

impl ParseInput for PayerModifierSetting {
    type Raw = PayerModifierInput;

    fn parse(raw: PayerModifierInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let payer = normalise_payer(&raw.payer);
        if payer.is_empty() || payer.chars().count() > MAX_PAYER_CHARS {
            e.add(
                "payer",
                format!(
                    "name the payer as it appears on the coverage (1–{MAX_PAYER_CHARS} characters)"
                ),
            );
        }
        let modifier = DistinctModifier::from_code(&raw.modifier);
        if modifier.is_none() {
            e.add("modifier", "choose 59 or XS");
        }
        match modifier {
            Some(modifier) if e.is_empty() => Ok(PayerModifierSetting { payer, modifier }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_em_and_a_payer_setting_name_their_fields() {
        let e = VisitEm::parse(VisitEmInput {
            date: "3 May".into(),
            em: Some("99299".into()),
        })
        .unwrap_err();
        assert!(e.for_field("date").is_some() && e.for_field("em").is_some());
        let none = VisitEm::parse(VisitEmInput {
            date: "2026-05-03".into(),
            em: Some(" ".into()),
        })
        .unwrap();
        assert_eq!(none.em, None);
        let e = PayerModifierSetting::parse(PayerModifierInput {
            payer: "  ".into(),
            modifier: "X9".into(),
        })
        .unwrap_err();
        assert!(e.for_field("payer").is_some() && e.for_field("modifier").is_some());
        let ok = PayerModifierSetting::parse(PayerModifierInput {
            payer: " Blue  Cross ".into(),
            modifier: "XS".into(),
        })
        .unwrap();
        assert_eq!(ok.payer, "blue cross");
        assert_eq!(ok.modifier, DistinctModifier::Xs);
    }

    proptest::proptest! {
        #[test]
        fn every_office_visit_code_is_taken_by_its_code(i in 0usize..EmCode::ALL.len()) {
            let em = EmCode::ALL[i];
            let v = VisitEm::parse(VisitEmInput {
                date: "2026-05-03".into(),
                em: Some(format!(" {} ", em.code())),
            });
            proptest::prop_assert_eq!(v.map(|v| v.em), Ok(Some(em)));
        }

        #[test]
        fn a_payers_name_matches_whatever_its_spacing_and_case(
            words in proptest::collection::vec("[A-Za-z]{1,8}", 1..4),
            gap in "[ ]{1,3}",
        ) {
            let spaced = words.join(&gap).to_uppercase();
            let set = |payer: String| PayerModifierSetting::parse(PayerModifierInput {
                payer,
                modifier: "59".into(),
            }).map(|s| s.payer);
            proptest::prop_assert_eq!(set(format!(" {spaced} ")), set(words.join(" ")));
        }
    }
}
