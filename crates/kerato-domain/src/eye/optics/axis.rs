//! The cylinder axis.

use std::fmt;
use std::str::FromStr;

use super::text::{decimal, normalize, shown};

/// A cylinder axis in whole degrees, 1 to 180 (TABO notation).
///
/// 0 and 180 name the same meridian; prescriptions and labs write 180
/// ("enter the value in a range of 1 to 180 degrees", VisionWeb), so 0 is
/// stored as 180. Displayed with three digits (`x 013`), the clinical habit
/// that keeps a handwritten 13 from being read as 130.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Axis(u8);

const RANGE: &str = "1–180";

impl Axis {
    /// The horizontal meridian, 180 (never 0).
    pub const HORIZONTAL: Axis = Axis(180);
    /// The vertical meridian.
    pub const VERTICAL: Axis = Axis(90);

    /// The axis for `degrees`, 0 meaning 180.
    pub fn new(degrees: u16) -> Result<Self, String> {
        match degrees {
            0 => Ok(Self(180)),
            1..=180 => Ok(Self(degrees as u8)),
            _ => Err(format!("axis {degrees} is outside {RANGE}")),
        }
    }

    /// Reads `90`, `090`, `x90`, `× 90`, `@90`, `90°`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw = text.trim();
        if raw.is_empty() {
            return Err(format!("enter the axis, {RANGE} degrees"));
        }
        let lower = normalize(raw).to_lowercase();
        let body = lower
            .trim_start_matches(['x', '×', '@'])
            .trim()
            .trim_end_matches('°')
            .trim_end_matches("deg")
            .trim();
        let Some(dec) = decimal(body) else {
            return Err(format!(
                "{} is not an axis; type whole degrees, {RANGE}",
                shown(raw)
            ));
        };
        let degrees = dec.shown(0);
        if !dec.is_whole() {
            return Err(format!("axis {degrees} is not a whole number of degrees"));
        }
        match dec.scaled(0) {
            Ok(n) if !dec.negative && n <= 180 => Self::new(n as u16),
            _ => Err(format!("axis {degrees} is outside {RANGE}")),
        }
    }

    pub const fn degrees(self) -> u8 {
        self.0
    }

    /// The meridian 90° away, kept in 1–180: `((axis + 89) mod 180) + 1`.
    /// Applying it twice gives back the axis.
    pub const fn perpendicular(self) -> Self {
        Self(((self.0 as u16 + 89) % 180 + 1) as u8)
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl fmt::Debug for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Axis({})", self.0)
    }
}

impl FromStr for Axis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Stored as a plain number of degrees.
impl serde::Serialize for Axis {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Axis {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let degrees = u16::deserialize(d)?;
        Self::new(degrees).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perpendicular_stays_in_range() {
        let p = |d| Axis::new(d).unwrap().perpendicular().degrees();
        assert_eq!(p(13), 103);
        assert_eq!(p(90), 180);
        assert_eq!(p(180), 90);
        assert_eq!(p(91), 1);
        assert_eq!(p(1), 91);
        assert_eq!(p(135), 45);
    }
}
