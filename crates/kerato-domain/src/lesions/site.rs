//! Where a lesion is: region, side and a pin on the body map, with an
//! optional measured distance from a landmark.

use super::{Laterality, Region, View};
use crate::ValidationErrors;
use crate::input::ParseInput;

/// A lesion's place: region, side, and a pin on the body map in
/// thousandths of the drawing's width and height.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LesionSite {
    pub region: Region,
    pub laterality: Laterality,
    pub view: View,
    pub x: u16,
    pub y: u16,
    /// A measured distance from an anatomic landmark, which finds the
    /// lesion again more surely than the pin does.
    pub landmark: Option<Landmark>,
}

/// "12 mm from the left lateral canthus".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Landmark {
    pub name: String,
    pub distance_mm: u32,
}

/// The furthest a landmark is measured from, in mm: past half a metre a
/// tape measure along the skin finds nothing more exactly than the pin.
const MAX_LANDMARK_MM: u32 = 500;

/// A site as typed or clicked, before validation: the placing form's
/// fields, every one text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct SiteInput {
    pub region: String,
    pub laterality: String,
    pub view: String,
    pub x: String,
    pub y: String,
    /// The landmark's name and its distance in mm; both or neither.
    pub landmark: String,
    pub landmark_mm: String,
}

impl SiteInput {
    pub fn validate(&self) -> Result<LesionSite, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let region = self
            .region
            .trim()
            .parse::<Region>()
            .map_err(|m| e.add("region", m))
            .ok();
        let laterality = self
            .laterality
            .trim()
            .parse::<Laterality>()
            .map_err(|m| e.add("laterality", m))
            .ok();
        let view = self
            .view
            .trim()
            .parse::<View>()
            .map_err(|m| e.add("view", m))
            .ok();
        let mut coord = |field: &str, raw: &str| {
            raw.trim()
                .parse::<u16>()
                .ok()
                .filter(|v| *v <= 1000)
                .ok_or_else(|| {
                    e.add(
                        field,
                        "the pin is placed by clicking the body map (0–1000 across and down)",
                    )
                })
                .ok()
        };
        let (x, y) = (coord("x", &self.x), coord("y", &self.y));
        if let (Some(region), Some(view)) = (region, view)
            && let Some(allowed) = view.regions()
            && !allowed.contains(&region)
        {
            e.add(
                "region",
                format!(
                    "the {} drawing does not show the {}; place the lesion on the front or back drawing",
                    view.label().to_lowercase(),
                    region.label().to_lowercase()
                ),
            );
        }
        let name = self.landmark.trim();
        let distance = self.landmark_mm.trim();
        let landmark = match (name.is_empty(), distance.is_empty()) {
            (true, true) => None,
            (false, false) => {
                if name.chars().count() > 100 {
                    e.add("landmark", "name the landmark in at most 100 characters");
                }
                match distance.parse::<u32>() {
                    Ok(mm) if mm <= MAX_LANDMARK_MM => Some(Landmark {
                        name: name.to_string(),
                        distance_mm: mm,
                    }),
                    _ => {
                        e.add(
                            "landmark_mm",
                            format!(
                                "the distance from the landmark in whole mm (0–{MAX_LANDMARK_MM})"
                            ),
                        );
                        None
                    }
                }
            }
            (true, false) => {
                e.add(
                    "landmark",
                    "name the landmark the distance is measured from",
                );
                None
            }
            (false, true) => {
                e.add("landmark_mm", "give the distance from the landmark in mm");
                None
            }
        };
        match (region, laterality, view, x, y) {
            (Some(region), Some(laterality), Some(view), Some(x), Some(y)) if e.is_empty() => {
                Ok(LesionSite {
                    region,
                    laterality,
                    view,
                    x,
                    y,
                    landmark,
                })
            }
            _ => Err(e),
        }
    }
}

impl ParseInput for LesionSite {
    type Raw = SiteInput;

    fn parse(raw: SiteInput) -> Result<Self, ValidationErrors> {
        raw.validate()
    }
}
