//! Lesions with identity: placed once on a patient's body map and
//! followed across visits; each visit adds an observation, and the
//! timeline flags growth and new colours against the visit before.

use kerato_domain::ValidationErrors;
use kerato_domain::consent::{Purpose, Source, is_granted};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LesionId, PatientId, PhotoId};
use kerato_domain::lesions::{
    ChangeFlag, Disposition, LesionStatus, Observation, ObservationInput, SiteInput, change_flags,
};
use kerato_domain::time::Timestamp;
use kerato_store::attachments::AttachmentStore;
pub use kerato_store::lesions::{LesionRow, PhotoRow};
use kerato_store::{
    Tx, consents as consent_store, lesions as store, patients as patient_store, tenancy,
};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// One visit's observation with what changed since the visit before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub n: i64,
    pub at: Timestamp,
    pub observation: Observation,
    pub flags: Vec<ChangeFlag>,
}

fn note_target(caller: &Caller) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: None,
        resource: Resource::ClinicalNote,
    }
}

impl App {
    async fn lesion_in(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        id: LesionId,
    ) -> Result<LesionRow, AppError> {
        store::find_lesion(tx, id)
            .await?
            .filter(|l| l.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("lesion"))
    }

    fn lesion_act(&self, caller: &Caller, action: Action, lesion: &LesionRow) -> Act {
        let mut act = Act::new(action, note_target(caller), "lesion").id(lesion.id);
        act.patient_id = Some(lesion.patient_id.to_string());
        act
    }

    /// Places a new lesion with its first observation.
    pub async fn record_lesion(
        &self,
        caller: &Caller,
        patient: PatientId,
        site: &SiteInput,
        label: &str,
        first: &ObservationInput,
    ) -> Result<LesionRow, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Create, None)
            .await?;
        let mut e = ValidationErrors::new();
        let site = site.validate().map_err(|v| e.errors.extend(v.errors)).ok();
        let observation = first.validate().map_err(|v| e.errors.extend(v.errors)).ok();
        let label = label.trim();
        if label.chars().count() > 100 {
            e.add("label", "at most 100 characters");
        }
        let (Some(site), Some(observation)) = e.into_result((site, observation))? else {
            return Err(ValidationErrors::single("region", "choose the site").into());
        };
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| {
                p.organisation_id == caller.actor.organisation_id && p.merged_into.is_none()
            })
            .ok_or(AppError::NotFound("patient"))?;
        let now = self.now();
        let row = LesionRow {
            id: LesionId::new(now, self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            patient_id: patient,
            region: site.region.as_str().into(),
            laterality: site.laterality.as_str().into(),
            view: site.view.as_str().into(),
            x: i64::from(site.x),
            y: i64::from(site.y),
            label: label.to_string(),
            status: LesionStatus::Active.as_str().into(),
            created_at: now,
            created_by: caller.actor.user_id,
            landmark: site.landmark.map(|l| (l.name, i64::from(l.distance_mm))),
        };
        let data = serde_json::to_string(&observation).map_err(AppError::corrupt)?;
        let mut act = self.lesion_act(caller, Action::Create, &row);
        act.new = Some(data.clone());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_lesion(&mut tx, &row).await?;
        store::add_observation(&mut tx, row.id, &data, caller.actor.user_id, now).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Adds this visit's observation; a "resolved" disposition (the lesion
    /// is gone) closes the lesion. An excision only planned leaves it
    /// active: recording the excision procedure marks it excised. Returns
    /// the change flags against the visit before.
    pub async fn observe_lesion(
        &self,
        caller: &Caller,
        id: LesionId,
        input: &ObservationInput,
    ) -> Result<Vec<ChangeFlag>, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let observation = input.validate()?;
        let mut tx = self.store.write().await?;
        let lesion = self.lesion_in(&mut tx, caller, id).await?;
        if lesion.status != LesionStatus::Active.as_str() {
            return Err(AppError::Conflict(format!(
                "this lesion is {}; record a new lesion if it came back",
                lesion.status
            )));
        }
        let previous = store::observations(&mut tx, id).await?;
        let flags = match previous.last() {
            Some((_, data, _)) => {
                let before: Observation = serde_json::from_str(data).map_err(AppError::corrupt)?;
                change_flags(&before, &observation)
            }
            None => Vec::new(),
        };
        let data = serde_json::to_string(&observation).map_err(AppError::corrupt)?;
        let mut act = self.lesion_act(caller, Action::Update, &lesion);
        act.old = previous.last().map(|(_, d, _)| d.clone());
        act.new = Some(data.clone());
        let mut tx = self.guard(tx, caller, act).await?;
        store::add_observation(&mut tx, id, &data, caller.actor.user_id, self.now()).await?;
        if observation.disposition == Disposition::Resolved {
            store::set_status(&mut tx, id, LesionStatus::Resolved.as_str()).await?;
        }
        tx.commit().await?;
        Ok(flags)
    }

    /// A patient's lesions (the list view and the body map's pins).
    pub async fn lesions_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<LesionRow>, AppError> {
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::ClinicalNote, "lesion")
            .await?;
        let org = caller.actor.organisation_id;
        let lesions = store::lesions_of_patient(&mut tx, patient)
            .await?
            .into_iter()
            .filter(|l| l.organisation_id == org)
            .collect();
        tx.commit().await?;
        Ok(lesions)
    }

    /// A lesion's observations in order, each flagged against the one
    /// before; the read is audited.
    pub async fn lesion_timeline(
        &self,
        caller: &Caller,
        id: LesionId,
    ) -> Result<(LesionRow, Vec<TimelineEntry>), AppError> {
        self.require(caller, Resource::ClinicalNote, Action::View, None)
            .await?;
        let mut tx = self.store.write().await?;
        let lesion = self.lesion_in(&mut tx, caller, id).await?;
        let act = self.lesion_act(caller, Action::View, &lesion);
        let mut tx = self.guard(tx, caller, act).await?;
        let mut entries: Vec<TimelineEntry> = Vec::new();
        for (n, data, at) in store::observations(&mut tx, id).await? {
            let observation: Observation =
                serde_json::from_str(&data).map_err(AppError::corrupt)?;
            let flags = entries
                .last()
                .map(|prev| change_flags(&prev.observation, &observation))
                .unwrap_or_default();
            entries.push(TimelineEntry {
                n,
                at,
                observation,
                flags,
            });
        }
        tx.commit().await?;
        Ok((lesion, entries))
    }
}

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
        lesion: Option<LesionId>,
        bytes: &[u8],
        consent_given_now: bool,
    ) -> Result<PhotoRow, AppError> {
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
        let row = PhotoRow {
            id: PhotoId::new(now, self.random_id_bits()),
            organisation_id: org,
            patient_id: patient,
            lesion_id: lesion,
            media_type: kind.media_type().into(),
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
    ) -> Result<PhotoRow, AppError> {
        self.require(caller, Resource::ClinicalPhoto, action, None)
            .await?;
        let mut tx = self.store.write().await?;
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
    ) -> Result<(PhotoRow, Vec<u8>), AppError> {
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
        let mut tx = self.store.write().await?;
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
    ) -> Result<Vec<PhotoRow>, AppError> {
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
