//! Skin lesions with identity: a lesion is placed once (site, side, pin on
//! the body map) and followed across visits, each visit adding an
//! observation; comparing two observations flags growth and new colours.

use crate::ValidationErrors;
use crate::ids::{LesionId, OrganisationId, PatientId, UserId};
use crate::input::ParseInput;
use crate::time::Timestamp;

mod observation;
mod photos;
mod site;
mod snomed;

pub use observation::*;
pub use photos::*;
pub use site::*;
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

/// A lesion of a patient's, placed once on the body map and followed
/// across visits by its observations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesion {
    pub id: LesionId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub site: LesionSite,
    /// The clinician's short name for it ("L1", "left shoulder naevus").
    pub label: String,
    pub status: LesionStatus,
    pub created_at: Timestamp,
    pub created_by: UserId,
}

/// The longest label a lesion takes, in characters.
const MAX_LABEL_CHARS: usize = 100;

/// A lesion to place: where, its label, and what was seen the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLesion {
    pub site: LesionSite,
    pub label: String,
    pub first: Observation,
}

/// The placing form's fields as sent: the site's, the label, and the
/// first observation's.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NewLesionInput {
    #[serde(flatten)]
    pub site: SiteInput,
    #[serde(default)]
    pub label: String,
    #[serde(flatten)]
    pub first: ObservationInput,
}

impl ParseInput for NewLesion {
    type Raw = NewLesionInput;

    fn parse(raw: NewLesionInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let site = raw
            .site
            .validate()
            .map_err(|v| e.errors.extend(v.errors))
            .ok();
        let first = raw
            .first
            .validate()
            .map_err(|v| e.errors.extend(v.errors))
            .ok();
        let label = raw.label.trim();
        if label.chars().count() > MAX_LABEL_CHARS {
            e.add(
                "label",
                format!("shorten the label to at most {MAX_LABEL_CHARS} characters"),
            );
        }
        match (site, first) {
            (Some(site), Some(first)) if e.is_empty() => Ok(NewLesion {
                site,
                label: label.to_string(),
                first,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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

    #[test]
    fn a_new_lesion_names_every_problem_of_its_parts() {
        let e = NewLesion::parse(NewLesionInput {
            site: SiteInput {
                region: "elbow".into(),
                ..site("cheek", "face", "", "")
            },
            label: "x".repeat(MAX_LABEL_CHARS + 1),
            first: ObservationInput {
                size_mm: "0".into(),
                disposition: "monitor".into(),
                ..Default::default()
            },
        })
        .unwrap_err();
        for field in ["region", "label", "size_mm"] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
    }

    #[test]
    fn the_form_sends_abcde_as_five_boxes_and_colours_as_a_list() {
        let raw: NewLesionInput = serde_json::from_value(serde_json::json!({
            "region": "cheek", "laterality": "left", "view": "face", "x": "10", "y": "20",
            "label": " L1 ", "size_mm": "4.5", "colours": ["brown", "black"],
            "dermoscopy": "streaks", "abcde_a": "yes", "abcde_e": "yes",
            "disposition": "biopsy", "csrf_button": "ignored"
        }))
        .unwrap();
        let l = NewLesion::parse(raw).unwrap();
        assert_eq!(l.label, "L1");
        assert_eq!(l.first.abcde, [true, false, false, false, true]);
        assert_eq!(l.first.colours.len(), 2);
        assert_eq!(l.first.size_tenths_mm, 45);
        assert_eq!(l.site.x, 10);
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
