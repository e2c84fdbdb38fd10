//! The pathology requisition for a specimen, as a one-page PDF.

use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::BiopsyId;
use kerato_domain::procedures::coding::BiopsyMethod;
use kerato_domain::procedures::note::ProcedureRecord;
use kerato_store::{lesions as lesion_store, patients as patient_store, procedures, tenancy};

use super::target;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

impl App {
    /// The pathology requisition for a specimen, as a one-page PDF: the
    /// practice, the responsible clinician, the patient, the specimen ID,
    /// the site and method, the latest observation of the lesion it came
    /// from and that lesion's latest photo. Audited as a print.
    pub async fn biopsy_requisition(
        &self,
        caller: &Caller,
        id: BiopsyId,
    ) -> Result<Vec<u8>, AppError> {
        use kerato_formats::requisition_pdf::{
            MAX_TEXT_CHARS, Requisition, RequisitionPhoto, render,
        };
        self.require(caller, Resource::Pathology, Action::Print, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.read().await?;
        let specimen = kerato_store::biopsies::find_biopsy(&mut tx, id)
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
        let procedure = procedures::procedure_of_specimen(&mut tx, id).await?;
        let lesion = match procedure.as_ref().and_then(|p| p.lesion_id) {
            Some(l) => lesion_store::find_lesion(&mut tx, l).await?,
            None => None,
        };
        let latest_observation = match &lesion {
            Some(l) => lesion_store::observations(&mut tx, l.id)
                .await?
                .pop()
                .map(|o| o.observation),
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
            target(caller, Some(specimen.location_id)),
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
        let method = match procedure.as_ref().map(|p| &p.record) {
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
            _ => specimen.method.as_str().to_string(),
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
            lesion_site: match &lesion {
                Some(l) => format!(
                    "{} (SNOMED CT {})",
                    specimen.site,
                    l.site.region.snomed().code
                ),
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
