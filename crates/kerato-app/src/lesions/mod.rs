//! Lesions with identity: placed once on a patient's body map and
//! followed across visits; each visit adds an observation, and the
//! timeline flags growth and new colours against the visit before.

use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LesionId, PatientId};
use kerato_domain::lesions::{
    ChangeFlag, Disposition, Lesion, LesionStatus, NewLesion, Observation, TimelineEntry,
    change_flags, timeline,
};
use kerato_store::{Tx, lesions as store, patients as patient_store};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

mod photos;

pub use photos::{MAX_PHOTO_BYTES, PhotoSize, THUMBNAIL_EDGE};
pub(crate) use photos::{remove_photo_files, thumbnail_name};

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
    ) -> Result<Lesion, AppError> {
        store::find_lesion(tx, id)
            .await?
            .filter(|l| l.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("lesion"))
    }

    fn lesion_act(&self, caller: &Caller, action: Action, lesion: &Lesion) -> Act {
        let mut act = Act::new(action, note_target(caller), "lesion").id(lesion.id);
        act.patient_id = Some(lesion.patient_id.to_string());
        act
    }

    /// Places a new lesion with its first observation.
    pub async fn record_lesion(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: &NewLesion,
    ) -> Result<Lesion, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Create, None)
            .await?;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| {
                p.organisation_id == caller.actor.organisation_id && p.merged_into.is_none()
            })
            .ok_or(AppError::NotFound("patient"))?;
        let now = self.now();
        let lesion = Lesion {
            id: LesionId::new(now, self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            patient_id: patient,
            site: input.site.clone(),
            label: input.label.clone(),
            status: LesionStatus::Active,
            created_at: now,
            created_by: caller.actor.user_id,
        };
        let mut act = self.lesion_act(caller, Action::Create, &lesion);
        act.new = Some(serde_json::to_string(&input.first).map_err(AppError::corrupt)?);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_lesion(&mut tx, &lesion).await?;
        store::add_observation(&mut tx, lesion.id, &input.first, caller.actor.user_id, now).await?;
        tx.commit().await?;
        Ok(lesion)
    }

    /// Adds this visit's observation; a "resolved" disposition (the lesion
    /// is gone) closes the lesion. An excision only planned leaves it
    /// active: recording the excision procedure marks it excised. Returns
    /// the change flags against the visit before.
    pub async fn observe_lesion(
        &self,
        caller: &Caller,
        id: LesionId,
        observation: &Observation,
    ) -> Result<Vec<ChangeFlag>, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let lesion = self.lesion_in(&mut tx, caller, id).await?;
        if lesion.status != LesionStatus::Active {
            return Err(AppError::Conflict(format!(
                "this lesion is {}; record a new lesion if it came back",
                lesion.status
            )));
        }
        let previous = store::observations(&mut tx, id).await?.pop();
        let flags = previous
            .as_ref()
            .map(|before| change_flags(&before.observation, observation))
            .unwrap_or_default();
        let mut act = self.lesion_act(caller, Action::Update, &lesion);
        act.old = previous
            .map(|p| serde_json::to_string(&p.observation))
            .transpose()
            .map_err(AppError::corrupt)?;
        act.new = Some(serde_json::to_string(observation).map_err(AppError::corrupt)?);
        let mut tx = self.guard(tx, caller, act).await?;
        store::add_observation(&mut tx, id, observation, caller.actor.user_id, self.now()).await?;
        if observation.disposition == Disposition::Resolved {
            store::set_status(&mut tx, id, LesionStatus::Resolved).await?;
        }
        tx.commit().await?;
        Ok(flags)
    }

    /// A patient's lesions (the list view and the body map's pins).
    pub async fn lesions_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<Lesion>, AppError> {
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
    ) -> Result<(Lesion, Vec<TimelineEntry>), AppError> {
        self.require(caller, Resource::ClinicalNote, Action::View, None)
            .await?;
        let mut tx = self.store.read().await?;
        let lesion = self.lesion_in(&mut tx, caller, id).await?;
        let act = self.lesion_act(caller, Action::View, &lesion);
        let mut tx = self.guard(tx, caller, act).await?;
        let entries = timeline(store::observations(&mut tx, id).await?);
        tx.commit().await?;
        Ok((lesion, entries))
    }
}
