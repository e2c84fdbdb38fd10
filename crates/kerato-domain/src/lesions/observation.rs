//! What was seen of a lesion at one visit, and what changed since the
//! visit before.

use std::collections::BTreeSet;

use super::{Colour, Dermoscopy, Disposition};
use crate::ValidationErrors;
use crate::input::{ParseInput, one_or_many};
use crate::time::Timestamp;

/// What was seen of a lesion at one visit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    pub morphology: String,
    /// Largest diameter, in tenths of a millimetre.
    pub size_tenths_mm: u32,
    pub colours: BTreeSet<Colour>,
    /// ABCDE: asymmetry, border irregularity, colour variegation,
    /// diameter over 6 mm, evolving.
    pub abcde: [bool; 5],
    /// Dermoscopic structures; absent in observations recorded before
    /// they were asked for.
    #[serde(default)]
    pub dermoscopy: BTreeSet<Dermoscopy>,
    pub impression: String,
    pub disposition: Disposition,
}

/// An observation as typed, before validation. It is read from the
/// form's text ([`ObservationFields`]), whose ABCDE boxes are five fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "ObservationFields")]
pub struct ObservationInput {
    pub morphology: String,
    pub size_mm: String,
    pub colours: Vec<String>,
    pub abcde: [bool; 5],
    pub dermoscopy: Vec<String>,
    pub impression: String,
    pub disposition: String,
}

/// An observation's fields as a form sends them: the colours and
/// dermoscopic structures are checkboxes (sent once each), and each ABCDE
/// criterion is a checkbox `abcde_a` … `abcde_e` sent as "yes" when ticked.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ObservationFields {
    pub morphology: String,
    pub size_mm: String,
    #[serde(deserialize_with = "one_or_many")]
    pub colours: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub dermoscopy: Vec<String>,
    pub abcde_a: Option<String>,
    pub abcde_b: Option<String>,
    pub abcde_c: Option<String>,
    pub abcde_d: Option<String>,
    pub abcde_e: Option<String>,
    pub impression: String,
    pub disposition: String,
}

impl From<ObservationFields> for ObservationInput {
    fn from(f: ObservationFields) -> Self {
        let ticked = |v: &Option<String>| v.as_deref() == Some("yes");
        ObservationInput {
            abcde: [&f.abcde_a, &f.abcde_b, &f.abcde_c, &f.abcde_d, &f.abcde_e].map(ticked),
            morphology: f.morphology,
            size_mm: f.size_mm,
            colours: f.colours,
            dermoscopy: f.dermoscopy,
            impression: f.impression,
            disposition: f.disposition,
        }
    }
}

impl ParseInput for Observation {
    type Raw = ObservationInput;

    fn parse(raw: ObservationInput) -> Result<Self, ValidationErrors> {
        raw.validate()
    }
}

/// The largest lesion measured, in millimetres.
const MAX_SIZE_MM: u32 = 300;

impl ObservationInput {
    pub fn validate(&self) -> Result<Observation, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let text = |e: &mut ValidationErrors, field: &str, raw: &str, max: usize| {
            let t = raw.trim();
            if t.chars().count() > max {
                e.add(field, format!("at most {max} characters"));
            }
            t.to_string()
        };
        let morphology = text(&mut e, "morphology", &self.morphology, 200);
        let impression = text(&mut e, "impression", &self.impression, 500);
        let size = parse_tenths(&self.size_mm)
            .filter(|t| *t > 0 && *t <= MAX_SIZE_MM * 10)
            .ok_or_else(|| {
                e.add(
                    "size_mm",
                    format!("the largest diameter in mm, e.g. 4 or 4.5 (up to {MAX_SIZE_MM})"),
                )
            })
            .ok();
        let mut colours = BTreeSet::new();
        for c in &self.colours {
            match c.trim().parse::<Colour>() {
                Ok(c) => {
                    colours.insert(c);
                }
                Err(m) => e.add("colours", m),
            }
        }
        let mut dermoscopy = BTreeSet::new();
        for d in &self.dermoscopy {
            match d.trim().parse::<Dermoscopy>() {
                Ok(d) => {
                    dermoscopy.insert(d);
                }
                Err(m) => e.add("dermoscopy", m),
            }
        }
        let disposition = self
            .disposition
            .trim()
            .parse::<Disposition>()
            .map_err(|m| e.add("disposition", m))
            .ok();
        match (size, disposition) {
            (Some(size_tenths_mm), Some(disposition)) if e.is_empty() => Ok(Observation {
                morphology,
                size_tenths_mm,
                colours,
                abcde: self.abcde,
                dermoscopy,
                impression,
                disposition,
            }),
            _ => Err(e),
        }
    }
}

/// "4", "4.5", "12.0" → tenths of a millimetre; one decimal at most.
pub(super) fn parse_tenths(raw: &str) -> Option<u32> {
    let raw = raw.trim().trim_end_matches("mm").trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || frac.len() > 1 || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let w: u32 = whole.parse().ok()?;
    let f: u32 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    w.checked_mul(10)?.checked_add(f)
}

/// What changed between two observations of one lesion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ChangeFlag {
    /// Grew by at least 1 mm or 20 %, whichever is larger: smaller
    /// differences are within what two measurements of the same lesion
    /// disagree by.
    Grew {
        from_tenths_mm: u32,
        to_tenths_mm: u32,
    },
    /// A colour not seen before.
    NewColour(Colour),
}

/// The flags for `next` against the observation before it.
pub fn change_flags(previous: &Observation, next: &Observation) -> Vec<ChangeFlag> {
    let mut flags = Vec::new();
    let (a, b) = (previous.size_tenths_mm, next.size_tenths_mm);
    let threshold = (a / 5).max(10);
    if b >= a.saturating_add(threshold) {
        flags.push(ChangeFlag::Grew {
            from_tenths_mm: a,
            to_tenths_mm: b,
        });
    }
    flags.extend(
        next.colours
            .difference(&previous.colours)
            .map(|c| ChangeFlag::NewColour(*c)),
    );
    flags
}

/// An observation as recorded: its number in the lesion's history (1 for
/// the first) and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedObservation {
    pub n: i64,
    pub at: Timestamp,
    pub observation: Observation,
}

/// One visit's observation with what changed since the visit before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub n: i64,
    pub at: Timestamp,
    pub observation: Observation,
    pub flags: Vec<ChangeFlag>,
}

/// A lesion's observations in order, each flagged against the one before.
pub fn timeline(recorded: Vec<RecordedObservation>) -> Vec<TimelineEntry> {
    let mut entries: Vec<TimelineEntry> = Vec::with_capacity(recorded.len());
    for r in recorded {
        let flags = entries
            .last()
            .map(|prev| change_flags(&prev.observation, &r.observation))
            .unwrap_or_default();
        entries.push(TimelineEntry {
            n: r.n,
            at: r.at,
            observation: r.observation,
            flags,
        });
    }
    entries
}
