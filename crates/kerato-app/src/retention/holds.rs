//! The privacy officer's legal holds: placed on one chart or the whole
//! practice, for one class or all, from today in the practice's zone, and
//! released from today; the retention job skips what a standing hold
//! covers.

use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LegalHoldId, OrganisationId, PatientId};
use kerato_domain::retention::{DataClass, Hold, HoldInput, LegalHold};
use kerato_store::retention as store;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

impl App {
    /// Places a legal hold on one patient's records, or the practice's
    /// when the input names no chart, for one class or all; it applies
    /// from today in the practice's zone.
    pub async fn place_legal_hold(
        &self,
        caller: &Caller,
        input: &HoldInput,
    ) -> Result<Hold, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        if let Some(patient) = input.patient {
            kerato_store::patients::find_patient(&mut tx, patient)
                .await?
                .filter(|p| p.organisation_id == org)
                .ok_or(AppError::NotFound("patient"))?;
        }
        let hold = Hold {
            id: LegalHoldId::new(self.now(), self.random_id_bits()),
            organisation_id: org,
            patient_id: input.patient,
            data_class: input.class,
            reason: input.reason.clone(),
            placed_on: self.today_at_practice(&mut tx, org).await?,
            released_on: None,
            placed_by: caller.actor.user_id,
        };
        let act = self
            .hold_act(caller, Action::Create, &hold)
            .new_value(&serde_json::json!({
                "data_class": hold.data_class.map(DataClass::as_str),
                "placed_on": hold.placed_on.to_string(),
            }));
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_hold(&mut tx, &hold).await?;
        tx.commit().await?;
        Ok(hold)
    }

    /// Releases a standing hold from today; what it kept falls due again
    /// at the job's next run.
    pub async fn release_legal_hold(
        &self,
        caller: &Caller,
        id: LegalHoldId,
    ) -> Result<Hold, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let mut hold = store::holds(&mut tx, org)
            .await?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or(AppError::NotFound("legal hold"))?;
        let today = self.today_at_practice(&mut tx, org).await?;
        let act = self
            .hold_act(caller, Action::Update, &hold)
            .old(&hold.released_on.map(|d| d.to_string()));
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::release_hold(&mut tx, org, id, today).await? {
            return Err(AppError::Conflict("this hold was released already".into()));
        }
        tx.commit().await?;
        hold.released_on = Some(today);
        Ok(hold)
    }

    /// Every hold of the practice, standing or released, oldest first.
    pub async fn legal_holds(&self, caller: &Caller) -> Result<Vec<Hold>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::PrivacyRequest,
                "legal hold",
            )
            .await?;
        let holds = store::holds(&mut tx, caller.actor.organisation_id).await?;
        tx.commit().await?;
        Ok(holds)
    }

    fn hold_act(&self, caller: &Caller, action: Action, hold: &Hold) -> Act {
        let target = Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource: Resource::PrivacyRequest,
        };
        let mut act = Act::new(action, target, "legal hold").id(hold.id);
        act.patient_id = hold.patient_id.map(|p| p.to_string());
        act
    }
}

/// The holds that cover one patient's records: the patient's own and the
/// practice-wide ones.
pub(crate) async fn holds_covering(
    tx: &mut kerato_store::Tx,
    organisation: OrganisationId,
    patient: PatientId,
) -> Result<Vec<LegalHold>, AppError> {
    Ok(store::holds(tx, organisation)
        .await?
        .iter()
        .filter(|h| h.patient_id.is_none_or(|p| p == patient))
        .map(Hold::rule)
        .collect())
}
