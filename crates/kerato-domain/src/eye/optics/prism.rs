//! Prescribed prism: an amount in prism diopters (Δ) and a base direction,
//! and the resolution of horizontal and vertical prism into one compound
//! prism and back.
//!
//! # Base directions in degrees
//!
//! The 360° notation is the laboratory reference system: angles run
//! counter-clockwise from 0° at the examiner's right as they face the
//! patient, the same frame as TABO cylinder axes. Base up is 90° and base
//! down 270° for both eyes. The nose is on the examiner's right for the
//! right eye and on the left for the left eye, so:
//!
//! | Eye | Base in | Base out |
//! |---|---|---|
//! | OD (right) | 0° | 180° |
//! | OS (left) | 180° | 0° |
//!
//! Worked example (NFOS prism-base module): 2Δ BI with 1.5Δ BU resolves to
//! 2.5Δ @ 037 for OD; 2Δ BI with 1.5Δ BD to 2.5Δ @ 217 for OS.

use std::fmt;
use std::str::FromStr;

use super::Eye;
use super::text::{ScaleError, decimal, fixed, normalize, shown};

/// A prism amount in quarter prism diopters, 0.25 to 40.00 Δ.
///
/// Prescriptions use 0.25 or 0.5 Δ steps; quarters hold both. Ground-in
/// prism rarely passes 10 Δ per eye, but Fresnel press-on prisms reach 40 Δ.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrismAmount(u16);

impl PrismAmount {
    const MAX_QUARTERS: u16 = 160;

    pub fn from_quarters(quarters: u16) -> Result<Self, String> {
        match quarters {
            0 => Err(no_prism()),
            1..=Self::MAX_QUARTERS => Ok(Self(quarters)),
            _ => Err(format!(
                "prism {} is outside 0.25 to 40.00 Δ",
                Self(quarters)
            )),
        }
    }

    pub const fn quarters(self) -> u16 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 4.0
    }

    /// The nearest quarter to an exact amount; halfway goes down. `None`
    /// for an amount that rounds to no prism or is out of range.
    pub fn nearest(value: f64) -> Option<Self> {
        if !value.is_finite() || value <= 0.0 || value > 1000.0 {
            return None;
        }
        let quarters = value * 4.0;
        let floor = quarters.floor();
        let n = if quarters - floor > 0.5 {
            floor + 1.0
        } else {
            floor
        };
        // At most 4000, so the cast is exact.
        Self::from_quarters(n as u16).ok()
    }
}

fn no_prism() -> String {
    "a prism of 0 is no prism; leave the prism empty".into()
}

impl fmt::Display for PrismAmount {
    /// Two decimals, as labs write prism: `0.25`, `2.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fixed(u64::from(self.0) * 25, 2, 2))
    }
}

impl fmt::Debug for PrismAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrismAmount({self})")
    }
}

/// A base direction in the 360° notation, 0 to 359 (360 is stored as 0).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BaseAngle(u16);

impl BaseAngle {
    pub fn new(degrees: u16) -> Result<Self, String> {
        match degrees {
            0..=359 => Ok(Self(degrees)),
            360 => Ok(Self(0)),
            _ => Err(format!("prism base {degrees} is outside 0–360°")),
        }
    }

    pub const fn degrees(self) -> u16 {
        self.0
    }
}

impl fmt::Debug for BaseAngle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseAngle({})", self.0)
    }
}

/// Where the prism's base points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrismBase {
    /// Toward the nose.
    In,
    /// Toward the temple.
    Out,
    Up,
    Down,
    /// An oblique (or any) direction in the 360° notation.
    Angle(BaseAngle),
}

impl PrismBase {
    /// The direction in the 360° notation for `eye`.
    pub fn angle(self, eye: Eye) -> BaseAngle {
        match (self, eye) {
            (Self::In, Eye::Right) | (Self::Out, Eye::Left) => BaseAngle(0),
            (Self::In, Eye::Left) | (Self::Out, Eye::Right) => BaseAngle(180),
            (Self::Up, _) => BaseAngle(90),
            (Self::Down, _) => BaseAngle(270),
            (Self::Angle(a), _) => a,
        }
    }
}

impl fmt::Display for PrismBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::In => f.write_str("BI"),
            Self::Out => f.write_str("BO"),
            Self::Up => f.write_str("BU"),
            Self::Down => f.write_str("BD"),
            Self::Angle(a) => write!(f, "@ {:03}", a.0),
        }
    }
}

/// A prescribed prism for one eye: `2.00 BI`, `1.50 BU`, `2.50 @ 037`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prism {
    pub amount: PrismAmount,
    pub base: PrismBase,
}

impl Prism {
    pub const fn new(amount: PrismAmount, base: PrismBase) -> Self {
        Self { amount, base }
    }

    /// Reads `2 BI`, `2Δ BO`, `1.5^BU`, `0.5 pd BD`, `2 base in`,
    /// `3 @ 45`, `3 base 45°`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw = text.trim();
        let example = "e.g. 2 BI, 1.5 BU or 2.5 @ 037";
        if raw.is_empty() {
            return Err(format!("enter the prism amount and base, {example}"));
        }
        let lower = normalize(raw).to_lowercase();
        let split = lower
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(lower.len());
        let (number, rest) = lower.split_at(split);
        let Some(dec) = decimal(number) else {
            return Err(format!(
                "{} is not a prism; type an amount and base, {example}",
                shown(raw)
            ));
        };
        let shown_amount = dec.shown(2);
        let hundredths = match dec.scaled(2) {
            Ok(h) => h,
            Err(ScaleError::TooPrecise) => {
                return Err(format!("prism {shown_amount} is not in 0.25 Δ steps"));
            }
            Err(ScaleError::TooLarge) => {
                return Err(format!("prism {shown_amount} is outside 0.25 to 40.00 Δ"));
            }
        };
        if hundredths == 0 {
            return Err(no_prism());
        }
        if hundredths > 4000 {
            return Err(format!("prism {shown_amount} is outside 0.25 to 40.00 Δ"));
        }
        if hundredths % 25 != 0 {
            return Err(format!("prism {shown_amount} is not in 0.25 Δ steps"));
        }
        let amount = PrismAmount::from_quarters((hundredths / 25) as u16)?;
        let mut rest = rest.trim();
        for unit in ["prism diopters", "prism dioptres", "prism", "pd", "δ", "^"] {
            if let Some(r) = rest.strip_prefix(unit) {
                rest = r.trim_start();
                break;
            }
        }
        let base = parse_base(rest, amount)?;
        Ok(Self { amount, base })
    }

    /// The horizontal and vertical parts of this prism in `eye`.
    pub fn components(&self, eye: Eye) -> PrismComponents {
        let a = self.amount.as_f64();
        // Cardinal bases are exact; trigonometry would leave 1e-16 crumbs.
        match self.base {
            PrismBase::In => PrismComponents::new(a, 0.0),
            PrismBase::Out => PrismComponents::new(-a, 0.0),
            PrismBase::Up => PrismComponents::new(0.0, a),
            PrismBase::Down => PrismComponents::new(0.0, -a),
            PrismBase::Angle(angle) => CompoundPrism {
                amount: a,
                base_angle: f64::from(angle.0),
            }
            .components(eye),
        }
    }
}

fn parse_base(text: &str, amount: PrismAmount) -> Result<PrismBase, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let base = match compact.as_str() {
        "" => {
            return Err(format!(
                "prism {amount} needs a base: BI, BO, BU, BD or a direction such as @ 045"
            ));
        }
        "bi" | "basein" | "in" => PrismBase::In,
        "bo" | "baseout" | "out" => PrismBase::Out,
        "bu" | "baseup" | "up" => PrismBase::Up,
        "bd" | "basedown" | "down" => PrismBase::Down,
        other => {
            let degrees = ["@", "base", "b", "at"]
                .iter()
                .find_map(|p| other.strip_prefix(p))
                .unwrap_or(other);
            let degrees = degrees
                .strip_suffix('°')
                .or_else(|| degrees.strip_suffix("deg"))
                .unwrap_or(degrees);
            if degrees.is_empty() || !degrees.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{} is not a prism base; use BI, BO, BU, BD or a direction such as @ 045",
                    shown(text)
                ));
            }
            let n = degrees.parse::<u16>().unwrap_or(u16::MAX);
            PrismBase::Angle(BaseAngle::new(n).map_err(|_| {
                format!(
                    "prism base {} is outside 0–360°",
                    degrees
                        .trim_start_matches('0')
                        .chars()
                        .take(8)
                        .collect::<String>()
                )
            })?)
        }
    };
    Ok(base)
}

impl fmt::Display for Prism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.base)
    }
}

impl fmt::Debug for Prism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prism({self})")
    }
}

impl FromStr for Prism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Prism {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Prism {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Prism split into a horizontal and a vertical part, in prism diopters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrismComponents {
    /// Base in when positive, base out when negative.
    pub base_in: f64,
    /// Base up when positive, base down when negative.
    pub base_up: f64,
}

impl PrismComponents {
    pub const fn new(base_in: f64, base_up: f64) -> Self {
        Self { base_in, base_up }
    }

    /// The sum of two prisms in the same eye (e.g. a horizontal and a
    /// vertical prescription).
    pub fn plus(self, other: PrismComponents) -> Self {
        Self::new(self.base_in + other.base_in, self.base_up + other.base_up)
    }

    /// The single prism with the same effect: its amount, and its base in
    /// the 360° notation for `eye`.
    pub fn resultant(self, eye: Eye) -> CompoundPrism {
        let x = match eye {
            Eye::Right => self.base_in,
            Eye::Left => -self.base_in,
        };
        let amount = self.base_in.hypot(self.base_up);
        let angle = if amount == 0.0 {
            0.0
        } else {
            self.base_up.atan2(x).to_degrees().rem_euclid(360.0)
        };
        CompoundPrism {
            amount,
            // rem_euclid can return 360.0 for a tiny negative angle.
            base_angle: if angle >= 360.0 { 0.0 } else { angle },
        }
    }

    /// The parts as prescribable prisms, each rounded to 0.25 Δ; a part
    /// that rounds to nothing is `None`.
    pub fn split(self) -> Result<(Option<Prism>, Option<Prism>), String> {
        let part = |value: f64, positive: PrismBase, negative: PrismBase| {
            if value.abs() > 40.125 {
                return Err(format!(
                    "prism {:.2} is outside 0.25 to 40.00 Δ",
                    value.abs()
                ));
            }
            let base = if value < 0.0 { negative } else { positive };
            Ok(PrismAmount::nearest(value.abs()).map(|amount| Prism::new(amount, base)))
        };
        Ok((
            part(self.base_in, PrismBase::In, PrismBase::Out)?,
            part(self.base_up, PrismBase::Up, PrismBase::Down)?,
        ))
    }
}

/// One prism with an exact amount and base angle (360° notation).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompoundPrism {
    pub amount: f64,
    /// Degrees, 0 ≤ angle < 360.
    pub base_angle: f64,
}

impl CompoundPrism {
    /// The horizontal and vertical parts for `eye`.
    pub fn components(self, eye: Eye) -> PrismComponents {
        let radians = self.base_angle.to_radians();
        let x = self.amount * radians.cos();
        let base_in = match eye {
            Eye::Right => x,
            Eye::Left => -x,
        };
        PrismComponents::new(base_in, self.amount * radians.sin())
    }

    /// A prescribable prism: the amount to the nearest 0.25 Δ (halfway
    /// down), the angle to the nearest degree.
    pub fn rounded(self) -> Result<Prism, String> {
        if !self.amount.is_finite() || self.amount > 40.125 {
            return Err(format!(
                "prism {:.2} is outside 0.25 to 40.00 Δ",
                self.amount
            ));
        }
        let amount = PrismAmount::nearest(self.amount).ok_or_else(|| {
            format!(
                "the resultant prism {:.2} Δ rounds to no prism",
                self.amount
            )
        })?;
        // The angle is finite and within 0..360, so the cast is exact;
        // 359.6 rounds to 360, which is 0.
        let degrees = self.base_angle.rem_euclid(360.0).round() as u16;
        Ok(Prism::new(
            amount,
            PrismBase::Angle(BaseAngle::new(degrees % 360)?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_the_worked_example() {
        let bi = Prism::parse("2 BI").unwrap();
        let bu = Prism::parse("1.5 BU").unwrap();
        let bd = Prism::parse("1.5 BD").unwrap();
        let od = bi.components(Eye::Right).plus(bu.components(Eye::Right));
        let r = od.resultant(Eye::Right);
        assert!((r.amount - 2.5).abs() < 1e-12);
        assert_eq!(r.rounded().unwrap().to_string(), "2.50 @ 037");
        let os = bi.components(Eye::Left).plus(bd.components(Eye::Left));
        assert_eq!(
            os.resultant(Eye::Left).rounded().unwrap().to_string(),
            "2.50 @ 217"
        );
        let (h, v) = r.components(Eye::Right).split().unwrap();
        assert_eq!((h, v), (Some(bi), Some(bu)));
    }

    #[test]
    fn cardinal_bases_have_eye_dependent_angles() {
        assert_eq!(PrismBase::In.angle(Eye::Right).degrees(), 0);
        assert_eq!(PrismBase::In.angle(Eye::Left).degrees(), 180);
        assert_eq!(PrismBase::Out.angle(Eye::Right).degrees(), 180);
        assert_eq!(PrismBase::Out.angle(Eye::Left).degrees(), 0);
        assert_eq!(PrismBase::Up.angle(Eye::Left).degrees(), 90);
        assert_eq!(PrismBase::Down.angle(Eye::Right).degrees(), 270);
        let bo = Prism::parse("3 BO").unwrap();
        assert_eq!(
            bo.components(Eye::Left)
                .resultant(Eye::Left)
                .rounded()
                .unwrap()
                .to_string(),
            "3.00 @ 000"
        );
    }
}
