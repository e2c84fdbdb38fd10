//! Pupillary distance (PD), binocular or per eye, in half millimetres.

use std::fmt;
use std::str::FromStr;

use super::text::{ScaleError, decimal, normalize, shown};

/// Reads millimetres in 0.5 mm steps within `min..=max` half-millimetres.
fn parse_half_mm(text: &str, field: &str, min: u16, max: u16) -> Result<u16, String> {
    let raw = text.trim();
    let range = format!("{}–{} mm", HalfMm(min), HalfMm(max));
    if raw.is_empty() {
        return Err(format!("enter the {field} in mm ({range})"));
    }
    let lower = normalize(raw).to_lowercase();
    let body = lower.strip_suffix("mm").unwrap_or(&lower).trim_end();
    let Some(dec) = decimal(body).filter(|d| !d.signed) else {
        return Err(format!(
            "{} is not a PD; type millimetres, e.g. 63.5, or 32/31.5 for right/left",
            shown(raw)
        ));
    };
    let shown = dec.shown(1);
    let tenths = match dec.scaled(1) {
        Ok(t) => t,
        Err(ScaleError::TooPrecise) => {
            return Err(format!("{field} {shown} is not in 0.5 mm steps"));
        }
        Err(ScaleError::TooLarge) => return Err(format!("{field} {shown} is outside {range}")),
    };
    if tenths < u64::from(min) * 5 || tenths > u64::from(max) * 5 {
        return Err(format!("{field} {shown} is outside {range}"));
    }
    if tenths % 5 != 0 {
        return Err(format!("{field} {shown} is not in 0.5 mm steps"));
    }
    // Within `max`, which is a u16.
    Ok((tenths / 5) as u16)
}

/// Half millimetres written as `32.0` or `32.5`.
struct HalfMm(u16);

impl fmt::Display for HalfMm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = if self.0.is_multiple_of(2) { '0' } else { '5' };
        write!(f, "{}.{frac}", self.0 / 2)
    }
}

macro_rules! pd_type {
    ($(#[$meta:meta])* $name:ident, $field:literal, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u16);

        impl $name {
            /// The smallest value, in half millimetres.
            pub const MIN_HALF_MM: u16 = $min;
            /// The largest value, in half millimetres.
            pub const MAX_HALF_MM: u16 = $max;

            pub fn from_half_mm(half_mm: u16) -> Result<Self, String> {
                if (Self::MIN_HALF_MM..=Self::MAX_HALF_MM).contains(&half_mm) {
                    Ok(Self(half_mm))
                } else {
                    Err(format!(
                        "{} {} is outside {}–{} mm",
                        $field,
                        HalfMm(half_mm),
                        HalfMm(Self::MIN_HALF_MM),
                        HalfMm(Self::MAX_HALF_MM)
                    ))
                }
            }

            /// Reads `32`, `32.5`, `32,5`, `32.5 mm`.
            pub fn parse(text: &str) -> Result<Self, String> {
                parse_half_mm(text, $field, Self::MIN_HALF_MM, Self::MAX_HALF_MM).map(Self)
            }

            pub const fn half_mm(self) -> u16 {
                self.0
            }

            pub fn millimetres(self) -> f64 {
                f64::from(self.0) / 2.0
            }
        }

        impl fmt::Display for $name {
            /// Millimetres with one decimal, as labs take it: `32.0`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                HalfMm(self.0).fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({} mm)", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
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
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

pd_type!(
    /// One eye's PD, from the bridge of the nose to the pupil: 20.0 to
    /// 40.0 mm. Adults measure about 27–37 mm; the lower bound leaves room
    /// for small children.
    MonocularPd,
    "monocular PD",
    40,
    80
);
pd_type!(
    /// The PD between both pupils: 40.0 to 80.0 mm. Adults measure about
    /// 54–74 mm; the lower bound leaves room for small children.
    BinocularPd,
    "PD",
    80,
    160
);

/// A PD as measured: one binocular number, or one per eye.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PdSpec {
    Binocular(BinocularPd),
    Monocular {
        right: MonocularPd,
        left: MonocularPd,
    },
}

impl PdSpec {
    /// Reads `63.5` (binocular) or `32/31.5` (right/left monocular, the DCS
    /// order). A slash always means right/left, never distance/near.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('/') {
            None => BinocularPd::parse(text).map(Self::Binocular),
            Some((right, left)) => {
                let right = MonocularPd::parse(right).map_err(|m| format!("right {m}"))?;
                let left = MonocularPd::parse(left).map_err(|m| format!("left {m}"))?;
                Ok(Self::Monocular { right, left })
            }
        }
    }

    /// The binocular PD; for monocular PDs, their sum. Two monocular PDs
    /// in range always sum to a binocular PD in range.
    pub fn total(self) -> BinocularPd {
        match self {
            Self::Binocular(pd) => pd,
            Self::Monocular { right, left } => BinocularPd(right.0 + left.0),
        }
    }
}

impl fmt::Display for PdSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Binocular(pd) => pd.fmt(f),
            Self::Monocular { right, left } => write!(f, "{right}/{left}"),
        }
    }
}

impl FromStr for PdSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for PdSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PdSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The PDs of a prescription: distance, and near when it was measured
/// (sent to labs as DCS `IPD` and `NPD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PupillaryDistance {
    pub distance: PdSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<PdSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monocular_pds_sum_to_a_binocular_one() {
        let pd = PdSpec::parse("32/31.5").unwrap();
        assert_eq!(pd.total().to_string(), "63.5");
        assert_eq!(pd.to_string(), "32.0/31.5");
        assert_eq!(
            PdSpec::parse("63/60").unwrap_err(),
            "right monocular PD 63.0 is outside 20.0–40.0 mm"
        );
    }
}
