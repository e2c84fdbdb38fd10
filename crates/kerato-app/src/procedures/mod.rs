//! Procedures done in a visit: the structured record is checked by the
//! domain, its template writes the note, a biopsy or excision opens its
//! specimen in the closed-loop biopsy log (the specimen ID is the biopsy's
//! ID, linked to the lesion and the procedure), a phototherapy session is
//! checked against its course's cumulative dose, and the coding engine
//! rewrites the day's charge proposal for the billing capability.

use kerato_domain::ValidationErrors;
use kerato_domain::biopsies::{BiopsyTimeline, Diagnosis};
use kerato_domain::coverage::CoverageKind;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LesionId, LocationId, OrganisationId, PatientId, ProcedureId};
use kerato_domain::lesions::{LesionStatus, Region};
use kerato_domain::procedures::coding::{
    BiopsyMethod, DistinctModifier, EmCode, PayerCodingSettings, PhototherapyKind, code_session,
};
use kerato_domain::procedures::note::{
    DoseCheck, ExcisionBehaviour, PhototherapyLimits, ProcedureRecord, check_dose,
    session_from_records,
};
use kerato_store::biopsies::{self as biopsy_store, BiopsyRow};
pub use kerato_store::procedures::{ChargeProposalRow, ProcedureRow};
use kerato_store::{
    Tx, coverage as coverage_store, lesions as lesion_store, patients as patient_store,
    procedures as store, tenancy,
};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// A procedure as entered: whose, on which lesion, where, and the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureInput {
    pub patient: PatientId,
    pub lesion: Option<LesionId>,
    /// Where it was done: the biopsy log's location and the service date's
    /// time zone.
    pub location: LocationId,
    pub record: ProcedureRecord,
    /// A clinician's reason to give a phototherapy dose that an alert
    /// blocks (the course maximum reached, or erythema of grade 3); it is
    /// written into the note.
    pub dose_override: Option<String>,
}

/// What recording a procedure produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedProcedure {
    pub procedure: ProcedureRow,
    /// The specimen opened in the biopsy log, for a biopsy or excision.
    pub specimen: Option<BiopsyRow>,
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

/// The name a record is stored and listed under.
pub fn kind_of(record: &ProcedureRecord) -> &'static str {
    match record {
        ProcedureRecord::Biopsy(_) => "biopsy",
        ProcedureRecord::Destruction(_) => "destruction",
        ProcedureRecord::Excision(_) => "excision",
        ProcedureRecord::Repair(_) => "repair",
        ProcedureRecord::Mohs(_) => "mohs",
        ProcedureRecord::Injection(_) => "injection",
        ProcedureRecord::Phototherapy(_) => "phototherapy",
    }
}

/// Whether two phototherapy kinds belong to the same course: the excimer's
/// psoriasis flag changes the code, not the light.
fn same_light(a: PhototherapyKind, b: PhototherapyKind) -> bool {
    std::mem::discriminant(&a) == std::mem::discriminant(&b)
}

fn record_of(row: &ProcedureRow) -> Result<ProcedureRecord, AppError> {
    serde_json::from_str(&row.data)
        .map_err(|e| AppError::corrupt(format!("a procedure record is not readable: {e}")))
}

fn note_target(caller: &Caller, location: Option<LocationId>) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location,
        resource: Resource::ClinicalNote,
    }
}

/// How an excision is coded once pathology has spoken: a pending
/// excision takes its behaviour from its specimen's result, so the held
/// line is released when the report arrives.
fn behaviour_from(specimen: &BiopsyRow) -> Result<ExcisionBehaviour, AppError> {
    let timeline: BiopsyTimeline = serde_json::from_str(&specimen.timeline)
        .map_err(|e| AppError::corrupt(format!("a biopsy timeline is not readable: {e}")))?;
    Ok(match timeline.result.map(|r| r.diagnosis) {
        Some(Diagnosis::Malignant) => ExcisionBehaviour::Malignant,
        // An atypical (dysplastic) naevus is coded as benign.
        Some(Diagnosis::Benign | Diagnosis::Atypical) => ExcisionBehaviour::Benign,
        Some(Diagnosis::Nondiagnostic) | None => ExcisionBehaviour::Pending,
    })
}

impl App {
    /// Records a procedure: validates the record, opens the specimen for a
    /// biopsy or excision, checks a phototherapy dose, stores the record
    /// with the note its template writes, and rewrites the day's charge
    /// proposal, all in one audited transaction.
    pub async fn record_procedure(
        &self,
        caller: &Caller,
        input: ProcedureInput,
    ) -> Result<RecordedProcedure, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Create, None)
            .await?;
        // A biopsy or excision sends a specimen to pathology: its site and
        // the biopsy log's method word.
        let specimen_of = match &input.record {
            ProcedureRecord::Biopsy(b) => Some((
                b.site.trim().to_string(),
                match b.method {
                    BiopsyMethod::Tangential => "tangential",
                    BiopsyMethod::Punch => "punch",
                    BiopsyMethod::Incisional => "incisional",
                },
            )),
            ProcedureRecord::Excision(x) => Some((x.site.trim().to_string(), "excisional")),
            _ => None,
        };
        if specimen_of.is_some() {
            self.require(caller, Resource::Pathology, Action::Create, None)
                .await?;
        }
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, input.patient)
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
                .filter(|x| x.organisation_id == org && x.patient_id == input.patient)
                .ok_or_else(|| {
                    ValidationErrors::single("lesion_id", "that is not a lesion of this patient")
                })?;
            if lesion.status != LesionStatus::Active.as_str() {
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
                let row =
                    self.new_biopsy_row(caller, input.location, input.patient, &site, method)?;
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
                let prior = self.course_doses(&mut tx, input.patient, p.kind).await?;
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
        let service_date = now
            .to_jiff()
            .to_zoned_datetime(loc.time_zone.zone().clone())
            .date()
            .to_string();
        let row = ProcedureRow {
            id: ProcedureId::new(now, self.random_id_bits()),
            organisation_id: org,
            patient_id: input.patient,
            lesion_id: input.lesion,
            biopsy_id: specimen.as_ref().map(|s| s.id),
            kind: kind_of(&record).into(),
            service_date: service_date.clone(),
            data: serde_json::to_string(&record).map_err(AppError::corrupt)?,
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
            &serde_json::json!({ "kind": row.kind, "lesion": input.lesion.map(|l| l.to_string()) }),
        );
        act.patient_id = Some(input.patient.to_string());
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
            act.patient_id = Some(input.patient.to_string());
            tx = self.guard(tx, caller, act).await?;
            biopsy_store::insert_biopsy(&mut tx, s).await?;
        }
        store::insert_procedure(&mut tx, &row).await?;
        if let (ProcedureRecord::Excision(_), Some(l)) = (&record, input.lesion) {
            lesion_store::set_status(&mut tx, l, LesionStatus::Excised.as_str()).await?;
        }
        self.recode(&mut tx, org, input.patient, &service_date)
            .await?;
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
            if row.kind != "phototherapy" {
                continue;
            }
            if let ProcedureRecord::Phototherapy(p) = record_of(&row)?
                && same_light(p.kind, kind)
            {
                doses.push(p.dose_mj_cm2);
            }
        }
        Ok(doses)
    }

    /// Rewrites the charge proposal of a patient's service date from that
    /// day's procedures and its separately identifiable E/M, with each
    /// pending excision coded by its specimen's result if it has one, and
    /// the distinct-procedure modifier the patient's medical payer wants.
    pub(crate) async fn recode(
        &self,
        tx: &mut Tx,
        organisation: OrganisationId,
        patient: PatientId,
        service_date: &str,
    ) -> Result<(), AppError> {
        let mut records = Vec::new();
        for row in store::procedures_of_patient(tx, patient).await? {
            if row.service_date != service_date {
                continue;
            }
            let mut record = record_of(&row)?;
            if let (ProcedureRecord::Excision(x), Some(b)) = (&mut record, row.biopsy_id)
                && x.behaviour == ExcisionBehaviour::Pending
                && let Some(specimen) = biopsy_store::find_biopsy(tx, b).await?
            {
                x.behaviour = behaviour_from(&specimen)?;
            }
            records.push(record);
        }
        let em = store::visit_em(tx, patient, service_date)
            .await?
            .map(|code| {
                EmCode::from_code(&code).ok_or_else(|| {
                    AppError::corrupt(format!("a stored E/M code {code:?} is unknown"))
                })
            })
            .transpose()?;
        let session = session_from_records(&records, em)
            .map_err(|e| AppError::corrupt(format!("stored procedures do not validate: {e}")))?;
        let payer = self
            .payer_settings(tx, organisation, patient, service_date)
            .await?;
        let lines = code_session(&session, &payer)
            .map_err(|e| AppError::corrupt(format!("stored procedures do not code: {e}")))?;
        let rows: Vec<ChargeProposalRow> = lines
            .iter()
            .zip(1..)
            .map(|(l, n)| ChargeProposalRow {
                n,
                code: l.code.to_string(),
                units: i64::from(l.units),
                modifiers: l.modifiers.join(","),
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
        service_date: &str,
    ) -> Result<PayerCodingSettings, AppError> {
        let day: jiff::civil::Date = service_date.parse().map_err(AppError::corrupt)?;
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
            .find(|(payer, _)| *payer == name)
            .and_then(|(_, m)| DistinctModifier::from_code(&m));
        Ok(PayerCodingSettings {
            distinct_modifier: chosen.unwrap_or_default(),
        })
    }

    /// After a specimen's result is recorded: recodes the day of the
    /// excision it came from, which releases or keeps its held line.
    pub(crate) async fn recode_after_result(
        &self,
        tx: &mut Tx,
        specimen: &BiopsyRow,
    ) -> Result<(), AppError> {
        if let Some(p) = store::procedure_of_specimen(tx, specimen.id).await? {
            self.recode(tx, p.organisation_id, p.patient_id, &p.service_date)
                .await?;
        }
        Ok(())
    }

    /// A patient's procedures with their notes, oldest first; reading them
    /// is audited.
    pub async fn procedures_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<ProcedureRow>, AppError> {
        self.read_of_patient(
            caller,
            patient,
            (Resource::ClinicalNote, Action::Query, "procedure"),
            async |tx| Ok(store::procedures_of_patient(tx, patient).await?),
        )
        .await
    }

    /// The charge proposal of a patient's service date (YYYY-MM-DD), for
    /// billing and the clinician; reading it is audited.
    pub async fn charge_proposal(
        &self,
        caller: &Caller,
        patient: PatientId,
        service_date: &str,
    ) -> Result<Vec<ChargeProposalRow>, AppError> {
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
    /// The pathology requisition for a specimen, as a one-page PDF: the
    /// practice, the responsible clinician, the patient, the specimen ID,
    /// the site and method, the latest observation of the lesion it came
    /// from and that lesion's latest photo. Audited as a print.
    pub async fn biopsy_requisition(
        &self,
        caller: &Caller,
        id: kerato_domain::ids::BiopsyId,
    ) -> Result<Vec<u8>, AppError> {
        use kerato_formats::requisition_pdf::{
            MAX_TEXT_CHARS, Requisition, RequisitionPhoto, render,
        };
        self.require(caller, Resource::Pathology, Action::Print, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let specimen = biopsy_store::find_biopsy(&mut tx, id)
            .await?
            .filter(|b| b.organisation_id == org)
            .ok_or(AppError::NotFound("biopsy"))?;
        let loc = tenancy::get_location(&mut tx, org, specimen.location_id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let practice = tenancy::get_organisation(&mut tx, org)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        let patient = patient_store::find_patient(&mut tx, specimen.patient_id)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let clinician = kerato_store::identity::get_user(&mut tx, specimen.responsible_user_id)
            .await?
            .map(|(u, _)| u.display_name)
            .unwrap_or_default();
        let npi = kerato_store::eye::credentials(&mut tx, specimen.responsible_user_id)
            .await?
            .map(|(_, npi)| npi)
            .unwrap_or_else(|| "not on file".into());
        let procedure = store::procedure_of_specimen(&mut tx, id).await?;
        let lesion = match procedure.as_ref().and_then(|p| p.lesion_id) {
            Some(l) => lesion_store::find_lesion(&mut tx, l).await?,
            None => None,
        };
        let latest_observation = match &lesion {
            Some(l) => lesion_store::observations(&mut tx, l.id)
                .await?
                .pop()
                .map(|(_, data, _)| {
                    serde_json::from_str::<kerato_domain::lesions::Observation>(&data)
                        .map_err(AppError::corrupt)
                })
                .transpose()?,
            None => None,
        };
        let photo = match &lesion {
            Some(l) => lesion_store::photos_of_patient(&mut tx, specimen.patient_id)
                .await?
                .into_iter()
                .find(|p| p.lesion_id == Some(l.id)),
            None => None,
        };
        let mut act = Act::new(
            Action::Print,
            Target {
                resource: Resource::Pathology,
                ..note_target(caller, Some(specimen.location_id))
            },
            "biopsy requisition",
        )
        .id(id);
        act.patient_id = Some(specimen.patient_id.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;

        let zone = loc.time_zone.zone().clone();
        let day = |t: kerato_domain::time::Timestamp| {
            t.to_jiff()
                .to_zoned_datetime(zone.clone())
                .date()
                .to_string()
        };
        let photo = match (photo, &self.attachments) {
            (Some(p), Some(files)) => Some(RequisitionPhoto {
                jpeg: files
                    .get(&crate::lesions::thumbnail_name(p.id))
                    .map_err(|e| AppError::NotReady(e.to_string()))?,
                caption: format!(
                    "{}, photographed {}",
                    lesion.as_ref().map_or("Lesion", |l| l.label.as_str()),
                    day(p.taken_at)
                ),
            }),
            _ => None,
        };
        let method = match procedure.as_ref().map(record_of).transpose()? {
            Some(ProcedureRecord::Biopsy(b)) => {
                let name = match b.method {
                    BiopsyMethod::Tangential => "Tangential (shave) biopsy",
                    BiopsyMethod::Punch => "Punch biopsy",
                    BiopsyMethod::Incisional => "Incisional biopsy",
                };
                match b.punch_mm {
                    Some(mm) => format!("{name}, {mm} mm"),
                    None => name.to_string(),
                }
            }
            Some(ProcedureRecord::Excision(x)) => format!(
                "Excision, lesion {} mm with {} mm margins",
                x.lesion_diameter_mm, x.margin_mm
            ),
            _ => specimen.method.clone(),
        };
        let (description, impression) = match &latest_observation {
            Some(o) => {
                let colours = o
                    .colours
                    .iter()
                    .map(|c| c.label().to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ");
                let size = format!("{}.{} mm", o.size_tenths_mm / 10, o.size_tenths_mm % 10);
                let parts: Vec<&str> = [o.morphology.trim(), size.as_str(), colours.as_str()]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect();
                (parts.join(", "), o.impression.trim().to_string())
            }
            None => (
                procedure
                    .as_ref()
                    .map_or_else(String::new, |p| p.note.clone()),
                String::new(),
            ),
        };
        // The requisition must show every field; what the chart left blank
        // is printed as such rather than refused.
        let or_not_stated = |s: String| {
            if s.is_empty() {
                "Not stated".to_string()
            } else {
                s
            }
        };
        let (description, impression) = (or_not_stated(description), or_not_stated(impression));
        let a = &loc.address;
        let mut address = vec![a.line1.clone()];
        address.extend(a.line2.clone());
        address.push(format!("{}, {} {}", a.city, a.state, a.zip));
        let f = &patient.fields;
        let requisition = Requisition {
            practice_name: format!("{} — {}", practice.name, loc.name),
            practice_address: address,
            practice_phone: None,
            clinician_name: clinician,
            clinician_npi: npi,
            patient_name: format!("{} {}", f.legal_first_name, f.legal_last_name),
            patient_dob: f.date_of_birth.to_string(),
            patient_sex: f.sex_at_birth.map(|s| s.as_str().to_string()),
            specimen_id: id.to_string(),
            collected_on: day(specimen.created_at),
            // The lab gets the coded site too when the specimen came from
            // a lesion on the body map.
            lesion_site: match lesion
                .as_ref()
                .and_then(|l| l.region.parse::<Region>().ok())
            {
                Some(r) => format!("{} (SNOMED CT {})", specimen.site, r.snomed().code),
                None => specimen.site.clone(),
            },
            method,
            clinical_description: clip(&description, MAX_TEXT_CHARS),
            clinical_impression: clip(&impression, MAX_TEXT_CHARS),
            history: None,
            photo,
        };
        render(&requisition).map_err(|e| AppError::corrupt(e.to_string()))
    }
}

/// `text` cut to `max` characters with an ellipsis, for a printed field
/// whose full text stays in the chart.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A payer's name as the settings match it: trimmed, spaces collapsed,
/// lower case, so "Blue Cross " and "blue  cross" are one payer.
pub fn normalise_payer(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl App {
    /// Records (or, with `None`, clears) the E/M of a patient's visit day
    /// that the note supports as separate from its procedures; the day's
    /// charge proposal is recoded with it (modifier 25).
    pub async fn set_visit_em(
        &self,
        caller: &Caller,
        patient: PatientId,
        service_date: jiff::civil::Date,
        code: Option<&str>,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let em = match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(EmCode::from_code(c).ok_or_else(|| {
                ValidationErrors::single(
                    "em",
                    "choose an office visit code (99202–99205 new, 99212–99215 established) or none",
                )
            })?),
        };
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org)
            .ok_or(AppError::NotFound("patient"))?;
        let day = service_date.to_string();
        let mut act = Act::new(Action::Update, note_target(caller, None), "visit E/M")
            .new_value(&serde_json::json!({ "date": day, "em": em.map(EmCode::code) }));
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_visit_em(
            &mut tx,
            org,
            patient,
            &day,
            em.map(EmCode::code),
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        self.recode(&mut tx, org, patient, &day).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets which distinct-procedure modifier a payer wants, 59 or XS.
    pub async fn set_payer_modifier(
        &self,
        caller: &Caller,
        payer: &str,
        modifier: &str,
    ) -> Result<(), AppError> {
        let name = normalise_payer(payer);
        let mut e = ValidationErrors::new();
        if name.is_empty() || name.chars().count() > 200 {
            e.add(
                "payer",
                "name the payer as it appears on the coverage (1–200 characters)",
            );
        }
        let chosen = DistinctModifier::from_code(modifier);
        if chosen.is_none() {
            e.add("modifier", "choose 59 or XS");
        }
        let Some(chosen) = e.into_result(chosen)? else {
            return Err(ValidationErrors::single("modifier", "choose 59 or XS").into());
        };
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
            &name,
            chosen.code(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The payers' modifier choices: (payer, "59" or "XS").
    pub async fn payer_modifiers(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(String, String)>, AppError> {
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
