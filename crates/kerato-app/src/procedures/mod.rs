//! Procedures done in a visit: the structured record is checked by the
//! domain, its template writes the note, a biopsy or excision opens its
//! specimen in the closed-loop biopsy log (the specimen ID is the biopsy's
//! ID, linked to the lesion and the procedure), a phototherapy session is
//! checked against its course's cumulative dose, and the coding engine
//! rewrites the day's charge proposal for the billing capability.

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::biopsies::{Biopsy, SpecimenMethod};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LocationId, PatientId, ProcedureId};
use kerato_domain::lesions::LesionStatus;
use kerato_domain::procedures::coding::PhototherapyKind;
use kerato_domain::procedures::note::{DoseCheck, PhototherapyLimits, ProcedureRecord, check_dose};
use kerato_domain::procedures::{NewProcedure, Procedure};
use kerato_store::{
    Tx, biopsies as biopsy_store, lesions as lesion_store, patients as patient_store,
    procedures as store, tenancy,
};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

mod coding;

/// What recording a procedure produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedProcedure {
    pub procedure: Procedure,
    /// The specimen opened in the biopsy log, for a biopsy or excision.
    pub specimen: Option<Biopsy>,
    /// The course's running dose and its alerts, for phototherapy.
    pub dose: Option<DoseCheck>,
}

/// The course limits every practice starts with, per kind of light. The
/// PUVA figure is the cumulative UVA dose past which the skin cancer risk
/// is documented to rise (about 1,000–1,500 J/cm²); the UVB figures are
/// conservative course ceilings for a review, not clinical maxima.
pub fn default_limits(kind: PhototherapyKind) -> PhototherapyLimits {
    let max_cumulative_mj_cm2 = match kind {
        PhototherapyKind::Puva => 1_200_000,
        PhototherapyKind::Uvb | PhototherapyKind::Goeckerman => 500_000,
        PhototherapyKind::Excimer { .. } => 200_000,
    };
    PhototherapyLimits {
        max_cumulative_mj_cm2,
        warn_at_percent: 80,
        max_increase_percent: 20,
    }
}

/// Whether two phototherapy kinds belong to the same course: the excimer's
/// psoriasis flag changes the code, not the light.
fn same_light(a: PhototherapyKind, b: PhototherapyKind) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn note_target(caller: &Caller, location: Option<LocationId>) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location,
        resource: Resource::ClinicalNote,
    }
}

impl App {
    /// Records a procedure: validates the record, opens the specimen for a
    /// biopsy or excision, checks a phototherapy dose, stores the record
    /// with the note its template writes, and rewrites the day's charge
    /// proposal, all in one audited transaction.
    pub async fn record_procedure(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: NewProcedure,
    ) -> Result<RecordedProcedure, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Create, None)
            .await?;
        // A biopsy or excision sends a specimen to pathology: its site and
        // the biopsy log's method word.
        let specimen_of = match &input.record {
            ProcedureRecord::Biopsy(b) => {
                Some((b.site.trim().to_string(), SpecimenMethod::from(b.method)))
            }
            ProcedureRecord::Excision(x) => {
                Some((x.site.trim().to_string(), SpecimenMethod::Excisional))
            }
            _ => None,
        };
        if specimen_of.is_some() {
            self.require(caller, Resource::Pathology, Action::Create, None)
                .await?;
        }
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org && p.merged_into.is_none())
            .ok_or(AppError::NotFound("patient"))?;
        let loc = tenancy::get_location(&mut tx, org, input.location)
            .await?
            .ok_or_else(|| {
                ValidationErrors::single("location_id", "no such location in this practice")
            })?;
        if let Some(l) = input.lesion {
            let lesion = lesion_store::find_lesion(&mut tx, l)
                .await?
                .filter(|x| x.organisation_id == org && x.patient_id == patient)
                .ok_or_else(|| {
                    ValidationErrors::single("lesion_id", "that is not a lesion of this patient")
                })?;
            if lesion.status != LesionStatus::Active {
                return Err(ValidationErrors::single(
                    "lesion_id",
                    "that lesion is no longer active (resolved or excised); record a new lesion",
                )
                .into());
            }
        }
        let mut record = input.record;
        // The specimen ID is the biopsy log's ID, made here, so a label
        // typed on the form can never point at another specimen.
        let specimen = match specimen_of {
            Some((site, method)) => {
                let row = self.new_biopsy(caller, input.location, patient, &site, method);
                match &mut record {
                    ProcedureRecord::Biopsy(b) => b.specimen_id = row.id.to_string(),
                    ProcedureRecord::Excision(x) => x.specimen_id = row.id.to_string(),
                    _ => {}
                }
                Some(row)
            }
            None => None,
        };
        record.validate()?;
        let mut note = record.note_text();
        let dose = match &record {
            ProcedureRecord::Phototherapy(p) => {
                let prior = self.course_doses(&mut tx, patient, p.kind).await?;
                let check = check_dose(
                    &prior,
                    p.dose_mj_cm2,
                    p.erythema_since_last,
                    &default_limits(p.kind),
                );
                let blocking: Vec<String> = check
                    .alerts
                    .iter()
                    .filter(|a| a.blocks())
                    .map(|a| a.message())
                    .collect();
                let reason = input
                    .dose_override
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                match (blocking.is_empty(), reason) {
                    (true, _) => {}
                    (false, Some(reason)) => {
                        note.push_str(&format!(
                            " Given despite: {}. Reason: {reason}.",
                            blocking.join("; ")
                        ));
                    }
                    (false, None) => {
                        return Err(ValidationErrors::single(
                            "dose_mj_cm2",
                            format!(
                                "{}; give a clinician's reason to go ahead, or change the dose",
                                blocking.join("; ")
                            ),
                        )
                        .into());
                    }
                }
                note.push_str(&format!(
                    " Cumulative dose of the course: {} mJ/cm².",
                    check.cumulative_mj_cm2
                ));
                Some(check)
            }
            _ => None,
        };
        let now = self.now();
        let service_date: Date = now
            .to_jiff()
            .to_zoned_datetime(loc.time_zone.zone().clone())
            .date();
        let row = Procedure {
            id: ProcedureId::new(now, self.random_id_bits()),
            organisation_id: org,
            patient_id: patient,
            lesion_id: input.lesion,
            biopsy_id: specimen.as_ref().map(|s| s.id),
            service_date,
            record,
            note,
            performed_by: caller.actor.user_id,
            performed_at: now,
        };
        let mut act = Act::new(
            Action::Create,
            note_target(caller, Some(input.location)),
            "procedure",
        )
        .id(row.id)
        .new_value(
            &serde_json::json!({ "kind": row.kind().as_str(), "lesion": input.lesion.map(|l| l.to_string()) }),
        );
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        if let Some(s) = &specimen {
            let mut act = Act::new(
                Action::Create,
                Target {
                    resource: Resource::Pathology,
                    ..note_target(caller, Some(input.location))
                },
                "biopsy",
            )
            .id(s.id);
            act.patient_id = Some(patient.to_string());
            tx = self.guard(tx, caller, act).await?;
            biopsy_store::insert_biopsy(&mut tx, s).await?;
        }
        store::insert_procedure(&mut tx, &row).await?;
        if let (ProcedureRecord::Excision(_), Some(l)) = (&row.record, input.lesion) {
            lesion_store::set_status(&mut tx, l, LesionStatus::Excised).await?;
        }
        self.recode(&mut tx, org, patient, service_date).await?;
        tx.commit().await?;
        Ok(RecordedProcedure {
            procedure: row,
            specimen,
            dose,
        })
    }

    /// The doses of a patient's earlier sessions of the same light, oldest
    /// first.
    async fn course_doses(
        &self,
        tx: &mut Tx,
        patient: PatientId,
        kind: PhototherapyKind,
    ) -> Result<Vec<u32>, AppError> {
        let mut doses = Vec::new();
        for row in store::procedures_of_patient(tx, patient).await? {
            if let ProcedureRecord::Phototherapy(p) = row.record
                && same_light(p.kind, kind)
            {
                doses.push(p.dose_mj_cm2);
            }
        }
        Ok(doses)
    }

    /// A patient's procedures with their notes, oldest first; reading them
    /// is audited.
    pub async fn procedures_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<Procedure>, AppError> {
        self.read_of_patient(
            caller,
            patient,
            (Resource::ClinicalNote, Action::Query, "procedure"),
            async |tx| Ok(store::procedures_of_patient(tx, patient).await?),
        )
        .await
    }
}
