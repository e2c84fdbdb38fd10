//! Exams: opening one, saving and pulling sections forward, amending a
//! signed one, reading it, and the patient's trends across exams.

use kerato_domain::ValidationErrors;
use kerato_domain::eye::exam::{
    AmendInput, Amendment, Exam, ExamStatus, Section, SectionData, SectionEntry, StartExamInput,
    Template, validate_section,
};
use kerato_domain::eye::optics::{Eye, VisualAcuity};
use kerato_domain::eye::prescription::Prescription;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{ExamId, PatientId};
use kerato_store::{Tx, eye as store, patients as patient_store, tenancy};

use super::{clinical, to_json};
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// One section of an exam as the screen shows it: what was saved (and
/// signed), and what it reads now after amendments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionView {
    pub section: Section,
    pub original: SectionData,
    pub current: SectionData,
    pub amended: bool,
}

/// An exam with everything recorded on it.
#[derive(Debug, Clone)]
pub struct ExamView {
    pub exam: Exam,
    pub sections: Vec<SectionView>,
    pub amendments: Vec<Amendment>,
    pub prescriptions: Vec<Prescription>,
}

/// One exam's point on the patient's trend charts: logMAR visual acuity
/// (with correction when measured, else without) and IOP, per eye.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendPoint {
    pub date: String,
    pub log_mar: [Option<f64>; 2],
    pub iop: [Option<i64>; 2],
}

/// A patient's exams, newest first, and their trends, oldest first.
#[derive(Debug, Clone)]
pub struct PatientExams {
    pub exams: Vec<Exam>,
    pub trends: Vec<TrendPoint>,
}

/// The section `key` of an exam made from `template`.
fn section_of(template: Template, key: &str) -> Result<Section, AppError> {
    let section = Section::parse(key).map_err(|m| ValidationErrors::single("section", m))?;
    if !template.sections().contains(&section) {
        return Err(ValidationErrors::single(
            "section",
            format!("a {} has no {} section", template.label(), section.label()),
        )
        .into());
    }
    Ok(section)
}

/// The exam's point on the trend charts, if it measured acuity or IOP.
fn trend_point(view: &ExamView) -> Option<TrendPoint> {
    let section = |s: Section| view.sections.iter().find(|v| v.section == s);
    let mut point = TrendPoint {
        date: view
            .exam
            .created_at
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
        ..TrendPoint::default()
    };
    for (i, eye) in Eye::BOTH.iter().enumerate() {
        let eye = eye.abbreviation().to_lowercase();
        if let Some(a) = section(Section::Acuity) {
            point.log_mar[i] = [format!("{eye}.distance_cc"), format!("{eye}.distance_sc")]
                .iter()
                .find_map(|k| a.current.get(k))
                .and_then(|v| VisualAcuity::parse(v).ok())
                .map(|va| va.log_mar().value);
        }
        if let Some(p) = section(Section::Iop) {
            point.iop[i] = p
                .current
                .get(&format!("{eye}.pressure"))
                .and_then(|v| v.parse().ok());
        }
    }
    (point.log_mar.iter().any(Option::is_some) || point.iop.iter().any(Option::is_some))
        .then_some(point)
}

impl App {
    /// Opens an exam for a patient at a location with a template.
    pub async fn start_exam(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: &StartExamInput,
    ) -> Result<Exam, AppError> {
        let location = input.location_id;
        self.require(
            caller,
            Resource::ClinicalNote,
            Action::Create,
            Some(location),
        )
        .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let mut e = ValidationErrors::new();
        if !patient_store::find_patient(&mut tx, patient)
            .await?
            .is_some_and(|p| p.organisation_id == org && p.merged_into.is_none())
        {
            e.add("patient_id", "no such patient in this practice");
        }
        if tenancy::get_location(&mut tx, org, location)
            .await?
            .is_none()
        {
            e.add("location_id", "no such location in this practice");
        }
        e.into_result(())?;
        let exam = Exam {
            id: ExamId::new(self.now(), self.random_id_bits()),
            organisation_id: org,
            location_id: location,
            patient_id: patient,
            appointment_id: input.appointment_id,
            template: input.template,
            status: ExamStatus::Draft,
            created_at: self.now(),
            created_by: caller.actor.user_id,
            signed_at: None,
            signed_by: None,
        };
        let mut act = Act::new(
            Action::Create,
            clinical(caller, Some(location), Resource::ClinicalNote),
            "eye exam",
        )
        .id(exam.id);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_exam(&mut tx, &exam).await?;
        tx.commit().await?;
        Ok(exam)
    }

    pub(super) async fn view_in(&self, tx: &mut Tx, exam: Exam) -> Result<ExamView, AppError> {
        let mut saved = store::sections(tx, exam.id).await?;
        let amendments = store::amendments(tx, exam.id).await?;
        let mut sections = Vec::new();
        for s in exam.template.sections() {
            let original = saved
                .iter()
                .position(|r| r.section == *s)
                .map(|i| saved.swap_remove(i).data)
                .unwrap_or_default();
            let last = amendments.iter().rev().find(|a| a.section == *s);
            sections.push(SectionView {
                section: *s,
                current: last.map_or_else(|| original.clone(), |a| a.data.clone()),
                original,
                amended: last.is_some(),
            });
        }
        let prescriptions = store::prescriptions_of_exam(tx, exam.id).await?;
        Ok(ExamView {
            exam,
            sections,
            amendments,
            prescriptions,
        })
    }

    /// An exam with its sections, amendments and prescriptions; the read
    /// is audited.
    pub async fn exam(&self, caller: &Caller, id: ExamId) -> Result<ExamView, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::View, None)
            .await?;
        let mut tx = self.store.read().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        let act = self.exam_act(caller, Action::View, &exam, "eye exam");
        let mut tx = self.guard(tx, caller, act).await?;
        let view = self.view_in(&mut tx, exam).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A patient's exams, newest first, in the audited transaction `tx`
    /// of a query on the patient's exams.
    async fn exams_in(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<(kerato_store::Tx, Vec<Exam>), AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Query, None)
            .await?;
        let tx = self.store.read().await?;
        let mut act = Act::new(
            Action::Query,
            clinical(caller, None, Resource::ClinicalNote),
            "eye exam",
        );
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let org = caller.actor.organisation_id;
        let exams = store::exams_of_patient(&mut tx, patient)
            .await?
            .into_iter()
            .filter(|e| e.organisation_id == org)
            .collect();
        Ok((tx, exams))
    }

    /// A patient's exams, newest first; the read is audited.
    pub async fn exams_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<Exam>, AppError> {
        let (tx, exams) = self.exams_in(caller, patient).await?;
        tx.commit().await?;
        Ok(exams)
    }

    /// A patient's exams, and their acuity and pressure over those exams
    /// (oldest first; exams that measured neither are left out), as the
    /// patient's eye page shows them: one audited read.
    pub async fn patient_exams(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<PatientExams, AppError> {
        let (mut tx, exams) = self.exams_in(caller, patient).await?;
        let mut trends = Vec::new();
        for exam in exams.iter().rev() {
            let view = self.view_in(&mut tx, exam.clone()).await?;
            trends.extend(trend_point(&view));
        }
        tx.commit().await?;
        Ok(PatientExams { exams, trends })
    }

    /// Saves one section of a draft exam (the screen auto-saves each
    /// section as it is left). A signed exam refuses: amend it instead.
    pub async fn save_exam_section(
        &self,
        caller: &Caller,
        id: ExamId,
        section: &str,
        entry: &SectionEntry,
    ) -> Result<SectionData, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        let section = section_of(exam.template, section)?;
        if exam.status != ExamStatus::Draft {
            return Err(AppError::Conflict(
                "this exam is signed and cannot be edited; add an amendment instead".into(),
            ));
        }
        let data = validate_section(section, entry.values())?;
        let before = store::sections(&mut tx, id)
            .await?
            .into_iter()
            .find(|s| s.section == section)
            .map(|s| to_json(&s.data));
        let mut act = self.exam_act(caller, Action::Update, &exam, "eye exam section");
        act.old = before;
        act.new = Some(to_json(&data));
        let mut tx = self.guard(tx, caller, act).await?;
        store::save_section(
            &mut tx,
            id,
            section,
            &data,
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(data)
    }

    /// Copies a section from the patient's previous exam into this draft
    /// (history, medications, last refraction), returning what was copied;
    /// nothing when there is no earlier exam with that section.
    pub async fn pull_forward(
        &self,
        caller: &Caller,
        id: ExamId,
        section: &str,
    ) -> Result<Option<SectionData>, AppError> {
        let previous = {
            self.require(caller, Resource::ClinicalNote, Action::Update, None)
                .await?;
            let mut tx = self.store.write().await?;
            let exam = self.exam_in(&mut tx, caller, id).await?;
            let section = section_of(exam.template, section)?;
            store::previous_section(&mut tx, exam.patient_id, section, exam.created_at).await?
        };
        let Some((_, data)) = previous else {
            return Ok(None);
        };
        let entry = SectionEntry::from_values(data)?;
        self.save_exam_section(caller, id, section, &entry)
            .await
            .map(Some)
    }

    /// Amends a signed exam's section: the signed values stay as they were
    /// and visible; the amendment, its reason, author and time are added
    /// after them and audited with the values before and after.
    pub async fn amend_exam(
        &self,
        caller: &Caller,
        id: ExamId,
        section: &str,
        input: &AmendInput,
    ) -> Result<i64, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        let section = section_of(exam.template, section)?;
        if exam.status != ExamStatus::Signed {
            return Err(AppError::Conflict(
                "this exam is still a draft; edit the section directly".into(),
            ));
        }
        let data = validate_section(section, input.entry.values())?;
        let view = self.view_in(&mut tx, exam.clone()).await?;
        let before = view
            .sections
            .iter()
            .find(|s| s.section == section)
            .map(|s| to_json(&s.current));
        let mut act = self.exam_act(caller, Action::Update, &exam, "eye exam amendment");
        act.old = before;
        act.new = Some(to_json(&data));
        let mut tx = self.guard(tx, caller, act).await?;
        let n = store::insert_amendment(
            &mut tx,
            id,
            section,
            &data,
            &input.reason,
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}
