//! Clinical photos: a patient's (of one lesion, optionally), stored
//! encrypted beside the database, and the inputs of the gallery's forms.

use crate::ValidationErrors;
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
