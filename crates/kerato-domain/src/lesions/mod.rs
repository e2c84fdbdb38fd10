//! Skin lesions with identity: a lesion is placed once (site, side, pin on
//! the body map) and followed across visits, each visit adding an
//! observation; comparing two observations flags growth and new colours.

use std::collections::BTreeSet;

use crate::ValidationErrors;

mod snomed;

pub use snomed::SnomedCode;

string_enum!(
    /// The body regions lesions are placed in (the body map's regions).
    Region {
        Scalp = "scalp", "Scalp";
        Forehead = "forehead", "Forehead";
        Temple = "temple", "Temple";
        Eyelid = "eyelid", "Eyelid";
        Nose = "nose", "Nose";
        Cheek = "cheek", "Cheek";
        Ear = "ear", "Ear";
        Lip = "lip", "Lip";
        Chin = "chin", "Chin";
        Neck = "neck", "Neck";
        Shoulder = "shoulder", "Shoulder";
        Chest = "chest", "Chest";
        Breast = "breast", "Breast";
        Abdomen = "abdomen", "Abdomen";
        UpperBack = "upper_back", "Upper back";
        LowerBack = "lower_back", "Lower back";
        Buttock = "buttock", "Buttock";
        UpperArm = "upper_arm", "Upper arm";
        Forearm = "forearm", "Forearm";
        Hand = "hand", "Hand (dorsum)";
        Palm = "palm", "Palm";
        Finger = "finger", "Finger";
        Thigh = "thigh", "Thigh";
        Knee = "knee", "Knee";
        Shin = "shin", "Shin";
        Calf = "calf", "Calf";
        Foot = "foot", "Foot (dorsum)";
        Sole = "sole", "Sole";
        Toe = "toe", "Toe";
        Genitalia = "genitalia", "Genitalia";
    }
);

string_enum!(
    /// Which side of the body.
    Laterality {
        Left = "left", "Left";
        Right = "right", "Right";
        Midline = "midline", "Midline";
    }
);

string_enum!(
    /// Which drawing of the body map the pin is on: the whole body from
    /// the front or back, or a detail drawing of the face, the hands or
    /// the feet, where lesions are too close together for the whole-body
    /// drawing.
    View {
        Anterior = "anterior", "Front";
        Posterior = "posterior", "Back";
        Face = "face", "Head and face";
        Hands = "hands", "Hands";
        Feet = "feet", "Feet";
    }
);

impl View {
    /// The regions a detail drawing shows; `None` for the whole-body
    /// drawings, which show every region.
    pub fn regions(self) -> Option<&'static [Region]> {
        use Region as R;
        match self {
            View::Anterior | View::Posterior => None,
            View::Face => Some(&[
                R::Scalp,
                R::Forehead,
                R::Temple,
                R::Eyelid,
                R::Nose,
                R::Cheek,
                R::Ear,
                R::Lip,
                R::Chin,
                R::Neck,
            ]),
            View::Hands => Some(&[R::Hand, R::Palm, R::Finger]),
            View::Feet => Some(&[R::Foot, R::Sole, R::Toe]),
        }
    }
}

string_enum!(
    /// Dermoscopic structures seen, the ones that change a decision
    /// (the melanoma-specific structures and the common benign clues).
    Dermoscopy {
        AtypicalNetwork = "atypical_network", "Atypical pigment network";
        NegativeNetwork = "negative_network", "Negative network";
        Streaks = "streaks", "Streaks";
        IrregularDotsGlobules = "irregular_dots_globules", "Irregular dots and globules";
        BlueWhiteVeil = "blue_white_veil", "Blue-white veil";
        Regression = "regression", "Regression structures";
        AtypicalVessels = "atypical_vessels", "Atypical vascular pattern";
        ArborizingVessels = "arborizing_vessels", "Arborizing vessels";
        MiliaLikeCysts = "milia_like_cysts", "Milia-like cysts";
        ShinyWhiteLines = "shiny_white_lines", "Shiny white lines";
    }
);

string_enum!(
    /// Where a lesion stands.
    LesionStatus {
        Active = "active", "Active";
        Resolved = "resolved", "Resolved";
        Excised = "excised", "Excised";
    }
);

string_enum!(
    /// What the clinician decided at a visit.
    Disposition {
        Monitor = "monitor", "Monitor";
        Biopsy = "biopsy", "Biopsy";
        Treat = "treat", "Treat";
        Excise = "excise", "Excise";
        Refer = "refer", "Refer";
        Resolved = "resolved", "Resolved (no longer seen)";
    }
);

string_enum!(
    /// Colours seen in a lesion (dermoscopy's palette).
    Colour {
        Skin = "skin", "Skin-coloured";
        Tan = "tan", "Tan";
        Brown = "brown", "Brown";
        DarkBrown = "dark_brown", "Dark brown";
        Black = "black", "Black";
        Red = "red", "Red";
        Pink = "pink", "Pink";
        BlueGrey = "blue_grey", "Blue-grey";
        White = "white", "White";
    }
);

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

/// A site as typed or clicked, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// An observation as typed, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservationInput {
    pub morphology: String,
    pub size_mm: String,
    pub colours: Vec<String>,
    pub abcde: [bool; 5],
    pub dermoscopy: Vec<String>,
    pub impression: String,
    pub disposition: String,
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
fn parse_tenths(raw: &str) -> Option<u32> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obs(size: u32, colours: &[Colour]) -> Observation {
        Observation {
            morphology: "macule".into(),
            size_tenths_mm: size,
            colours: colours.iter().copied().collect(),
            abcde: [false; 5],
            dermoscopy: BTreeSet::new(),
            impression: String::new(),
            disposition: Disposition::Monitor,
        }
    }

    #[test]
    fn growth_and_new_colours_are_flagged() {
        let before = obs(40, &[Colour::Brown]);
        assert!(
            change_flags(&before, &obs(49, &[Colour::Brown])).is_empty(),
            "0.9 mm is noise"
        );
        assert_eq!(
            change_flags(&before, &obs(50, &[Colour::Brown, Colour::Black])),
            vec![
                ChangeFlag::Grew {
                    from_tenths_mm: 40,
                    to_tenths_mm: 50
                },
                ChangeFlag::NewColour(Colour::Black)
            ]
        );
        // For a large lesion, 20 % decides.
        let big = obs(200, &[]);
        assert!(change_flags(&big, &obs(239, &[])).is_empty());
        assert_eq!(change_flags(&big, &obs(240, &[])).len(), 1);
    }

    #[test]
    fn bad_input_is_named() {
        let e = ObservationInput {
            size_mm: "4.55".into(),
            colours: vec!["purple".into()],
            disposition: "wait".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("size_mm").is_some());
        assert!(e.for_field("colours").is_some());
        assert!(e.for_field("disposition").is_some());
        let e = SiteInput {
            region: "cheek".into(),
            laterality: "left".into(),
            view: "anterior".into(),
            x: "1001".into(),
            y: "20".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("x").is_some());
    }

    fn site(region: &str, view: &str, landmark: &str, mm: &str) -> SiteInput {
        SiteInput {
            region: region.into(),
            laterality: "left".into(),
            view: view.into(),
            x: "500".into(),
            y: "500".into(),
            landmark: landmark.into(),
            landmark_mm: mm.into(),
        }
    }

    #[test]
    fn a_detail_drawing_takes_only_its_regions_and_a_landmark_needs_both_parts() {
        let ok = site("cheek", "face", "lateral canthus", "12")
            .validate()
            .unwrap();
        assert_eq!(ok.view, View::Face);
        assert_eq!(
            ok.landmark,
            Some(Landmark {
                name: "lateral canthus".into(),
                distance_mm: 12
            })
        );
        assert_eq!(
            site("sole", "feet", "", "").validate().unwrap().landmark,
            None
        );
        // Every region is on the whole-body drawings.
        for r in Region::ALL {
            assert!(
                site(r.as_str(), "anterior", "", "").validate().is_ok(),
                "{r}"
            );
        }
        let e = site("thigh", "hands", "", "").validate().unwrap_err();
        assert!(
            e.for_field("region")
                .unwrap()
                .contains("does not show the thigh"),
            "{e}"
        );
        for (landmark, mm, field) in [
            ("", "12", "landmark"),
            ("umbilicus", "", "landmark_mm"),
            ("umbilicus", "501", "landmark_mm"),
            ("umbilicus", "1.5", "landmark_mm"),
        ] {
            let e = site("abdomen", "anterior", landmark, mm)
                .validate()
                .unwrap_err();
            assert!(e.for_field(field).is_some(), "{landmark:?} {mm:?}: {e}");
        }
    }

    #[test]
    fn dermoscopy_is_a_named_set() {
        let o = ObservationInput {
            size_mm: "5".into(),
            dermoscopy: vec!["blue_white_veil".into(), "streaks".into(), "streaks".into()],
            disposition: "biopsy".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(o.dermoscopy.len(), 2);
        let e = ObservationInput {
            size_mm: "5".into(),
            dermoscopy: vec!["sparkles".into()],
            disposition: "biopsy".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("dermoscopy").is_some());
        // Observations stored before dermoscopy was asked for still read.
        let old = r#"{"morphology":"m","size_tenths_mm":40,"colours":[],"abcde":[false,false,false,false,false],"impression":"","disposition":"monitor"}"#;
        let o: Observation = serde_json::from_str(old).unwrap();
        assert!(o.dermoscopy.is_empty());
    }

    proptest! {
        #[test]
        fn a_lesion_never_grows_from_itself_and_shrinking_is_not_growth(a in 1u32..3000, b in 1u32..3000) {
            prop_assert!(change_flags(&obs(a, &[]), &obs(a, &[])).is_empty());
            if b <= a {
                prop_assert!(change_flags(&obs(a, &[]), &obs(b, &[])).is_empty());
            }
        }

        #[test]
        fn sizes_round_trip_through_their_text(t in 1u32..3000) {
            let text = format!("{}.{}", t / 10, t % 10);
            prop_assert_eq!(parse_tenths(&text), Some(t));
        }
    }
}
