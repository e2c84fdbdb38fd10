//! Vertex distance and the vertex conversion of a power to the cornea.

use std::fmt;
use std::str::FromStr;

use super::power::Diopters;
use super::text::{ScaleError, decimal, frac_digits, normalize, shown};

/// The back vertex distance: from the back of the spectacle lens to the
/// cornea, in quarter millimetres.
///
/// Quarter millimetres hold the phoropter's standard 13.75 mm. The range,
/// 5 to 25 mm, is wider than the usual 10–14 mm so close-fitting wrap frames
/// and aphakic lenses set far out still fit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VertexDistance(u16);

impl VertexDistance {
    const MIN_QUARTERS: u16 = 5 * 4;
    const MAX_QUARTERS: u16 = 25 * 4;

    /// The distance for a count of quarter millimetres.
    pub fn from_quarter_mm(quarters: u16) -> Result<Self, String> {
        if (Self::MIN_QUARTERS..=Self::MAX_QUARTERS).contains(&quarters) {
            Ok(Self(quarters))
        } else {
            Err(format!(
                "vertex distance {} is outside 5–25 mm",
                Self(quarters)
            ))
        }
    }

    /// Reads `12`, `13.75`, `12 mm`, `12,5mm`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw = text.trim();
        if raw.is_empty() {
            return Err("enter the vertex distance in mm, e.g. 12".into());
        }
        let lower = normalize(raw).to_lowercase();
        let body = lower.strip_suffix("mm").unwrap_or(&lower).trim_end();
        let Some(dec) = decimal(body).filter(|d| !d.signed) else {
            return Err(format!(
                "{} is not a vertex distance; type millimetres, e.g. 12 or 13.75",
                shown(raw)
            ));
        };
        let shown = dec.shown(1);
        let hundredths = match dec.scaled(2) {
            Ok(h) => h,
            Err(ScaleError::TooPrecise) => {
                return Err(format!("vertex distance {shown} is not in 0.25 mm steps"));
            }
            Err(ScaleError::TooLarge) => {
                return Err(format!("vertex distance {shown} is outside 5–25 mm"));
            }
        };
        if !(500..=2500).contains(&hundredths) {
            return Err(format!("vertex distance {shown} is outside 5–25 mm"));
        }
        if hundredths % 25 != 0 {
            return Err(format!("vertex distance {shown} is not in 0.25 mm steps"));
        }
        Self::from_quarter_mm((hundredths / 25) as u16)
    }

    pub const fn quarter_mm(self) -> u16 {
        self.0
    }

    pub fn millimetres(self) -> f64 {
        f64::from(self.0) / 4.0
    }

    pub fn metres(self) -> f64 {
        f64::from(self.0) / 4000.0
    }
}

impl fmt::Display for VertexDistance {
    /// Millimetres with one or two decimals: `12.0`, `13.5`, `13.75`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = frac_digits(u64::from(self.0 % 4) * 25, 2, 1);
        write!(f, "{}.{frac}", self.0 / 4)
    }
}

impl fmt::Debug for VertexDistance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VertexDistance({self} mm)")
    }
}

impl FromStr for VertexDistance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for VertexDistance {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for VertexDistance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// From this power on (in any meridian) the vertex distance changes the
/// effective power by a clinically relevant amount: at 12 mm a -4.00 D lens
/// is -3.82 D at the cornea, nearly a quarter step.
pub const VERTEX_THRESHOLD: Diopters = Diopters::from_quarters(16);

/// Whether a power needs vertex compensation: |power| ≥ 4.00 D.
pub fn needs_vertex_compensation(power: Diopters) -> bool {
    power.abs() >= VERTEX_THRESHOLD
}

/// The exact power at the cornea of a lens worn at `distance`:
/// `F_c = F / (1 − d·F)`, d in metres. Round it with [`Diopters::nearest`]
/// as a separate step when ordering.
///
/// A plus lens whose focal point lies at or in front of the cornea
/// (`d·F ≥ 1`) has no equivalent at the cornea; that is refused.
pub fn vertex_convert(power: Diopters, distance: VertexDistance) -> Result<f64, String> {
    let f = power.as_f64();
    let denominator = 1.0 - distance.metres() * f;
    if denominator <= 0.0 {
        return Err(format!(
            "a {power} D lens at {distance} mm focuses in front of the eye; it has no power at the cornea"
        ));
    }
    Ok(f / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_cornea() {
        let d12 = VertexDistance::parse("12").unwrap();
        let minus = vertex_convert(Diopters::from_quarters(-24), d12).unwrap();
        assert!((minus - (-6.0 / 1.072)).abs() < 1e-12, "{minus}");
        let plus = vertex_convert(Diopters::from_quarters(40), d12).unwrap();
        assert!((plus - 10.0 / 0.88).abs() < 1e-12, "{plus}");
        assert!(vertex_convert(Diopters::from_quarters(400), d12).is_err());
        assert!(needs_vertex_compensation(Diopters::from_quarters(-16)));
        assert!(!needs_vertex_compensation(Diopters::from_quarters(15)));
        assert_eq!(
            VertexDistance::parse("13.75 mm").unwrap().to_string(),
            "13.75"
        );
        assert_eq!(VertexDistance::parse("12").unwrap().to_string(), "12.0");
    }
}
