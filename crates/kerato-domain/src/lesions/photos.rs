//! Clinical photos: a patient's (of one lesion, optionally), stored
//! encrypted beside the database, and the inputs of the gallery's forms.

use crate::ValidationErrors;
use crate::consent::{Purpose, Source, parse_answer};
use crate::ids::{LesionId, OrganisationId, PatientId, PhotoId, UserId};
use crate::input::{ParseInput, non_blank};
use crate::time::Timestamp;

string_enum!(
    /// The image formats a clinical photo is kept in (anything else is
    /// refused at upload).
    PhotoMediaType {
        Jpeg = "image/jpeg", "JPEG";
        Png = "image/png", "PNG";
    }
);

/// A clinical photo's record; the image itself is an encrypted file named
/// by the photo's ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: PhotoId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub lesion_id: Option<LesionId>,
    pub media_type: PhotoMediaType,
    /// The size of the stored image, after its metadata was stripped.
    pub bytes: i64,
    pub taken_at: Timestamp,
    pub uploaded_by: UserId,
}

/// What comes with an uploaded photo besides the file: the lesion it
/// shows, if any, and whether staff have just obtained the patient's
/// consent to clinical photographs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhotoUpload {
    pub lesion: Option<LesionId>,
    pub consent_given_now: bool,
}

/// The upload form's text fields.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PhotoUploadInput {
    /// A lesion of the patient's, or empty for a photo of no one lesion.
    pub lesion_id: Option<String>,
    /// "yes" when the consent box was ticked.
    pub consent: Option<String>,
}

impl ParseInput for PhotoUpload {
    type Raw = PhotoUploadInput;

    fn parse(raw: PhotoUploadInput) -> Result<Self, ValidationErrors> {
        let lesion = match non_blank(raw.lesion_id.as_deref()) {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                ValidationErrors::single(
                    "lesion_id",
                    "that is not a lesion of this patient; choose one from the list",
                )
            })?),
        };
        Ok(PhotoUpload {
            lesion,
            consent_given_now: raw.consent.as_deref() == Some("yes"),
        })
    }
}

/// A patient's answer on one consent purpose (clinical photographs,
/// teaching, marketing), as staff record it on the photos page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentAnswer {
    pub purpose: Purpose,
    pub granted: bool,
    pub source: Source,
}

/// The consent form's fields.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ConsentAnswerInput {
    pub purpose: String,
    /// "yes" or "no".
    pub answer: String,
    /// Who gave the answer (see [`Source`]).
    pub source: String,
}

impl ParseInput for ConsentAnswer {
    type Raw = ConsentAnswerInput;

    fn parse(raw: ConsentAnswerInput) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let purpose = raw
            .purpose
            .trim()
            .parse::<Purpose>()
            .map_err(|m| e.add("purpose", m))
            .ok();
        let granted = parse_answer("answer", raw.answer.trim())
            .map_err(|v| e.errors.extend(v.errors))
            .ok();
        let source = raw
            .source
            .trim()
            .parse::<Source>()
            .map_err(|m| e.add("source", m))
            .ok();
        match (purpose, granted, source) {
            (Some(purpose), Some(granted), Some(source)) if e.is_empty() => Ok(ConsentAnswer {
                purpose,
                granted,
                source,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_consent_answer_names_each_wrong_field() {
        let e = ConsentAnswer::parse(ConsentAnswerInput {
            purpose: "gossip".into(),
            answer: "maybe".into(),
            source: "rumour".into(),
        })
        .unwrap_err();
        for field in ["purpose", "answer", "source"] {
            assert!(e.for_field(field).is_some(), "{field}: {e}");
        }
        let ok = ConsentAnswer::parse(ConsentAnswerInput {
            purpose: Purpose::PhotoTeaching.as_str().into(),
            answer: "no".into(),
            source: Source::Staff.as_str().into(),
        })
        .unwrap();
        assert!(!ok.granted);
    }

    proptest! {
        #[test]
        fn an_upload_names_its_lesion_or_none(bits in any::<[u8; 10]>(), blank in "[ ]{0,3}", junk in "[a-z]{1,12}") {
            let lesion = LesionId::new(Timestamp::from_micros(1_700_000_000_000_000), bits);
            let parse = |lesion_id: &str, consent: &str| PhotoUpload::parse(PhotoUploadInput {
                lesion_id: Some(lesion_id.into()),
                consent: Some(consent.into()),
            });
            prop_assert_eq!(
                parse(&lesion.to_string(), "yes"),
                Ok(PhotoUpload { lesion: Some(lesion), consent_given_now: true })
            );
            prop_assert_eq!(
                parse(&blank, &junk),
                Ok(PhotoUpload { lesion: None, consent_given_now: false })
            );
            let e = parse(&junk, "yes").unwrap_err();
            prop_assert!(e.for_field("lesion_id").is_some());
        }
    }
}
