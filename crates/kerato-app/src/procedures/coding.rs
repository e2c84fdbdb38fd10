//! The charge proposal: the coding engine rewrites a patient's service
//! date from its procedures, its separately identifiable E/M and the
//! modifier the patient's payer wants; the practice sets each payer's
//! choice between 59 and XS.

use jiff::civil::Date;
use kerato_domain::biopsies::{Biopsy, Diagnosis};
use kerato_domain::coverage::CoverageKind;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::procedures::coding::{PayerCodingSettings, code_session, normalise_payer};
use kerato_domain::procedures::note::{ExcisionBehaviour, ProcedureRecord, session_from_records};
use kerato_domain::procedures::{ChargeProposalLine, PayerModifier, PayerModifierSetting, VisitEm};
use kerato_store::{
    Tx, biopsies as biopsy_store, coverage as coverage_store, patients as patient_store,
    procedures as store,
};

use super::note_target;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// How an excision is coded once pathology has spoken: a pending
/// excision takes its behaviour from its specimen's result, so the held
/// line is released when the report arrives.
fn behaviour_from(specimen: &Biopsy) -> ExcisionBehaviour {
    match specimen.timeline.result.as_ref().map(|r| r.diagnosis) {
        Some(Diagnosis::Malignant) => ExcisionBehaviour::Malignant,
        // An atypical (dysplastic) naevus is coded as benign.
        Some(Diagnosis::Benign | Diagnosis::Atypical) => ExcisionBehaviour::Benign,
        Some(Diagnosis::Nondiagnostic) | None => ExcisionBehaviour::Pending,
    }
}

impl App {
    /// Rewrites the charge proposal of a patient's service date from that
    /// day's procedures and its separately identifiable E/M, with each
    /// pending excision coded by its specimen's result if it has one, and
    /// the distinct-procedure modifier the patient's medical payer wants.
    pub(crate) async fn recode(
        &self,
        tx: &mut Tx,
        organisation: OrganisationId,
        patient: PatientId,
        service_date: Date,
    ) -> Result<(), AppError> {
        let mut records = Vec::new();
        for row in store::procedures_of_patient(tx, patient).await? {
            if row.service_date != service_date {
                continue;
            }
            let mut record = row.record;
            if let (ProcedureRecord::Excision(x), Some(b)) = (&mut record, row.biopsy_id)
                && x.behaviour == ExcisionBehaviour::Pending
                && let Some(specimen) = biopsy_store::find_biopsy(tx, b).await?
            {
                x.behaviour = behaviour_from(&specimen);
            }
            records.push(record);
        }
        let em = store::visit_em(tx, patient, service_date).await?;
        let session = session_from_records(&records, em)
            .map_err(|e| AppError::corrupt(format!("stored procedures do not validate: {e}")))?;
        let payer = self
            .payer_settings(tx, organisation, patient, service_date)
            .await?;
        let lines = code_session(&session, &payer)
            .map_err(|e| AppError::corrupt(format!("stored procedures do not code: {e}")))?;
        let rows: Vec<ChargeProposalLine> = lines
            .iter()
            .zip(1..)
            .map(|(l, n)| ChargeProposalLine {
                n,
                code: l.code.to_string(),
                units: i64::from(l.units),
                modifiers: l.modifiers.iter().map(ToString::to_string).collect(),
                rationale: l.rationale.clone(),
                hold: l.hold.clone(),
            })
            .collect();
        store::replace_charge_proposals(tx, organisation, patient, service_date, &rows, self.now())
            .await?;
        Ok(())
    }

    /// The coding settings of the patient's primary medical payer on the
    /// service date, or the defaults when the patient has none or the
    /// practice has not set that payer.
    async fn payer_settings(
        &self,
        tx: &mut Tx,
        organisation: OrganisationId,
        patient: PatientId,
        day: Date,
    ) -> Result<PayerCodingSettings, AppError> {
        let primary = coverage_store::coverages_of(tx, organisation, patient)
            .await?
            .into_iter()
            .filter(|c| c.kind == CoverageKind::Medical)
            .filter(|c| c.effective_from <= day && c.effective_to.is_none_or(|to| day <= to))
            .min_by_key(|c| c.priority);
        let Some(primary) = primary else {
            return Ok(PayerCodingSettings::default());
        };
        let name = normalise_payer(&primary.payer);
        let chosen = store::payer_modifiers(tx, organisation)
            .await?
            .into_iter()
            .find(|p| p.payer == name)
            .map(|p| p.modifier);
        Ok(PayerCodingSettings {
            distinct_modifier: chosen.unwrap_or_default(),
        })
    }

    /// After a specimen's result is recorded: recodes the day of the
    /// excision it came from, which releases or keeps its held line.
    pub(crate) async fn recode_after_result(
        &self,
        tx: &mut Tx,
        specimen: &Biopsy,
    ) -> Result<(), AppError> {
        if let Some(p) = store::procedure_of_specimen(tx, specimen.id).await? {
            self.recode(tx, p.organisation_id, p.patient_id, p.service_date)
                .await?;
        }
        Ok(())
    }

    /// The charge proposal of a patient's service date, for billing and
    /// the clinician; reading it is audited.
    pub async fn charge_proposal(
        &self,
        caller: &Caller,
        patient: PatientId,
        service_date: Date,
    ) -> Result<Vec<ChargeProposalLine>, AppError> {
        self.read_of_patient(
            caller,
            patient,
            (Resource::Billing, Action::View, "charge proposal"),
            async |tx| Ok(store::charge_proposals(tx, patient, service_date).await?),
        )
        .await
    }
}

impl App {
    /// Records (or, with `None`, clears) the E/M of a patient's visit day
    /// that the note supports as separate from its procedures; the day's
    /// charge proposal is recoded with it (modifier 25).
    pub async fn set_visit_em(
        &self,
        caller: &Caller,
        patient: PatientId,
        visit: &VisitEm,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let VisitEm { date, em } = *visit;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org)
            .ok_or(AppError::NotFound("patient"))?;
        let mut act = Act::new(Action::Update, note_target(caller, None), "visit E/M").new_value(
            &serde_json::json!({ "date": date.to_string(), "em": em.map(|e| e.code()) }),
        );
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_visit_em(
            &mut tx,
            org,
            patient,
            date,
            em,
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        self.recode(&mut tx, org, patient, date).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets which distinct-procedure modifier a payer wants, 59 or XS.
    pub async fn set_payer_modifier(
        &self,
        caller: &Caller,
        setting: &PayerModifierSetting,
    ) -> Result<(), AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Update,
                Resource::Organisation,
                "payer coding settings",
            )
            .await?;
        store::set_payer_modifier(
            &mut tx,
            caller.actor.organisation_id,
            &PayerModifier {
                payer: setting.payer.clone(),
                modifier: setting.modifier,
            },
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The payers' modifier choices, by payer.
    pub async fn payer_modifiers(&self, caller: &Caller) -> Result<Vec<PayerModifier>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::View,
                Resource::Organisation,
                "payer coding settings",
            )
            .await?;
        let rows = store::payer_modifiers(&mut tx, caller.actor.organisation_id).await?;
        tx.commit().await?;
        Ok(rows)
    }
}
