//! A patient's amendments (45 CFR 164.526): the decisions on correction
//! requests and the statements of disagreement that answer a denial.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{PatientId, RecordAmendmentId, RightsRequestId};
use kerato_domain::rights::{Amendment, AmendmentDecision, DisagreementInput};
use kerato_store::rights as store;

use super::target;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

impl App {
    /// A new entry of the patient's amendments, recorded now by the caller.
    pub(super) fn amendment(
        &self,
        caller: &Caller,
        (patient, request): (PatientId, Option<RightsRequestId>),
        decision: AmendmentDecision,
        body: String,
        reason: Option<String>,
    ) -> Amendment {
        let now = self.now();
        Amendment {
            id: RecordAmendmentId::new(now, self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            patient_id: patient,
            request_id: request,
            decision,
            body,
            reason,
            recorded_by: caller.actor.user_id,
            recorded_at: now,
        }
    }

    /// Attaches the patient's statement of disagreement to their record
    /// after a denied amendment (45 CFR 164.526(d)): it goes with the
    /// record wherever the denied part goes.
    pub async fn attach_disagreement(
        &self,
        caller: &Caller,
        request: RightsRequestId,
        input: &DisagreementInput,
    ) -> Result<Amendment, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let found = store::find_request(&mut tx, request)
            .await?
            .filter(|r| r.organisation_id == org)
            .ok_or(AppError::NotFound("privacy request"))?;
        let (Some(patient), true) = (found.patient_id, found.is_denied_amendment()) else {
            return Err(ValidationErrors::single(
                "statement",
                "a statement of disagreement answers a denied amendment request",
            )
            .into());
        };
        let amendment = self.amendment(
            caller,
            (patient, Some(request)),
            AmendmentDecision::Disagreement,
            input.statement.clone(),
            None,
        );
        let mut act =
            Act::new(Action::Update, target(org), "statement of disagreement").id(request);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_amendment(&mut tx, &amendment).await?;
        tx.commit().await?;
        Ok(amendment)
    }

    /// A patient's amendments, denials and statements of disagreement,
    /// oldest first, shown with the chart.
    pub async fn amendments_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<Amendment>, AppError> {
        self.read_of_patient(
            caller,
            patient,
            (Resource::Patient, Action::View, "record amendments"),
            async |tx| Ok(store::amendments_of(tx, patient).await?),
        )
        .await
    }
}
