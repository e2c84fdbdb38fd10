//! A sphero-cylindrical lens power (sphere, cylinder, axis) and the
//! calculators built on it: transposition, spherical equivalent, principal
//! meridians and vertex conversion.

use std::fmt;
use std::str::FromStr;

use super::axis::Axis;
use super::power::{Cylinder, Diopters, Sphere, Step};
use super::text::normalize;
use super::vertex::{VERTEX_THRESHOLD, VertexDistance, vertex_convert};
use crate::ValidationErrors;

/// One principal meridian of a lens and its power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Meridian {
    pub axis: Axis,
    pub power: Diopters,
}

/// A lens power: sphere, cylinder and, exactly when the cylinder is not
/// zero, an axis.
///
/// Both principal meridians (the sphere, and sphere + cylinder) lie within
/// the sphere range. That keeps transposition total: either cylinder form of
/// a valid refraction is valid. The form as entered is kept; use
/// [`Refraction::to_minus_cylinder`] for the lab convention.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Refraction {
    sphere: Sphere,
    cylinder: Cylinder,
    axis: Option<Axis>,
}

/// A problem with a refraction and the input field it belongs to.
type FieldProblem = (&'static str, String);

impl Refraction {
    /// Puts a refraction together, checking that the axis is there exactly
    /// when there is a cylinder and that both meridians are in range.
    pub fn new(sphere: Sphere, cylinder: Cylinder, axis: Option<Axis>) -> Result<Self, String> {
        Self::combine(sphere, cylinder, axis).map_err(|(_, message)| message)
    }

    fn combine(
        sphere: Sphere,
        cylinder: Cylinder,
        axis: Option<Axis>,
    ) -> Result<Self, FieldProblem> {
        match (cylinder.power().is_plano(), axis) {
            (false, None) => {
                return Err((
                    "axis",
                    format!("axis is required when cylinder is {cylinder}"),
                ));
            }
            (true, Some(_)) => return Err(("axis", "axis given without cylinder".into())),
            _ => {}
        }
        let other = sphere.power().saturating_add(cylinder.power());
        if other < Sphere::MIN || other > Sphere::MAX {
            return Err((
                "cylinder",
                format!(
                    "sphere {sphere} with cylinder {cylinder} makes {other} in the other meridian, outside {} to {} D",
                    Sphere::MIN,
                    Sphere::MAX
                ),
            ));
        }
        Ok(Self {
            sphere,
            cylinder,
            axis,
        })
    }

    /// A lens with no cylinder.
    pub fn spherical(sphere: Sphere) -> Self {
        Self {
            sphere,
            cylinder: Cylinder::trusted(Diopters::PLANO),
            axis: None,
        }
    }

    /// Reads a whole refraction as written in a chart: `-2.00 -0.75 x 180`,
    /// `-2.00/-0.75x180`, `pl -0.50 × 90`, `-2.00 -0.75 180`, `-2.00 DS`,
    /// `+1.50 sph`, `plano`; quarter-diopter steps.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::parse_with(text, Step::Quarter)
    }

    /// Reads a whole refraction in the given step. When several parts are
    /// wrong, the messages are joined with "; ".
    pub fn parse_with(text: &str, step: Step) -> Result<Self, String> {
        let input = split_refraction(text)?;
        input.validate(step).map_err(|errors| {
            errors
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub const fn sphere(&self) -> Sphere {
        self.sphere
    }

    pub const fn cylinder(&self) -> Cylinder {
        self.cylinder
    }

    pub const fn axis(&self) -> Option<Axis> {
        self.axis
    }

    /// The same lens in the other cylinder form: sphere + cylinder, the
    /// cylinder's sign flipped, the axis turned 90° within 1–180. A
    /// spherical lens is its own transposition. Applying it twice gives back
    /// the refraction exactly.
    pub fn transposed(&self) -> Self {
        match self.axis {
            Some(axis) if !self.cylinder.power().is_plano() => Self {
                // Both meridians are in the sphere range by construction, and
                // the cylinder range is symmetric, so no check can fail here.
                sphere: Sphere::trusted(self.sphere.power().saturating_add(self.cylinder.power())),
                cylinder: Cylinder::trusted(self.cylinder.power().saturating_neg()),
                axis: Some(axis.perpendicular()),
            },
            _ => *self,
        }
    }

    /// The minus-cylinder form, the optometry and lab convention.
    pub fn to_minus_cylinder(&self) -> Self {
        if self.cylinder.power() > Diopters::PLANO {
            self.transposed()
        } else {
            *self
        }
    }

    /// The plus-cylinder form, common in ophthalmology.
    pub fn to_plus_cylinder(&self) -> Self {
        if self.cylinder.power() < Diopters::PLANO {
            self.transposed()
        } else {
            *self
        }
    }

    /// Sphere + cylinder / 2, exact: a quarter-step refraction can have an
    /// eighth-step equivalent (-2.00 -0.25 → -2.125) and an eighth-step one
    /// a sixteenth, both of which [`Diopters`] holds.
    pub fn spherical_equivalent(&self) -> Diopters {
        // A cylinder is a whole number of eighths, an even number of
        // sixteenths, so halving it is exact.
        Diopters::from_sixteenths(
            self.sphere.power().sixteenths() + self.cylinder.power().sixteenths() / 2,
        )
    }

    /// The two principal meridians: the axis meridian has the sphere's
    /// power, the meridian 90° away has sphere + cylinder. A spherical lens
    /// has the same power everywhere; it reports 180 and 090.
    pub fn principal_meridians(&self) -> [Meridian; 2] {
        let axis = self.axis.unwrap_or(Axis::HORIZONTAL);
        [
            Meridian {
                axis,
                power: self.sphere.power(),
            },
            Meridian {
                axis: axis.perpendicular(),
                power: self.sphere.power().saturating_add(self.cylinder.power()),
            },
        ]
    }

    /// Whether any meridian reaches ±4.00 D, where the vertex distance
    /// matters for a contact lens.
    pub fn needs_vertex_compensation(&self) -> bool {
        self.principal_meridians()
            .iter()
            .any(|m| m.power.abs() >= VERTEX_THRESHOLD)
    }

    /// The exact power at the cornea of this spectacle refraction worn at
    /// `distance`, converting each principal meridian on its own (a
    /// cylinder does not convert as a single number).
    pub fn at_cornea(&self, distance: VertexDistance) -> Result<ExactRefraction, String> {
        let [first, second] = self.principal_meridians();
        let first = vertex_convert(first.power, distance)?;
        let second = vertex_convert(second.power, distance)?;
        Ok(ExactRefraction {
            sphere: first,
            cylinder: second - first,
            axis: self.axis,
        })
    }
}

/// A refraction with unrounded powers, such as a vertex conversion.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ExactRefraction {
    pub sphere: f64,
    pub cylinder: f64,
    pub axis: Option<Axis>,
}

impl ExactRefraction {
    /// Rounds to `step`, meridian by meridian so the cylinder stays the
    /// difference of two rounded powers; a cylinder that rounds away drops
    /// its axis. Halfway values go to the smaller magnitude.
    pub fn rounded(&self, step: Step) -> Result<Refraction, String> {
        let too_large = || "the converted power is too large for a lens".to_string();
        let first = Diopters::nearest(self.sphere, step).ok_or_else(too_large)?;
        let second = Diopters::nearest(self.sphere + self.cylinder, step).ok_or_else(too_large)?;
        let cylinder = second.saturating_sub(first);
        let axis = if cylinder.is_plano() { None } else { self.axis };
        Refraction::new(
            Sphere::new(first, step)?,
            Cylinder::new(cylinder, step)?,
            axis,
        )
    }
}

impl fmt::Display for Refraction {
    /// `-2.00 -0.75 x 180`, or `-2.00 DS` without cylinder.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.axis {
            Some(axis) => write!(f, "{} {} x {axis}", self.sphere, self.cylinder),
            None => write!(f, "{} DS", self.sphere),
        }
    }
}

impl fmt::Debug for Refraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Refraction({self})")
    }
}

impl FromStr for Refraction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Stored refractions load in eighth steps, like their powers.
impl TryFrom<String> for Refraction {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse_with(&s, Step::Eighth)
    }
}

impl serde::Serialize for Refraction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Refraction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::try_from(text).map_err(serde::de::Error::custom)
    }
}

/// A refraction as typed into three form fields. An empty cylinder means a
/// spherical lens; an empty axis means none.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefractionInput {
    #[serde(default)]
    pub sphere: String,
    #[serde(default)]
    pub cylinder: String,
    #[serde(default)]
    pub axis: String,
}

impl RefractionInput {
    /// Checks every field and reports every problem, each under its field
    /// name (`sphere`, `cylinder`, `axis`).
    pub fn validate(&self, step: Step) -> Result<Refraction, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let sphere = Sphere::parse_with(&self.sphere, step)
            .map_err(|m| errors.add("sphere", m))
            .ok();
        let cylinder = if self.cylinder.trim().is_empty() {
            Some(Cylinder::trusted(Diopters::PLANO))
        } else {
            Cylinder::parse_with(&self.cylinder, step)
                .map_err(|m| errors.add("cylinder", m))
                .ok()
        };
        let axis = if self.axis.trim().is_empty() {
            Ok(None)
        } else {
            Axis::parse(&self.axis)
                .map(Some)
                .map_err(|m| errors.add("axis", m))
        };
        match (sphere, cylinder, axis) {
            (Some(sphere), Some(cylinder), Ok(axis)) if errors.is_empty() => {
                Refraction::combine(sphere, cylinder, axis)
                    .map_err(|(field, message)| ValidationErrors::single(field, message))
            }
            (_, Some(cylinder), Ok(None)) if !cylinder.power().is_plano() => {
                errors.add(
                    "axis",
                    format!("axis is required when cylinder is {cylinder}"),
                );
                Err(errors)
            }
            _ => Err(errors),
        }
    }
}

/// One piece of a refraction typed on one line.
#[derive(Debug, PartialEq)]
enum Token {
    /// A number or a word such as `pl`.
    Value(String),
    /// `x`, `×` or `@`, which introduce the axis.
    AxisMark,
    /// `DS`, `sph`: the lens has no cylinder.
    Spherical,
}

/// Splits one line into sphere, cylinder and axis fields. A sign starts a
/// new number, so `-2.00-0.75x180` needs no spaces; `/` and spaces separate.
fn split_refraction(text: &str) -> Result<RefractionInput, String> {
    let shape = "write a refraction as sphere, cylinder and axis, e.g. -2.00 -0.75 x 180";
    let lower = normalize(text).to_lowercase();
    if lower.is_empty() {
        return Err(format!(
            "enter the refraction, e.g. {}",
            "-2.00 -0.75 x 180"
        ));
    }
    let mut tokens = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<Token>| {
        let word = std::mem::take(current);
        match word.as_str() {
            "" => {}
            // Units after a number carry no information.
            "d" | "dc" | "cyl" => {}
            "ds" | "sph" | "sphere" => tokens.push(Token::Spherical),
            _ => tokens.push(Token::Value(word)),
        }
    };
    for c in lower.chars() {
        let is_number = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
        match c {
            'x' | '×' | '@' => {
                flush(&mut current, &mut tokens);
                tokens.push(Token::AxisMark);
            }
            '+' | '-' => {
                flush(&mut current, &mut tokens);
                current.push(c);
            }
            // A sign may be followed by a space before its number.
            c if c.is_whitespace() && (current == "-" || current == "+") => {}
            c if c.is_whitespace() || c == '/' || c == '°' => flush(&mut current, &mut tokens),
            c if is_number(c) => {
                if current.chars().last().is_some_and(char::is_alphabetic) {
                    flush(&mut current, &mut tokens);
                }
                current.push(c);
            }
            c => {
                if current.chars().last().is_some_and(is_number) {
                    flush(&mut current, &mut tokens);
                }
                current.push(c);
            }
        }
    }
    flush(&mut current, &mut tokens);

    let mut values = Vec::new();
    let mut spherical = false;
    let mut axis = None;
    let mut iter = tokens.into_iter();
    while let Some(token) = iter.next() {
        match token {
            Token::Value(v) => values.push(v),
            Token::Spherical if !spherical && axis.is_none() => spherical = true,
            Token::AxisMark if axis.is_none() => {
                axis = Some(match iter.next() {
                    Some(Token::Value(v)) => v,
                    None => String::new(),
                    Some(_) => return Err(shape.into()),
                });
                if iter.next().is_some() {
                    return Err(shape.into());
                }
            }
            _ => return Err(shape.into()),
        }
    }
    let mut values = values.into_iter();
    let sphere = values.next().unwrap_or_default();
    let cylinder = if spherical {
        String::new()
    } else {
        values.next().unwrap_or_default()
    };
    let axis = match (axis, values.next()) {
        (Some(a), None) => a,
        // Without an `x`, a third number is the axis: `-2.00 -0.75 180`.
        (None, Some(a)) if !spherical => a,
        (None, None) => String::new(),
        _ => return Err(shape.into()),
    };
    if values.next().is_some() {
        return Err(shape.into());
    }
    // "-2.00 DS x 90": the axis belongs to no cylinder.
    if spherical && !axis.is_empty() {
        return Err("axis given without cylinder".into());
    }
    Ok(RefractionInput {
        sphere,
        cylinder,
        axis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx(text: &str) -> Refraction {
        Refraction::parse(text).unwrap()
    }

    #[test]
    fn transposes_the_worked_example() {
        // NFOS: −6.75 −2.50 × 013 becomes −9.25 +2.50 × 103.
        assert_eq!(
            rx("-6.75 -2.50 x 13").transposed().to_string(),
            "-9.25 +2.50 x 103"
        );
        assert_eq!(
            rx("+1.00 -1.00 x 150").transposed().to_string(),
            "plano +1.00 x 060"
        );
        assert_eq!(rx("-2.00 DS").transposed(), rx("-2.00"));
        assert_eq!(
            rx("-1.00 +0.50 x 90").to_minus_cylinder().to_string(),
            "-0.50 -0.50 x 180"
        );
    }

    #[test]
    fn spherical_equivalent_is_exact() {
        assert_eq!(
            rx("-2.00 -0.25 x 180").spherical_equivalent().to_string(),
            "-2.125"
        );
        let eighths = Refraction::parse_with("-2.00 -0.125 x 180", Step::Eighth).unwrap();
        assert_eq!(eighths.spherical_equivalent().to_string(), "-2.0625");
    }

    #[test]
    fn meridians_and_vertex() {
        let r = rx("-5.00 -1.50 x 180");
        let [a, b] = r.principal_meridians();
        assert_eq!(
            (a.axis.degrees(), a.power.to_string()),
            (180, "-5.00".into())
        );
        assert_eq!(
            (b.axis.degrees(), b.power.to_string()),
            (90, "-6.50".into())
        );
        assert!(r.needs_vertex_compensation());
        assert!(!rx("-2.00 -1.50 x 180").needs_vertex_compensation());
        let cornea = r.at_cornea(VertexDistance::parse("12").unwrap()).unwrap();
        assert!((cornea.sphere - (-5.0 / 1.06)).abs() < 1e-12);
        assert!((cornea.sphere + cornea.cylinder - (-6.5 / 1.078)).abs() < 1e-12);
        // -4.717 → -4.75 and -6.030 → -6.00: the cylinder shrinks to -1.25.
        assert_eq!(
            cornea.rounded(Step::Quarter).unwrap().to_string(),
            "-4.75 -1.25 x 180"
        );
    }

    #[test]
    fn fields_report_every_problem() {
        let input = RefractionInput {
            sphere: "-2.13".into(),
            cylinder: "-1.25".into(),
            axis: "".into(),
        };
        let err = input.validate(Step::Quarter).unwrap_err();
        assert_eq!(
            err.for_field("sphere"),
            Some("sphere -2.13 is not in 0.25 D steps")
        );
        assert_eq!(
            err.for_field("axis"),
            Some("axis is required when cylinder is -1.25")
        );
        let spherical = RefractionInput {
            sphere: "-2".into(),
            ..Default::default()
        };
        assert_eq!(spherical.validate(Step::Quarter).unwrap(), rx("-2.00 DS"));
    }
}
