//! Eye exams and prescriptions, with the FTC Eyeglass and Contact Lens
//! Rules: exams by template and section, sign and lock, amendments after
//! signing ([`exams`]); prescriptions issued from the final refraction or
//! the contact lens fit when the exam is signed, and released then whether
//! or not the patient asked ([`signing`]); the patient's confirmation of
//! receipt (or refusal to sign) kept three years, digital delivery and the
//! printed copy ([`prescriptions`]); sellers' verification requests and
//! agents' copy requests on their business-hour clocks, and the compliance
//! report ([`requests`]).
//!
//! The records are `kerato_domain::eye` types; the views here add what a
//! screen shows beside them.

mod exams;
mod prescriptions;
mod requests;
mod signing;

pub use exams::{ExamView, PatientExams, SectionView, TrendPoint};
pub use requests::{FtcReport, RxRequestView};

use kerato_domain::eye::exam::Exam;
use kerato_domain::eye::prescription::Prescription;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{ExamId, LocationId, PrescriptionId};
use kerato_store::{Tx, eye as store};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

fn clinical(caller: &Caller, location: Option<LocationId>, resource: Resource) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location,
        resource,
    }
}

/// A section's values as the audit trail records them before and after.
fn to_json<T: serde::Serialize>(data: &T) -> String {
    serde_json::to_string(data).unwrap_or_else(|_| "{}".into())
}

impl App {
    /// Loads an exam in `tx` and checks it is the caller's practice's.
    async fn exam_in(&self, tx: &mut Tx, caller: &Caller, id: ExamId) -> Result<Exam, AppError> {
        store::find_exam(tx, id)
            .await?
            .filter(|e| e.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("exam"))
    }

    fn exam_act(
        &self,
        caller: &Caller,
        action: Action,
        exam: &Exam,
        category: &'static str,
    ) -> Act {
        let mut act = Act::new(
            action,
            clinical(caller, Some(exam.location_id), Resource::ClinicalNote),
            category,
        )
        .id(exam.id);
        act.patient_id = Some(exam.patient_id.to_string());
        act
    }

    /// Loads a prescription in `tx` and checks it is the caller's
    /// practice's.
    async fn prescription_in(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        id: PrescriptionId,
    ) -> Result<Prescription, AppError> {
        store::find_prescription(tx, id)
            .await?
            .filter(|r| r.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("prescription"))
    }

    fn rx_act(
        &self,
        caller: &Caller,
        action: Action,
        rx: &Prescription,
        category: &'static str,
    ) -> Act {
        let mut act = Act::new(
            action,
            clinical(caller, None, Resource::Prescription),
            category,
        )
        .id(rx.id);
        act.patient_id = Some(rx.patient_id.to_string());
        act
    }
}
