//! An issued prescription: reading it, the patient's confirmation of
//! receipt, their consent to digital delivery, and the printable copy.

use kerato_domain::eye::ftc;
use kerato_domain::eye::prescription::{
    CONFIRMATION_STATEMENT, Confirmation, ConfirmationInput, ConfirmationOutcome,
    DigitalConsentInput, Prescription, Release, RxTable,
};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{PatientId, PrescriptionId};
use kerato_store::{eye as store, patients as patient_store, tenancy};

use super::clinical;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

impl App {
    /// A prescription with its releases and confirmation; the read is
    /// audited.
    pub async fn prescription(
        &self,
        caller: &Caller,
        id: PrescriptionId,
    ) -> Result<(Prescription, Vec<Release>, Option<Confirmation>), AppError> {
        self.require(caller, Resource::Prescription, Action::View, None)
            .await?;
        let mut tx = self.store.read().await?;
        let rx = self.prescription_in(&mut tx, caller, id).await?;
        let act = self.rx_act(caller, Action::View, &rx, "prescription");
        let mut tx = self.guard(tx, caller, act).await?;
        let releases = store::releases(&mut tx, id).await?;
        let confirmation = store::confirmation(&mut tx, id).await?;
        tx.commit().await?;
        Ok((rx, releases, confirmation))
    }

    /// Records the patient's signed confirmation of receipt (with the name
    /// they signed) or their refusal to sign (noted and signed by the
    /// staff member), kept three years.
    pub async fn record_rx_confirmation(
        &self,
        caller: &Caller,
        id: PrescriptionId,
        input: &ConfirmationInput,
    ) -> Result<Confirmation, AppError> {
        self.require(caller, Resource::Prescription, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let rx = self.prescription_in(&mut tx, caller, id).await?;
        let today = self
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let confirmation = Confirmation {
            prescription_id: id,
            organisation_id: rx.organisation_id,
            outcome: input.outcome,
            signer_name: match input.outcome {
                ConfirmationOutcome::Refused => {
                    format!("refused; noted by {}", caller.display_name)
                }
                ConfirmationOutcome::Signed => input.signer_name.clone(),
            },
            recorded_at: self.now(),
            recorded_by: caller.actor.user_id,
            keep_until: ftc::confirmation_deletable_after(today),
        };
        let mut act = self.rx_act(caller, Action::Update, &rx, "prescription confirmation");
        act.new = Some(format!("{{\"outcome\":\"{}\"}}", input.outcome));
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::insert_confirmation(&mut tx, &confirmation).await? {
            return Err(AppError::Conflict(
                "this prescription's confirmation is already recorded".into(),
            ));
        }
        tx.commit().await?;
        Ok(confirmation)
    }

    /// Records that the patient consents to receive prescriptions
    /// digitally, on the channel chosen (e-mail, the one offered now).
    pub async fn record_rx_digital_consent(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: &DigitalConsentInput,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let org = caller.actor.organisation_id;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org)
            .ok_or(AppError::NotFound("patient"))?;
        let mut act = Act::new(
            Action::Update,
            clinical(caller, None, Resource::Patient),
            "digital prescription consent",
        )
        .id(patient);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_digital_consent(
            &mut tx,
            patient,
            input.channel,
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The prescription as a PDF to print or send; audited as a print.
    pub async fn prescription_pdf(
        &self,
        caller: &Caller,
        id: PrescriptionId,
    ) -> Result<Vec<u8>, AppError> {
        use kerato_formats::rx_pdf::{RxPdf, RxPdfRow, render};
        self.require(caller, Resource::Prescription, Action::Print, None)
            .await?;
        let mut tx = self.store.read().await?;
        let rx = self.prescription_in(&mut tx, caller, id).await?;
        let exam = self.exam_in(&mut tx, caller, rx.exam_id).await?;
        let org = caller.actor.organisation_id;
        let loc = tenancy::get_location(&mut tx, org, exam.location_id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let practice = tenancy::get_organisation(&mut tx, org)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        let patient = patient_store::find_patient(&mut tx, rx.patient_id)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let act = self.rx_act(caller, Action::Print, &rx, "prescription");
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        let RxTable { columns, rows } = rx.table();
        let mut notes = Vec::new();
        if let Some(pd) = rx.body.get("pd") {
            notes.push(format!("PD {pd} mm"));
        }
        if let Some(r) = rx.body.get("replacement") {
            notes.push(format!("Replacement: {}", r.replace('_', " ")));
        }
        if let Some(q) = rx.body.get("quantity") {
            notes.push(format!("Quantity: {q}"));
        }
        if let Some(reason) = &rx.medical_reason {
            notes.push(format!("Expiry shortened for a medical reason: {reason}"));
        }
        let a = &loc.address;
        let mut address = vec![a.line1.clone()];
        address.extend(a.line2.clone());
        address.push(format!("{}, {} {}", a.city, a.state, a.zip));
        let f = &patient.fields;
        let pdf = RxPdf {
            kind: rx.kind,
            practice_name: format!("{} — {}", practice.name, loc.name),
            practice_address: address,
            practice_phone: None,
            prescriber_name: rx.prescriber_name.clone(),
            prescriber_license: rx.prescriber_license.clone(),
            prescriber_npi: rx.prescriber_npi.clone(),
            patient_name: format!("{} {}", f.legal_first_name, f.legal_last_name),
            patient_dob: f.date_of_birth.to_string(),
            issued_on: rx.issued_on.to_string(),
            expires_on: rx.expires_on.to_string(),
            rx_id: rx.id.to_string(),
            rows: rows
                .into_iter()
                .map(|(eye, cells)| RxPdfRow { eye, cells })
                .collect(),
            columns,
            notes,
            footer: Some(format!(
                "Patient's confirmation of receipt: \"{CONFIRMATION_STATEMENT}\""
            )),
        };
        render(&pdf).map_err(AppError::corrupt)
    }
}
