//! Dioptric powers: the fixed-point [`Diopters`] and the validated
//! [`Sphere`], [`Cylinder`] and [`Add`] of a prescription.

use std::fmt;
use std::str::FromStr;

use super::text::{ScaleError, decimal, frac_digits, normalize, shown};

/// How finely a power may be written.
///
/// Clinical prescriptions use quarter diopters. Some labs accept eighths
/// (written .12, .37, .62, .87) and VisionWeb enables them per lab, so the
/// caller chooses; quarter is the default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    #[default]
    Quarter,
    Eighth,
}

impl Step {
    /// The step in sixteenths of a diopter, the unit of [`Diopters`].
    pub const fn sixteenths(self) -> i32 {
        match self {
            Self::Quarter => 4,
            Self::Eighth => 2,
        }
    }

    /// The step as written in messages.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Quarter => "0.25",
            Self::Eighth => "0.125",
        }
    }

    /// The coarser of two steps: a field that only allows quarters stays at
    /// quarters even when the lab would take eighths.
    const fn coarser(self, other: Step) -> Step {
        match (self, other) {
            (Self::Eighth, Self::Eighth) => Self::Eighth,
            _ => Self::Quarter,
        }
    }
}

/// A dioptric power as an exact count of sixteenths of a diopter.
///
/// Sixteenths are the finest unit any value here needs: prescriptions use
/// eighths at most, and a spherical equivalent halves a cylinder, so the
/// spherical equivalent of an eighth-step refraction lands on sixteenths.
/// Hundredths could not hold 0.125 D exactly. Zero is written "plano".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Diopters(i32);

/// Beyond this no ophthalmic power exists; it keeps arithmetic far from
/// overflow and bounds the lenient parser.
const MAX_ANY_POWER_SIXTEENTHS: i32 = 1000 * 16;

impl Diopters {
    pub const PLANO: Diopters = Diopters(0);

    pub const fn from_sixteenths(n: i32) -> Self {
        Self(n)
    }

    pub const fn from_eighths(n: i32) -> Self {
        Self(n.saturating_mul(2))
    }

    pub const fn from_quarters(n: i32) -> Self {
        Self(n.saturating_mul(4))
    }

    pub const fn sixteenths(self) -> i32 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 16.0
    }

    pub const fn is_plano(self) -> bool {
        self.0 == 0
    }

    /// Whether the power is a whole number of `step`s.
    pub const fn is_on_step(self, step: Step) -> bool {
        self.0 % step.sixteenths() == 0
    }

    /// The sum, saturating at the limits of `i32`. Powers from the validated
    /// types are tiny next to those limits, so saturation never happens for
    /// them; it only keeps absurd hand-built values from panicking.
    pub const fn saturating_add(self, other: Diopters) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    pub const fn saturating_sub(self, other: Diopters) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    pub const fn saturating_neg(self) -> Self {
        Self(self.0.saturating_neg())
    }

    pub const fn abs(self) -> Self {
        Self(self.0.saturating_abs())
    }

    /// The multiple of `step` nearest to an exact power such as a vertex
    /// conversion. A value exactly halfway goes to the smaller magnitude, so
    /// rounding never makes a lens stronger than the exact result. `None` for
    /// a value that is not finite or is beyond ±1000 D.
    pub fn nearest(value: f64, step: Step) -> Option<Self> {
        let per_step = f64::from(step.sixteenths()) / 16.0;
        if !value.is_finite() || value.abs() > 1000.0 {
            return None;
        }
        let steps = value.abs() / per_step;
        let floor = steps.floor();
        let magnitude = if steps - floor > 0.5 {
            floor + 1.0
        } else {
            floor
        };
        // The magnitude is at most 8000 steps, so the cast is exact.
        let n = magnitude as i32 * step.sixteenths();
        Some(Self(if value < 0.0 { -n } else { n }))
    }

    /// Reads a power in any step down to sixteenths, as [`Display`] writes it;
    /// for stored derived values such as a spherical equivalent.
    ///
    /// [`Display`]: fmt::Display
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = normalize(text).to_lowercase();
        if matches!(lower.as_str(), "pl" | "plano") {
            return Ok(Self::PLANO);
        }
        let bad = || {
            format!(
                "{} is not a power; type e.g. -2.25, +1.50 or pl",
                shown(text)
            )
        };
        let dec = decimal(&lower).ok_or_else(bad)?;
        let ten_thousandths = dec.scaled(4).map_err(|_| bad())?;
        // 1/16 D is 625 ten-thousandths.
        if ten_thousandths % 625 != 0 || ten_thousandths / 625 > MAX_ANY_POWER_SIXTEENTHS as u64 {
            return Err(bad());
        }
        let n = (ten_thousandths / 625) as i32;
        Ok(Self(if dec.negative { -n } else { n }))
    }
}

impl fmt::Display for Diopters {
    /// `plano` for zero; otherwise always signed with at least two decimals
    /// (`+1.25`, `-2.00`, `-2.125`, `+0.0625`), the sign written so a
    /// missing minus can never be read as plus.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("plano");
        }
        let sign = if self.0 < 0 { '-' } else { '+' };
        let abs = self.0.unsigned_abs();
        // 1/16 D is 625 ten-thousandths, so four decimals are always exact.
        let frac = frac_digits(u64::from(abs % 16) * 625, 4, 2);
        write!(f, "{sign}{}.{frac}", abs / 16)
    }
}

impl fmt::Debug for Diopters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Diopters({self})")
    }
}

impl FromStr for Diopters {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Diopters {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Diopters> for String {
    fn from(d: Diopters) -> String {
        d.to_string()
    }
}

impl serde::Serialize for Diopters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Diopters {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What one kind of power accepts, and how its messages read.
struct Rule {
    field: &'static str,
    /// Examples offered when the input is not a number at all.
    hint: &'static str,
    min: Diopters,
    max: Diopters,
    /// The finest step this field ever takes, whatever the caller asks.
    finest: Step,
    /// Words that mean zero power.
    zero_words: &'static [&'static str],
    /// Unit words allowed after the number (`-2.00 DS`, `-0.75 DC`).
    suffixes: &'static [&'static str],
    /// Words allowed before the number (`add +2.00`).
    prefixes: &'static [&'static str],
    /// An unsigned cylinder is ambiguous: VisionWeb reads it as minus,
    /// arithmetic as plus. Refusing it is safer than guessing.
    sign_required: bool,
    /// An add is a plus power by definition; zero means no add at all.
    plus_only: bool,
}

const SPHERE: Rule = Rule {
    field: "sphere",
    hint: "-2.25, +1.50 or pl",
    min: Diopters::from_quarters(-120),
    max: Diopters::from_quarters(120),
    finest: Step::Eighth,
    zero_words: &["pl", "pl.", "plano"],
    suffixes: &["ds", "sph", "d"],
    prefixes: &[],
    sign_required: false,
    plus_only: false,
};

const CYLINDER: Rule = Rule {
    field: "cylinder",
    hint: "-0.75, +1.25 or DS",
    min: Diopters::from_quarters(-60),
    max: Diopters::from_quarters(60),
    finest: Step::Eighth,
    zero_words: &["pl", "pl.", "plano", "ds", "sph", "sphere"],
    suffixes: &["dc", "cyl", "d"],
    prefixes: &[],
    sign_required: true,
    plus_only: false,
};

const ADD: Rule = Rule {
    field: "add",
    hint: "+2.00",
    min: Diopters::from_quarters(1),
    max: Diopters::from_quarters(24),
    finest: Step::Quarter,
    zero_words: &["pl", "pl.", "plano"],
    suffixes: &["d"],
    prefixes: &["add"],
    sign_required: false,
    plus_only: true,
};

impl Rule {
    fn range_message(&self, shown: &str) -> String {
        format!(
            "{} {shown} is outside {} to {} D",
            self.field, self.min, self.max
        )
    }

    fn step_message(&self, shown: &str, step: Step) -> String {
        format!("{} {shown} is not in {} D steps", self.field, step.label())
    }

    fn plus_message(&self, shown: &str) -> String {
        format!(
            "{} {shown} is not a plus power; an add is {} to {} D",
            self.field, self.min, self.max
        )
    }

    /// Only plus-only rules (the add) reach this: zero there means "none".
    fn zero_message(&self) -> String {
        "an add of plano is no add; leave it empty for single-vision lenses".into()
    }

    /// Checks an exact power against the range and the step.
    fn check(&self, power: Diopters, step: Step) -> Result<Diopters, String> {
        let step = step.coarser(self.finest);
        let shown = power.to_string();
        if self.plus_only && power.is_plano() {
            return Err(self.zero_message());
        }
        if self.plus_only && power < Diopters::PLANO {
            return Err(self.plus_message(&shown));
        }
        if power < self.min || power > self.max {
            return Err(self.range_message(&shown));
        }
        if !power.is_on_step(step) {
            return Err(self.step_message(&shown, step));
        }
        Ok(power)
    }

    /// Reads what a clinician typed: `-2.25`, `-225`, `+1.5`, `.25`, `-.75`,
    /// `+2`, `pl`, with a unicode minus or a trailing unit allowed.
    fn parse(&self, text: &str, step: Step) -> Result<Diopters, String> {
        let step = step.coarser(self.finest);
        let raw = text.trim();
        if raw.is_empty() {
            return Err(format!("enter the {}, e.g. {}", self.field, self.hint));
        }
        let lower = normalize(raw).to_lowercase();
        let mut body = lower.as_str();
        for prefix in self.prefixes {
            if let Some(rest) = body.strip_prefix(prefix) {
                body = rest.trim_start();
            }
        }
        for suffix in self.suffixes {
            if let Some(rest) = body.strip_suffix(suffix)
                && rest.ends_with(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')
            {
                body = rest.trim_end();
                break;
            }
        }
        if self.zero_words.contains(&body) {
            return self.check(Diopters::PLANO, step);
        }
        let not_a_power = || format!("{} is not a power; type e.g. {}", shown(raw), self.hint);
        let dec = decimal(body)
            .ok_or_else(not_a_power)?
            .hundredths_shorthand();
        let shown = dec.shown(2);
        let magnitude = match dec.scaled(3) {
            Ok(thousandths) => thousandths,
            Err(ScaleError::TooPrecise) => return Err(self.step_message(&shown, step)),
            Err(ScaleError::TooLarge) => return Err(self.range_message(&shown)),
        };
        if self.plus_only && magnitude == 0 {
            return Err(self.zero_message());
        }
        if self.plus_only && dec.negative {
            return Err(self.plus_message(&shown));
        }
        if self.sign_required && !dec.signed && magnitude != 0 {
            return Err(format!(
                "{} {shown} needs a sign: type -{shown} or +{shown}",
                self.field
            ));
        }
        // Range first: an impossible power is the bigger mistake, and its
        // message is the one that helps.
        let thousandths = |d: Diopters| i64::from(d.sixteenths()) * 125 / 2;
        let (min, max) = (thousandths(self.min), thousandths(self.max));
        let signed = i64::try_from(magnitude)
            .map(|m| if dec.negative { -m } else { m })
            .map_err(|_| self.range_message(&shown))?;
        if signed < min || signed > max {
            return Err(self.range_message(&shown));
        }
        // In thousandths a quarter is 250 and an eighth 125. Labs write the
        // eighths .125/.375/.625/.875 as .12/.37/.62/.87, which leave 120
        // over a quarter; those mean the eighth.
        let eighths = match step {
            Step::Quarter if magnitude % 250 == 0 => magnitude / 125,
            Step::Eighth if magnitude % 125 == 0 => magnitude / 125,
            Step::Eighth if magnitude % 250 == 120 => (magnitude + 5) / 125,
            _ => return Err(self.step_message(&shown, step)),
        };
        // The range check above bounds `eighths` far inside i32.
        let eighths = i32::try_from(eighths).map_err(|_| self.range_message(&shown))?;
        Ok(Diopters::from_eighths(if dec.negative {
            -eighths
        } else {
            eighths
        }))
    }
}

macro_rules! power_type {
    ($(#[$meta:meta])* $name:ident, $rule:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Diopters);

        impl $name {
            /// The lowest power accepted.
            pub const MIN: Diopters = $rule.min;
            /// The highest power accepted.
            pub const MAX: Diopters = $rule.max;

            /// Reads what a clinician typed, in quarter-diopter steps.
            pub fn parse(text: &str) -> Result<Self, String> {
                Self::parse_with(text, Step::Quarter)
            }

            /// Reads what a clinician typed, in the given step.
            pub fn parse_with(text: &str, step: Step) -> Result<Self, String> {
                $rule.parse(text, step).map(Self)
            }

            /// Checks an exact power, for values computed rather than typed.
            pub fn new(power: Diopters, step: Step) -> Result<Self, String> {
                $rule.check(power, step).map(Self)
            }

            pub const fn power(self) -> Diopters {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        /// Stored values load in eighth steps, the finest any lab takes, so
        /// an eighth-step lab order written earlier reads back; range limits
        /// still apply.
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse_with(&s, Step::Eighth)
            }
        }

        impl From<$name> for String {
            fn from(p: $name) -> String {
                p.to_string()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::try_from(text).map_err(serde::de::Error::custom)
            }
        }
    };
}

power_type!(
    /// The spherical power of a lens, -30.00 to +30.00 D: the research note's
    /// practical range (HCPCS banding stops at ±20, real lenses go further).
    Sphere,
    SPHERE
);
power_type!(
    /// The cylindrical power of a lens, -15.00 to +15.00 D, in either the
    /// minus-cylinder (optometry, labs) or plus-cylinder (ophthalmology)
    /// form. It must be typed with a sign; zero means a spherical lens.
    Cylinder,
    CYLINDER
);
power_type!(
    /// The near addition, +0.25 to +6.00 D in quarter steps only (labs
    /// refuse adds that do not end in .00, .25, .50 or .75). Adds of +0.75
    /// to +3.50 are typical; ANSI Z80.1 has tolerances for adds above +4.00,
    /// so those exist, and +6.00 leaves room for low-vision readers. No add
    /// is `Option::None`, never a zero add.
    Add,
    ADD
);

impl Sphere {
    /// A power already known to be valid: transposition and the refraction
    /// invariants keep it in range and on step.
    pub(super) const fn trusted(power: Diopters) -> Self {
        Self(power)
    }
}

impl Cylinder {
    /// A power already known to be valid, as for [`Sphere::trusted`].
    pub(super) const fn trusted(power: Diopters) -> Self {
        Self(power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diopters_format_exactly() {
        assert_eq!(Diopters::from_quarters(5).to_string(), "+1.25");
        assert_eq!(Diopters::from_quarters(-8).to_string(), "-2.00");
        assert_eq!(Diopters::from_eighths(-17).to_string(), "-2.125");
        assert_eq!(Diopters::from_sixteenths(1).to_string(), "+0.0625");
        assert_eq!(Diopters::PLANO.to_string(), "plano");
        assert_eq!(
            Diopters::parse("-2.125").unwrap(),
            Diopters::from_eighths(-17)
        );
        assert_eq!(
            Diopters::parse("+0.0625").unwrap(),
            Diopters::from_sixteenths(1)
        );
        assert!(Diopters::parse("+0.01").is_err());
    }

    #[test]
    fn nearest_rounds_halfway_toward_zero() {
        let q = |v| Diopters::nearest(v, Step::Quarter).unwrap();
        assert_eq!(q(-4.72), Diopters::from_quarters(-19));
        assert_eq!(q(-4.625), Diopters::from_quarters(-18));
        assert_eq!(q(4.625), Diopters::from_quarters(18));
        assert_eq!(q(4.626), Diopters::from_quarters(19));
        assert_eq!(q(0.1), Diopters::PLANO);
        assert_eq!(Diopters::nearest(f64::NAN, Step::Quarter), None);
        assert_eq!(
            Diopters::nearest(2.06, Step::Eighth),
            Some(Diopters::from_eighths(16))
        );
    }

    #[test]
    fn checks_computed_powers() {
        assert!(Sphere::new(Diopters::from_eighths(-17), Step::Quarter).is_err());
        assert!(Sphere::new(Diopters::from_eighths(-17), Step::Eighth).is_ok());
        assert_eq!(
            Add::new(Diopters::from_eighths(17), Step::Eighth).unwrap_err(),
            "add +2.125 is not in 0.25 D steps"
        );
        assert_eq!(
            Cylinder::new(Diopters::from_quarters(-64), Step::Quarter).unwrap_err(),
            "cylinder -16.00 is outside -15.00 to +15.00 D"
        );
    }
}
