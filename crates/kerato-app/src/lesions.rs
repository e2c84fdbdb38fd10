//! Lesions with identity: placed once on a patient's body map and
//! followed across visits; each visit adds an observation, and the
//! timeline flags growth and new colours against the visit before.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LesionId, PatientId};
use kerato_domain::lesion::{
    ChangeFlag, Disposition, LesionStatus, Observation, ObservationInput, SiteInput, change_flags,
};
use kerato_domain::time::Timestamp;
pub use kerato_store::lesions::LesionRow;
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

fn corrupt(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(kerato_store::StoreError::Corrupt(e.to_string()))
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
        let data = serde_json::to_string(&observation).map_err(corrupt)?;
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
                let before: Observation = serde_json::from_str(data).map_err(corrupt)?;
                change_flags(&before, &observation)
            }
            None => Vec::new(),
        };
        let data = serde_json::to_string(&observation).map_err(corrupt)?;
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
            let observation: Observation = serde_json::from_str(&data).map_err(corrupt)?;
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
