//! Typed optical values for eye exams and prescriptions, and the optical
//! calculators that work on them. Pure code: no I/O.
//!
//! Every value parses what clinicians type, refuses the impossible with a
//! message that says why, and formats one canonical string, which is also
//! its serde form (axis excepted: a plain number of degrees).
//!
//! # Conventions
//!
//! - **Powers** are exact fixed-point [`Diopters`] (sixteenths of a
//!   diopter), never floats. Quarter steps are the default [`Step`];
//!   eighths are an opt-in for labs that take them. Zero is written
//!   `plano`; every other power carries its sign (`+1.25`, `-2.00`), so a
//!   lost minus cannot turn into a plus. Typed digits without a point mean
//!   hundredths from three digits on (`-225` is -2.25) and whole diopters
//!   below (`+2` is +2.00).
//! - **Stored values** load in eighth steps, the finest any lab takes, so a
//!   lab order saved earlier always reads back; ranges still apply.
//! - **Axis** is 1–180 with 0 stored as 180 and shown with three digits.
//! - **Prism** base angles use the 360° laboratory notation: OD base in is
//!   0°, OS base in is 180°, base up 90°, base down 270° (see [`prism`]'s
//!   documentation; checked against the NFOS worked example).
//! - **logMAR** for CF/HM/LP/NLP is imputed as 1.9/2.3/2.7/3.0 (M. Bach,
//!   from Schulze-Bonsel et al. 2006), marked as imputed.
//!
//! Ranges come from the eye-care research note (§2.3) where it gives them
//! and are stated on each type where it does not.

mod acuity;
mod axis;
mod keratometry;
mod pd;
mod power;
pub mod prism;
mod refraction;
mod text;
mod vertex;

pub use acuity::{
    Acuity, Correction, DecimalAcuity, DistanceUnit, EtdrsLetters, LOGMAR_COUNT_FINGERS,
    LOGMAR_HAND_MOTION, LOGMAR_LIGHT_PERCEPTION, LOGMAR_NO_LIGHT_PERCEPTION, LogMar, Snellen,
    SnellenUnit, TestDistance, VisualAcuity,
};
pub use axis::Axis;
pub use keratometry::{
    KERATOMETRIC_CONSTANT, KERATOMETRIC_INDEX, k_diopters_from_radius, k_radius_from_diopters,
};
pub use pd::{BinocularPd, MonocularPd, PdSpec, PupillaryDistance};
pub use power::{Add, Cylinder, Diopters, Sphere, Step};
pub use prism::{BaseAngle, CompoundPrism, Prism, PrismAmount, PrismBase, PrismComponents};
pub use refraction::{ExactRefraction, Meridian, Refraction, RefractionInput};
pub use vertex::{VERTEX_THRESHOLD, VertexDistance, needs_vertex_compensation, vertex_convert};

use std::fmt;

/// Which eye a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Eye {
    /// Oculus dexter.
    #[serde(rename = "od")]
    Right,
    /// Oculus sinister.
    #[serde(rename = "os")]
    Left,
}

impl Eye {
    pub const BOTH: [Eye; 2] = [Eye::Right, Eye::Left];

    /// The clinical abbreviation, `OD` or `OS`.
    pub const fn abbreviation(self) -> &'static str {
        match self {
            Self::Right => "OD",
            Self::Left => "OS",
        }
    }
}

impl fmt::Display for Eye {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbreviation())
    }
}
