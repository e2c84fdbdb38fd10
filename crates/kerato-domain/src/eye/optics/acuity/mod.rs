//! Visual acuity, stored in the notation it was measured in, with a derived
//! logMAR for trends.
//!
//! # logMAR
//!
//! - Snellen: `log10(denominator / numerator)`; each letter of a partial
//!   line moves it 0.02 (a line of five letters is 0.1), so 20/25-2 is
//!   0.097 + 0.04 and 20/40+1 is 0.301 − 0.02.
//! - Decimal: `−log10(decimal)`.
//! - ETDRS letters: `(85 − letters) / 50`, i.e. `1.7 − 0.02 × letters`:
//!   85 letters is 0.0 (20/20), and each letter is 0.02.
//! - The low-vision categories have no measured acuity. For trends they get
//!   the values the research note cites from M. Bach's acuity cheat sheet,
//!   which rest on Schulze-Bonsel et al. 2006 (Freiburg test): CF 1.9,
//!   HM 2.3, LP 2.7, NLP 3.0. Those are marked imputed so a chart can show
//!   them differently; the CF distance does not change the value.

use std::fmt;
use std::str::FromStr;

use super::text::{ScaleError, decimal, normalize, shown, strip_word};

mod scales;

use scales::MAX_PARTIAL_LETTERS;
pub use scales::{DecimalAcuity, DistanceUnit, EtdrsLetters, Snellen, SnellenUnit, TestDistance};

/// The correction worn while measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Sine correctione: without glasses or contact lenses.
    Sc,
    /// Cum correctione: with the patient's glasses.
    Cc,
    /// Through a pinhole.
    Ph,
    /// With contact lenses.
    Cl,
}

impl Correction {
    pub const ALL: [Correction; 4] = [Self::Sc, Self::Cc, Self::Ph, Self::Cl];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sc => "sc",
            Self::Cc => "cc",
            Self::Ph => "ph",
            Self::Cl => "cl",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Sc => "without correction",
            Self::Cc => "with correction",
            Self::Ph => "pinhole",
            Self::Cl => "with contact lenses",
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        match word {
            "sc" | "s/c" | "vasc" => Some(Self::Sc),
            "cc" | "c/c" | "vacc" => Some(Self::Cc),
            "ph" | "vaph" => Some(Self::Ph),
            "cl" => Some(Self::Cl),
            _ => None,
        }
    }
}

/// An acuity in the notation it was measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Acuity {
    Snellen(Snellen),
    Decimal(DecimalAcuity),
    Letters(EtdrsLetters),
    /// Count fingers, optionally at a distance.
    CountFingers(Option<TestDistance>),
    /// Hand motion, optionally at a distance.
    HandMotion(Option<TestDistance>),
    /// Light perception.
    LightPerception,
    /// No light perception.
    NoLightPerception,
}

/// Imputed logMAR for count fingers (see the module documentation).
pub const LOGMAR_COUNT_FINGERS: f64 = 1.9;
/// Imputed logMAR for hand motion.
pub const LOGMAR_HAND_MOTION: f64 = 2.3;
/// Imputed logMAR for light perception.
pub const LOGMAR_LIGHT_PERCEPTION: f64 = 2.7;
/// Imputed logMAR for no light perception.
pub const LOGMAR_NO_LIGHT_PERCEPTION: f64 = 3.0;

/// A logMAR value for trends: lower is better, 0.0 is 20/20.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LogMar {
    pub value: f64,
    /// True for the low-vision categories, which have a conventional value
    /// rather than a measured one.
    pub imputed: bool,
}

impl Acuity {
    /// The logMAR of this acuity (see the module documentation).
    pub fn log_mar(&self) -> LogMar {
        let measured = |value| LogMar {
            value,
            imputed: false,
        };
        let imputed = |value| LogMar {
            value,
            imputed: true,
        };
        match self {
            Self::Snellen(s) => {
                measured((s.denominator() / s.numerator()).log10() - 0.02 * f64::from(s.letters))
            }
            Self::Decimal(d) => measured(-d.value().log10()),
            Self::Letters(l) => measured((85.0 - f64::from(l.0)) / 50.0),
            Self::CountFingers(_) => imputed(LOGMAR_COUNT_FINGERS),
            Self::HandMotion(_) => imputed(LOGMAR_HAND_MOTION),
            Self::LightPerception => imputed(LOGMAR_LIGHT_PERCEPTION),
            Self::NoLightPerception => imputed(LOGMAR_NO_LIGHT_PERCEPTION),
        }
    }

    /// Reads the acuity itself, without a correction word.
    fn parse(s: &str, raw: &str) -> Result<Self, String> {
        let not_acuity = || {
            format!(
                "{} is not a visual acuity; type e.g. 20/40, 6/12, 0.5, 85 letters, CF, HM, LP or NLP",
                shown(raw)
            )
        };
        match s {
            "" => {
                return Err(
                    "enter the visual acuity, e.g. 20/40, 6/12, 0.5, 85 letters, CF, HM, LP or NLP"
                        .into(),
                );
            }
            // "PL" (perception of light) is the British spelling of LP.
            "lp" | "pl" | "light perception" => return Ok(Self::LightPerception),
            "nlp" | "npl" | "no light perception" => return Ok(Self::NoLightPerception),
            _ => {}
        }
        for word in ["counting fingers", "count fingers", "cf"] {
            if let Some(rest) = strip_word(s, word) {
                return TestDistance::parse(rest).map(Self::CountFingers);
            }
        }
        for word in [
            "hand movements",
            "hand movement",
            "hand motions",
            "hand motion",
            "hm",
        ] {
            if let Some(rest) = strip_word(s, word) {
                return TestDistance::parse(rest).map(Self::HandMotion);
            }
        }
        if let Some((numerator, rest)) = s.split_once('/') {
            return parse_snellen(numerator, rest).ok_or_else(not_acuity)?;
        }
        let letters = strip_word(s, "etdrs").or_else(|| {
            ["letters", "letter", "ltrs", "l"]
                .iter()
                .find_map(|w| s.strip_suffix(w))
                .filter(|rest| rest.ends_with(|c: char| c.is_ascii_digit() || c == ' '))
        });
        if let Some(number) = letters {
            let dec = decimal(number)
                .filter(|d| !d.signed)
                .ok_or_else(not_acuity)?;
            if !dec.is_whole() {
                return Err(format!(
                    "ETDRS score {} is not a whole number of letters",
                    dec.shown(0)
                ));
            }
            let n = dec.scaled(0).unwrap_or(u64::MAX);
            return EtdrsLetters::new(u16::try_from(n).unwrap_or(u16::MAX))
                .map(Self::Letters)
                .map_err(|_| format!("ETDRS score {} is outside 0–100 letters", dec.shown(0)));
        }
        let dec = decimal(s).filter(|d| !d.signed).ok_or_else(not_acuity)?;
        if !dec.point {
            let n = dec.shown(0);
            return Err(format!(
                "{n} is ambiguous: write {n} letters for an ETDRS score, a fraction such as 20/40, or a decimal with a point such as 1.0"
            ));
        }
        let out_of_range = || format!("decimal acuity {} is outside 0.01–2.5", dec.shown(1));
        match dec.scaled(3) {
            Ok(n) => u16::try_from(n)
                .ok()
                .and_then(|n| DecimalAcuity::from_thousandths(n).ok())
                .map(Self::Decimal)
                .ok_or_else(out_of_range),
            Err(ScaleError::TooPrecise) => Err(format!(
                "decimal acuity {} has more than 3 decimals",
                dec.shown(1)
            )),
            Err(ScaleError::TooLarge) => Err(out_of_range()),
        }
    }
}

/// Reads the part of a Snellen fraction after the numerator: the
/// denominator, an optional partial-line modifier and an optional unit.
/// `None` when it is not shaped like a fraction at all; `Some(Err)` when it
/// is but a part is out of range.
fn parse_snellen(numerator: &str, rest: &str) -> Option<Result<Acuity, String>> {
    let numerator = decimal(numerator).filter(|d| !d.signed)?;
    let rest = rest.trim_start();
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let (denominator, rest) = rest.split_at(split);
    let denominator = decimal(denominator)?;
    let mut rest = rest.trim_start();
    let mut letters: i64 = 0;
    if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let after = rest[1..].trim_start();
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        if digits == 0 {
            return Some(Err(format!(
                "write how many letters after {sign}, e.g. 20/25-2 or 20/40+1"
            )));
        }
        let count: i64 = after[..digits].parse().unwrap_or(i64::MAX);
        if count == 0 || count > i64::from(MAX_PARTIAL_LETTERS) {
            return Some(Err(format!(
                "partial-line modifier {sign}{} is outside 1–{MAX_PARTIAL_LETTERS} letters",
                &after[..digits.min(6)]
            )));
        }
        letters = if sign == '-' { -count } else { count };
        rest = after[digits..].trim_start();
    }
    let tenths = |d: &super::text::Decimal| -> Result<u16, String> {
        match d.scaled(1) {
            Ok(n) => Ok(u16::try_from(n).unwrap_or(u16::MAX)),
            Err(ScaleError::TooLarge) => Ok(u16::MAX),
            Err(ScaleError::TooPrecise) => {
                Err(format!("Snellen {} has more than one decimal", d.shown(0)))
            }
        }
    };
    let n = match tenths(&numerator) {
        Ok(n) => n,
        Err(m) => return Some(Err(m)),
    };
    let d = match tenths(&denominator) {
        Ok(d) => d,
        Err(m) => return Some(Err(m)),
    };
    let unit = match rest {
        "" => Snellen::default_unit(n),
        "ft" | "feet" => SnellenUnit::Feet,
        "m" | "metres" | "meters" => SnellenUnit::Metres,
        _ => return None,
    };
    // `letters` is within ±5 here.
    let letters = i8::try_from(letters).unwrap_or(0);
    Some(Snellen::new(unit, n, d, letters).map(Acuity::Snellen))
}

impl fmt::Display for Acuity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Snellen(s) => s.fmt(f),
            Self::Decimal(d) => d.fmt(f),
            Self::Letters(l) => write!(f, "{} letters", l.0),
            Self::CountFingers(None) => f.write_str("CF"),
            Self::CountFingers(Some(d)) => write!(f, "CF {d}"),
            Self::HandMotion(None) => f.write_str("HM"),
            Self::HandMotion(Some(d)) => write!(f, "HM {d}"),
            Self::LightPerception => f.write_str("LP"),
            Self::NoLightPerception => f.write_str("NLP"),
        }
    }
}

/// A visual acuity as recorded: the value and, when known, the correction
/// worn. Written `cc 20/25-2`; the correction may also be typed after the
/// value (`20/25-2 cc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisualAcuity {
    pub correction: Option<Correction>,
    pub acuity: Acuity,
}

impl VisualAcuity {
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = normalize(text).to_lowercase().replace(':', " ");
        let words: Vec<&str> = lower.split_whitespace().collect();
        let (correction, words) = match words.as_slice() {
            [first, rest @ ..] if Correction::from_word(first).is_some() => {
                (Correction::from_word(first), rest)
            }
            [rest @ .., last] if Correction::from_word(last).is_some() => {
                (Correction::from_word(last), rest)
            }
            all => (None, all),
        };
        let acuity = Acuity::parse(&words.join(" "), text)?;
        Ok(Self { correction, acuity })
    }

    pub fn log_mar(&self) -> LogMar {
        self.acuity.log_mar()
    }
}

impl fmt::Display for VisualAcuity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.correction {
            Some(c) => write!(f, "{} {}", c.as_str(), self.acuity),
            None => self.acuity.fmt(f),
        }
    }
}

impl FromStr for VisualAcuity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for VisualAcuity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for VisualAcuity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::LOG10_2;

    fn va(text: &str) -> VisualAcuity {
        VisualAcuity::parse(text).unwrap()
    }

    #[test]
    fn log_mar_matches_the_conversion_table() {
        // 20/40 = 6/12 = 0.5 = 0.3 logMAR; 20/200 = 6/60 = 0.1 = 1.0.
        for (text, expected) in [
            ("20/40", LOG10_2),
            ("6/12", LOG10_2),
            ("0.5", LOG10_2),
            ("20/200", 1.0),
            ("6/60", 1.0),
            ("0.1", 1.0),
            ("85 letters", 0.0),
            ("0 letters", 1.7),
            ("20/25-2", 0.09691 + 0.04),
            ("20/40+1", LOG10_2 - 0.02),
        ] {
            let got = va(text).log_mar();
            assert!((got.value - expected).abs() < 1e-5, "{text}: {got:?}");
            assert!(!got.imputed);
        }
        let cf = va("CF 3ft").log_mar();
        assert_eq!((cf.value, cf.imputed), (1.9, true));
        assert_eq!(va("HM").log_mar().value, 2.3);
        assert_eq!(va("LP").log_mar().value, 2.7);
        assert_eq!(va("NLP").log_mar().value, 3.0);
    }

    #[test]
    fn keeps_the_notation() {
        assert_eq!(va("cc 20/25-2").to_string(), "cc 20/25-2");
        assert_eq!(va("20/25 -2 CC").to_string(), "cc 20/25-2");
        assert_eq!(va("6/7.5").to_string(), "6/7.5");
        assert_eq!(va("5/200").to_string(), "5/200");
        assert_eq!(va("5/200 ft").to_string(), "5/200 ft");
        assert_eq!(va("count fingers @ 3 feet").to_string(), "CF 3ft");
    }
}
