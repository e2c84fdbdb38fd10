//! Lesions with identity: placed once on a patient's body map and
//! followed across visits; each visit adds an observation, and the
//! timeline flags growth and new colours against the visit before.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LesionId, PatientId, PhotoId};
use kerato_domain::lesion::{
    ChangeFlag, Disposition, LesionStatus, Observation, ObservationInput, SiteInput, change_flags,
};
use kerato_domain::time::Timestamp;
pub use kerato_store::lesions::{LesionRow, PhotoRow};
use kerato_store::{Tx, lesions as store, patients as patient_store};

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

    /// Adds this visit's observation; an excision disposition marks the
    /// lesion excised. Returns the change flags against the visit before.
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
        if observation.disposition == Disposition::Excise {
            store::set_status(&mut tx, id, LesionStatus::Excised.as_str()).await?;
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

impl App {
    /// Stores a clinical photo of a patient (of one lesion, optionally):
    /// only JPEG or PNG, every piece of metadata (EXIF and its GPS
    /// position, comments, text) stripped first, then encrypted with a key
    /// of its own. The upload is audited.
    pub async fn upload_photo(
        &self,
        caller: &Caller,
        patient: PatientId,
        lesion: Option<LesionId>,
        bytes: &[u8],
    ) -> Result<PhotoRow, AppError> {
        self.require(caller, Resource::ClinicalPhoto, Action::Create, None)
            .await?;
        let files = self.attachments.clone().ok_or_else(|| {
            AppError::NotReady(
                "photos are stored encrypted with the data directory's key, which this server was not given".into(),
            )
        })?;
        let (kind, clean) = kerato_formats::photo::strip_metadata(bytes)
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
        store::insert_photo(&mut tx, &row).await?;
        let name = row.id.to_string();
        files
            .put(&name, &clean)
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        // A file without its row would be unreachable and undeletable by
        // retention; remove it if the row does not commit.
        if let Err(e) = tx.commit().await {
            let _ = files.delete(&name);
            return Err(e.into());
        }
        Ok(row)
    }

    /// A photo's bytes, to show; every view is audited, and roles without
    /// access to clinical photos (billing, the front desk) are refused.
    pub async fn view_photo(
        &self,
        caller: &Caller,
        id: PhotoId,
    ) -> Result<(PhotoRow, Vec<u8>), AppError> {
        self.require(caller, Resource::ClinicalPhoto, Action::View, None)
            .await?;
        let files = self
            .attachments
            .clone()
            .ok_or_else(|| AppError::NotReady("photos are not available on this server".into()))?;
        let mut tx = self.store.write().await?;
        let row = store::find_photo(&mut tx, id)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("photo"))?;
        let mut act = Act::new(Action::View, photo_target(caller), "clinical photo").id(id);
        act.patient_id = Some(row.patient_id.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        let bytes = files
            .get(&id.to_string())
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        Ok((row, bytes))
    }
}

fn photo_target(caller: &Caller) -> Target {
    Target {
        resource: Resource::ClinicalPhoto,
        ..note_target(caller)
    }
}
