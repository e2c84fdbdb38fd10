//! The consent registry, clinic side: a patient's answers per purpose,
//! recorded by staff (or from a signed form) and read before every use
//! that needs one, such as taking a clinical photo or exporting it for
//! teaching.

use kerato_domain::consent::{ConsentEntry, ConsentInput, Purpose, Source, next_instant};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{ConsentId, PatientId};
use kerato_store::consents::{self as store, ConsentRow};
use kerato_store::{Tx, patients as patient_store};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// One answer in a patient's history, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentLine {
    pub entry: ConsentEntry,
    pub recorded_by: Option<String>,
}

fn entry_of(row: &ConsentRow) -> Result<ConsentEntry, AppError> {
    Ok(ConsentEntry {
        purpose: row.purpose.parse().map_err(AppError::corrupt)?,
        granted: row.granted,
        source: row.source.parse().map_err(AppError::corrupt)?,
        policy_version: row.policy_version.clone(),
        at: row.recorded_at,
    })
}

fn consent_target(caller: &Caller) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: None,
        resource: Resource::Patient,
    }
}

impl App {
    /// A patient's consent history inside a transaction, oldest first.
    pub(crate) async fn consent_history(
        &self,
        tx: &mut Tx,
        patient: PatientId,
    ) -> Result<Vec<ConsentEntry>, AppError> {
        store::consents_of_patient(tx, &patient.to_string())
            .await?
            .iter()
            .map(entry_of)
            .collect()
    }

    /// A new answer for the patient's history, recorded after every
    /// earlier answer for the purpose in `history`.
    pub(crate) fn consent_row(
        &self,
        caller: &Caller,
        patient: PatientId,
        history: &[ConsentEntry],
        answer: (Purpose, bool, Source),
    ) -> ConsentRow {
        let (purpose, granted, source) = answer;
        let now = next_instant(history, purpose, self.now());
        ConsentRow {
            id: ConsentId::new(now, self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            subject_kind: "patient".into(),
            subject_id: patient.to_string(),
            purpose: purpose.as_str().into(),
            granted,
            source: source.as_str().into(),
            policy_version: None,
            recorded_at: now,
            recorded_by: Some(caller.actor.user_id),
        }
    }

    /// Records a patient's answer for one purpose. The history only grows:
    /// a withdrawal is a new "no", and the old "yes" stays as evidence of
    /// what was agreed when.
    pub async fn record_consent(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: &ConsentInput,
    ) -> Result<(), AppError> {
        let ConsentInput {
            purpose,
            granted,
            source,
        } = *input;
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("patient"))?;
        let history = self.consent_history(&mut tx, patient).await?;
        let row = self.consent_row(caller, patient, &history, (purpose, granted, source));
        let mut act = Act::new(Action::Update, consent_target(caller), "consent")
            .id(row.id)
            .new_value(&serde_json::json!({
                "purpose": purpose.as_str(),
                "granted": granted,
                "source": source.as_str(),
            }));
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_consent(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A patient's consent history, oldest first, with who recorded each
    /// answer. Reading it is audited like any read of the chart.
    pub async fn consents_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<ConsentLine>, AppError> {
        let rows = self
            .read_of_patient(
                caller,
                patient,
                (Resource::Patient, Action::View, "consent"),
                async |tx| Ok(store::consents_of_patient(tx, &patient.to_string()).await?),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ConsentLine {
                    entry: entry_of(r)?,
                    recorded_by: r.recorded_by.map(|u| u.to_string()),
                })
            })
            .collect()
    }
}
