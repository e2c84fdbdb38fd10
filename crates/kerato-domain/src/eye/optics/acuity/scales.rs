//! The scales an acuity is measured on: Snellen fractions, decimal
//! acuity, ETDRS letter scores, and the distances of the low-vision tests.

use std::fmt;

use super::super::text::{ScaleError, decimal, fixed, strip_word};
/// The unit of a Snellen test distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnellenUnit {
    Feet,
    Metres,
}

/// A Snellen fraction, `20/40` or `6/12`, with an optional partial-line
/// modifier (`20/25-2`: two letters of the line missed; `20/40+1`: one
/// letter of the next line read).
///
/// Both parts are kept in tenths because metric charts have lines such as
/// 6/7.5 and 6/9.5.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Snellen {
    pub(super) unit: SnellenUnit,
    pub(super) numerator_tenths: u16,
    pub(super) denominator_tenths: u16,
    pub(super) letters: i8,
}

/// A partial line has at most this many letters missed or read; more is a
/// different line.
pub(super) const MAX_PARTIAL_LETTERS: i8 = 5;

impl Snellen {
    /// Numerators beyond these are not chart distances: 40 ft, 6 m.
    fn limits(unit: SnellenUnit) -> (u16, u16, u16, u16, &'static str) {
        match unit {
            SnellenUnit::Feet => (10, 400, 10, 20000, "ft"),
            SnellenUnit::Metres => (5, 60, 10, 6000, "m"),
        }
    }

    /// A fraction from tenths of its numerator and denominator and the
    /// signed letters of a partial line (0 for none).
    pub fn new(
        unit: SnellenUnit,
        numerator_tenths: u16,
        denominator_tenths: u16,
        letters: i8,
    ) -> Result<Self, String> {
        let (nmin, nmax, dmin, dmax, u) = Self::limits(unit);
        if !(nmin..=nmax).contains(&numerator_tenths) {
            return Err(format!(
                "Snellen test distance {} {u} is outside {}–{} {u}",
                tenths(numerator_tenths),
                tenths(nmin),
                tenths(nmax)
            ));
        }
        if !(dmin..=dmax).contains(&denominator_tenths) {
            return Err(format!(
                "Snellen denominator {} is outside {}–{} {u}",
                tenths(denominator_tenths),
                tenths(dmin),
                tenths(dmax)
            ));
        }
        if letters.unsigned_abs() > MAX_PARTIAL_LETTERS.unsigned_abs() {
            return Err(format!(
                "partial-line modifier {letters:+} is outside 1–{MAX_PARTIAL_LETTERS} letters"
            ));
        }
        // No chart has a line sharper than 20/8 (logMAR -0.4): a fraction
        // above 2.5 is a typing slip, not a measurement.
        if u32::from(numerator_tenths) * 10 > u32::from(denominator_tenths) * 25 {
            return Err(format!(
                "Snellen {}/{} is sharper than any chart measures (20/8 is the best line)",
                tenths(numerator_tenths),
                tenths(denominator_tenths)
            ));
        }
        Ok(Self {
            unit,
            numerator_tenths,
            denominator_tenths,
            letters,
        })
    }

    pub const fn unit(&self) -> SnellenUnit {
        self.unit
    }

    pub fn numerator(&self) -> f64 {
        f64::from(self.numerator_tenths) / 10.0
    }

    pub fn denominator(&self) -> f64 {
        f64::from(self.denominator_tenths) / 10.0
    }

    /// Letters of a partial line: negative missed, positive read, 0 none.
    pub const fn letters(&self) -> i8 {
        self.letters
    }

    /// A numerator below 10 reads as metres (6/6, 4/5, 3/60), 10 and above
    /// as feet (20/20, 10/200); the other unit is written out after the
    /// fraction (`5/200 ft`).
    pub(super) fn default_unit(numerator_tenths: u16) -> SnellenUnit {
        if numerator_tenths < 100 {
            SnellenUnit::Metres
        } else {
            SnellenUnit::Feet
        }
    }
}

impl fmt::Display for Snellen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            tenths(self.numerator_tenths),
            tenths(self.denominator_tenths)
        )?;
        if self.letters != 0 {
            write!(f, "{:+}", self.letters)?;
        }
        if self.unit != Self::default_unit(self.numerator_tenths) {
            f.write_str(match self.unit {
                SnellenUnit::Feet => " ft",
                SnellenUnit::Metres => " m",
            })?;
        }
        Ok(())
    }
}

impl fmt::Debug for Snellen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Snellen({self}, {:?})", self.unit)
    }
}

/// A decimal acuity in thousandths, 0.01 to 2.5 (1.0 is 20/20).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DecimalAcuity(pub(super) u16);

impl DecimalAcuity {
    pub fn from_thousandths(n: u16) -> Result<Self, String> {
        if (10..=2500).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!(
                "decimal acuity {} is outside 0.01–2.5",
                fixed(u64::from(n), 3, 1)
            ))
        }
    }

    pub const fn thousandths(self) -> u16 {
        self.0
    }

    pub fn value(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl fmt::Display for DecimalAcuity {
    /// At least one decimal, no trailing zeros: `1.0`, `0.5`, `0.63`, `0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fixed(u64::from(self.0), 3, 1))
    }
}

impl fmt::Debug for DecimalAcuity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecimalAcuity({self})")
    }
}

/// An ETDRS letter score, 0 to 100 letters read.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EtdrsLetters(pub(super) u8);

impl EtdrsLetters {
    pub fn new(letters: u16) -> Result<Self, String> {
        match u8::try_from(letters) {
            Ok(n) if n <= 100 => Ok(Self(n)),
            _ => Err(format!("ETDRS score {letters} is outside 0–100 letters")),
        }
    }

    pub const fn letters(self) -> u8 {
        self.0
    }
}

impl fmt::Debug for EtdrsLetters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EtdrsLetters({})", self.0)
    }
}

/// The unit a count-fingers or hand-motion distance was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceUnit {
    Feet,
    Metres,
    Centimetres,
}

impl DistanceUnit {
    const fn symbol(self) -> &'static str {
        match self {
            Self::Feet => "ft",
            Self::Metres => "m",
            Self::Centimetres => "cm",
        }
    }

    /// Allowed tenths of the unit: 0.5–20 ft, 0.1–6 m, 5–600 cm.
    const fn limits(self) -> (u16, u16) {
        match self {
            Self::Feet => (5, 200),
            Self::Metres => (1, 60),
            Self::Centimetres => (50, 6000),
        }
    }
}

/// The distance at which fingers were counted or hand motion seen.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TestDistance {
    tenths: u16,
    unit: DistanceUnit,
}

impl TestDistance {
    pub fn new(tenths_of_unit: u16, unit: DistanceUnit) -> Result<Self, String> {
        let (min, max) = unit.limits();
        if (min..=max).contains(&tenths_of_unit) {
            Ok(Self {
                tenths: tenths_of_unit,
                unit,
            })
        } else {
            Err(Self::range_message(&tenths(tenths_of_unit), unit))
        }
    }

    fn range_message(shown: &str, unit: DistanceUnit) -> String {
        let (min, max) = unit.limits();
        let u = unit.symbol();
        format!(
            "test distance {shown}{u} is outside {}–{}{u}",
            tenths(min),
            tenths(max)
        )
    }

    pub const fn unit(&self) -> DistanceUnit {
        self.unit
    }

    pub fn value(&self) -> f64 {
        f64::from(self.tenths) / 10.0
    }

    /// Reads `3ft`, `3 ft`, `3'`, `1 m`, `1 metre`, `50cm`, after an
    /// optional `@` or `at`.
    pub(super) fn parse(text: &str) -> Result<Option<Self>, String> {
        let s = text.trim();
        let s = s
            .strip_prefix('@')
            .or_else(|| strip_word(s, "at"))
            .unwrap_or(s)
            .trim();
        if s.is_empty() {
            return Ok(None);
        }
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let unit = match unit.trim() {
            "ft" | "feet" | "foot" | "'" => DistanceUnit::Feet,
            "m" | "metre" | "metres" | "meter" | "meters" => DistanceUnit::Metres,
            "cm" => DistanceUnit::Centimetres,
            "" => {
                return Err(format!(
                    "give the test distance {s} a unit, e.g. 3ft, 1m or 50cm"
                ));
            }
            _ => {
                return Err(format!(
                    "{s} is not a test distance; write e.g. 3ft, 1m or 50cm"
                ));
            }
        };
        let dec = decimal(number)
            .ok_or_else(|| format!("{s} is not a test distance; write e.g. 3ft, 1m or 50cm"))?;
        let out_of_range = || Err(Self::range_message(&dec.shown(0), unit));
        let n = match dec.scaled(1) {
            Ok(n) => n,
            Err(ScaleError::TooPrecise) => {
                return Err(format!(
                    "test distance {}{} has more than one decimal",
                    dec.shown(0),
                    unit.symbol()
                ));
            }
            Err(ScaleError::TooLarge) => return out_of_range(),
        };
        match u16::try_from(n) {
            Ok(n) => Self::new(n, unit).map(Some),
            Err(_) => out_of_range(),
        }
    }
}

impl fmt::Display for TestDistance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", tenths(self.tenths), self.unit.symbol())
    }
}

impl fmt::Debug for TestDistance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TestDistance({self})")
    }
}

/// Tenths written without a needless `.0`: `20`, `7.5`.
pub(super) fn tenths(n: u16) -> String {
    fixed(u64::from(n), 1, 0)
}
