//! Clinical photos: uploaded with their metadata stripped, stored
//! encrypted with a thumbnail, every view and export audited.

use kerato_domain::ValidationErrors;
use kerato_domain::consent::{Purpose, Source, is_granted};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{PatientId, PhotoId};
use kerato_domain::lesions::{Photo, PhotoMediaType, PhotoUpload};
use kerato_formats::photo::PhotoKind;
use kerato_store::attachments::AttachmentStore;
use kerato_store::{
    consents as consent_store, lesions as store, patients as patient_store, tenancy,
};

use super::note_target;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// Which rendition of a photo to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoSize {
    Full,
    Thumbnail,
}

/// The longest edge of a thumbnail, in pixels: big enough for a timeline
/// column, small enough that a page of them loads at once.
pub const THUMBNAIL_EDGE: u32 = 320;

/// The largest photo accepted, before metadata is stripped.
pub use kerato_formats::photo::MAX_PHOTO_BYTES;

pub(crate) fn thumbnail_name(id: PhotoId) -> String {
    format!("{id}-thumb")
}

/// Removes photos' files and thumbnails once their rows are gone for
/// good. A file left behind is unreadable without its row, so a failure is
/// logged by file name (a photo ID, which names no patient) and the caller
/// goes on.
pub(crate) fn remove_photo_files(files: &AttachmentStore, photos: &[PhotoId]) {
    for id in photos {
        for name in [id.to_string(), thumbnail_name(*id)] {
            if let Err(e) = files.delete(&name) {
                tracing::warn!(file = %name, error = %e, "a deleted photo's file was not removed");
            }
        }
    }
}

/// The purposes a photo can be exported for, each needing the patient's
/// consent for that purpose.
fn export_purpose_words(purpose: Purpose) -> Result<&'static str, AppError> {
    match purpose {
        Purpose::PhotoTeaching => Ok("for teaching use only"),
        Purpose::PhotoMarketing => Ok("for marketing use"),
        other => Err(ValidationErrors::single(
            "purpose",
            format!(
                "photos are exported for teaching or marketing, not for {:?}",
                other.label()
            ),
        )
        .into()),
    }
}

impl App {
    pub(crate) fn photo_files(&self) -> Result<std::sync::Arc<AttachmentStore>, AppError> {
        self.attachments.clone().ok_or_else(|| {
            AppError::NotReady(
                "photos are stored encrypted with the data directory's key, which this server was not given".into(),
            )
        })
    }

    /// Stores a clinical photo of a patient (of one lesion, optionally):
    /// only JPEG or PNG, every piece of metadata (EXIF and its GPS
    /// position, comments, text) stripped first, then encrypted with a key
    /// of its own, with a thumbnail beside it. The patient must have
    /// consented to clinical photographs; `consent_given_now` records that
    /// consent in the same transaction when staff have just obtained it.
    /// The upload is audited.
    pub async fn upload_photo(
        &self,
        caller: &Caller,
        patient: PatientId,
        upload: &PhotoUpload,
        bytes: &[u8],
    ) -> Result<Photo, AppError> {
        let PhotoUpload {
            lesion,
            consent_given_now,
        } = *upload;
        self.require(caller, Resource::ClinicalPhoto, Action::Create, None)
            .await?;
        let files = self.photo_files()?;
        let (kind, clean) = kerato_formats::photo::strip_metadata(bytes)
            .map_err(|e| ValidationErrors::single("photo", e.to_string()))?;
        let thumb = kerato_formats::photo::thumbnail(&clean, THUMBNAIL_EDGE)
            .map_err(|e| ValidationErrors::single("photo", e.to_string()))?;
        let mut tx = self.store.write().await?;
        let org = caller.actor.organisation_id;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org && p.merged_into.is_none())
            .ok_or(AppError::NotFound("patient"))?;
        if let Some(l) = lesion
            && self.lesion_in(&mut tx, caller, l).await?.patient_id != patient
        {
            return Err(
                ValidationErrors::single("lesion_id", "that lesion is another patient's").into(),
            );
        }
        let history = self.consent_history(&mut tx, patient).await?;
        let consented = is_granted(&history, Purpose::ClinicalPhotography);
        if !consented && !consent_given_now {
            return Err(ValidationErrors::single(
                "consent",
                "the patient has not consented to clinical photographs: ask them, and tick the consent box if they agree",
            )
            .into());
        }
        let now = self.now();
        let row = Photo {
            id: PhotoId::new(now, self.random_id_bits()),
            organisation_id: org,
            patient_id: patient,
            lesion_id: lesion,
            media_type: match kind {
                PhotoKind::Jpeg => PhotoMediaType::Jpeg,
                PhotoKind::Png => PhotoMediaType::Png,
            },
            bytes: i64::try_from(clean.len()).unwrap_or(i64::MAX),
            taken_at: now,
            uploaded_by: caller.actor.user_id,
        };
        let mut act = Act::new(Action::Create, photo_target(caller), "clinical photo").id(row.id);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        if !consented {
            let consent = self.consent_row(
                caller,
                patient,
                &history,
                (Purpose::ClinicalPhotography, true, Source::Staff),
            );
            consent_store::insert_consent(&mut tx, &consent).await?;
        }
        store::insert_photo(&mut tx, &row).await?;
        let names = [row.id.to_string(), thumbnail_name(row.id)];
        let written = files
            .put(&names[0], &clean)
            .and_then(|()| files.put(&names[1], &thumb));
        // A file without its row would be unreachable and undeletable by
        // retention; remove the files if the row does not commit.
        let committed = match written {
            Ok(()) => tx.commit().await.map_err(AppError::from),
            Err(e) => Err(AppError::NotReady(e.to_string())),
        };
        if let Err(e) = committed {
            for name in &names {
                let _ = files.delete(name);
            }
            return Err(e);
        }
        Ok(row)
    }

    /// Finds a photo of the caller's organisation and audits `action` on it
    /// in the same transaction, which commits before any bytes are read.
    async fn photo_access(
        &self,
        caller: &Caller,
        id: PhotoId,
        action: Action,
        category: &'static str,
    ) -> Result<Photo, AppError> {
        self.require(caller, Resource::ClinicalPhoto, action, None)
            .await?;
        let mut tx = self.store.read().await?;
        let row = store::find_photo(&mut tx, id)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("photo"))?;
        let mut act = Act::new(action, photo_target(caller), category).id(id);
        act.patient_id = Some(row.patient_id.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A photo's bytes, to show; every view (thumbnails too) is audited,
    /// and roles without access to clinical photos (billing, the front
    /// desk) are refused.
    pub async fn view_photo(
        &self,
        caller: &Caller,
        id: PhotoId,
        size: PhotoSize,
    ) -> Result<(Photo, Vec<u8>), AppError> {
        let files = self.photo_files()?;
        let category = match size {
            PhotoSize::Full => "clinical photo",
            PhotoSize::Thumbnail => "clinical photo thumbnail",
        };
        let row = self
            .photo_access(caller, id, Action::View, category)
            .await?;
        let bytes = match size {
            PhotoSize::Full => files.get(&id.to_string()),
            PhotoSize::Thumbnail => files.get(&thumbnail_name(id)),
        }
        .map_err(|e| AppError::NotReady(e.to_string()))?;
        Ok((row, bytes))
    }

    /// A photo exported for teaching or marketing: only with the patient's
    /// consent for that purpose, watermarked with the practice, the purpose,
    /// the date and who exported it (never the patient), as a JPEG without
    /// metadata. The export is audited with its purpose.
    pub async fn export_photo(
        &self,
        caller: &Caller,
        id: PhotoId,
        purpose: Purpose,
    ) -> Result<Vec<u8>, AppError> {
        let words = export_purpose_words(purpose)?;
        let files = self.photo_files()?;
        self.require(caller, Resource::ClinicalPhoto, Action::Export, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.read().await?;
        let row = store::find_photo(&mut tx, id)
            .await?
            .filter(|p| p.organisation_id == org)
            .ok_or(AppError::NotFound("photo"))?;
        let history = self.consent_history(&mut tx, row.patient_id).await?;
        if !is_granted(&history, purpose) {
            return Err(ValidationErrors::single(
                "purpose",
                format!(
                    "the patient has not consented to: {}; record their consent on the chart before exporting",
                    purpose.label().to_lowercase()
                ),
            )
            .into());
        }
        let practice = tenancy::get_organisation(&mut tx, org)
            .await?
            .ok_or(AppError::NotFound("organisation"))?
            .name;
        let category = match purpose {
            Purpose::PhotoMarketing => "clinical photo export for marketing",
            _ => "clinical photo export for teaching",
        };
        let mut act = Act::new(Action::Export, photo_target(caller), category).id(id);
        act.patient_id = Some(row.patient_id.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        let bytes = files
            .get(&id.to_string())
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        let date = self
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let lines = [
            format!("{practice} - {words}"),
            format!("Exported {date} by {} - photo {id}", caller.display_name),
        ];
        kerato_formats::photo::watermark(&bytes, &lines)
            .map_err(|e| ValidationErrors::single("photo", e.to_string()).into())
    }

    /// A patient's photos, newest first; listing them is audited as a
    /// query of the patient's photos.
    pub async fn photos_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<Photo>, AppError> {
        self.read_of_patient(
            caller,
            patient,
            (Resource::ClinicalPhoto, Action::Query, "clinical photo"),
            async |tx| Ok(store::photos_of_patient(tx, patient).await?),
        )
        .await
    }
}

fn photo_target(caller: &Caller) -> Target {
    Target {
        resource: Resource::ClinicalPhoto,
        ..note_target(caller)
    }
}
