//! Eye exams and prescriptions, with the FTC Eyeglass and Contact Lens
//! Rules: exams by template and section, sign and lock, amendments after
//! signing; prescriptions issued from the final refraction or the contact
//! lens fit when the exam is signed, and released then whether or not the
//! patient asked; the patient's confirmation of receipt (or refusal to
//! sign) kept three years; sellers' verification requests and agents'
//! copy requests on their business-hour clocks; the compliance report.

use std::collections::BTreeMap;

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::eye_exam::{Section, SectionData, Template, validate_section};
use kerato_domain::ftc::{
    self, BusinessCalendar, RxKind, VerificationAnswer, agent_copy_deadline, verification_deadline,
};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{
    AppointmentId, ExamId, LocationId, PatientId, PrescriptionId, RxRequestId,
};
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
pub use kerato_store::eye::{
    AmendmentRow, ConfirmationRow, ExamRow, PrescriptionRow, RxRequestRow,
};
use kerato_store::{Tx, eye as store, identity as users, patients as patient_store, tenancy};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// The longest reason for an amendment or a refusal note.
const MAX_REASON: usize = 500;

fn clinical(caller: &Caller, location: Option<LocationId>, resource: Resource) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location,
        resource,
    }
}

fn to_json(data: &SectionData) -> String {
    serde_json::to_string(data).unwrap_or_else(|_| "{}".into())
}

fn from_json(text: &str) -> Result<SectionData, AppError> {
    serde_json::from_str(text)
        .map_err(|e| AppError::corrupt(format!("an exam section is not JSON: {e}")))
}

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
    pub exam: ExamRow,
    pub template: Template,
    pub sections: Vec<SectionView>,
    pub amendments: Vec<AmendmentRow>,
    pub prescriptions: Vec<PrescriptionRow>,
}

/// How the prescriptions are handed over when an exam is signed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInput {
    /// `paper` (printed and handed over) or `digital` (needs the patient's
    /// recorded consent).
    pub delivery: String,
    /// A contact lens expiry shorter than the rule's, in months, with the
    /// documented medical reason that allows it.
    pub cl_months: Option<u32>,
    pub medical_reason: Option<String>,
}

/// A seller's verification request or an agent's copy request, as typed
/// from the fax, phone call or e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RxRequestInput {
    /// `verification` or `agent_copy`.
    pub kind: String,
    pub location_id: String,
    pub requester: String,
    pub requester_contact: String,
    pub patient_name: String,
    pub details: String,
    /// When the request arrived, if not now (a fax read in the morning).
    pub received_at: Option<Timestamp>,
}

/// Where a request stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxRequestView {
    pub request: RxRequestRow,
    /// Verification requests: pending, verified, corrected, invalid, or
    /// passively verified. Agent copies: pending, sent, or overdue.
    pub status: String,
    pub answered_on_time: Option<bool>,
    /// Business time left before the deadline, in minutes (0 once passed).
    pub minutes_left: i64,
}

/// The FTC compliance report for prescriptions and requests in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FtcReport {
    pub from: String,
    pub until: String,
    pub prescriptions: i64,
    pub released: i64,
    pub confirmations_signed: i64,
    pub refusals_recorded: i64,
    pub without_confirmation: i64,
    pub verifications: i64,
    pub verifications_answered_on_time: i64,
    pub verifications_answered_late: i64,
    pub passively_verified: i64,
    pub verifications_pending: i64,
    pub agent_copies: i64,
    pub agent_copies_on_time: i64,
    pub agent_copies_late_or_open: i64,
}

/// The fields the federal and state rules require of a prescription that
/// the exam section is missing, for each eye it prescribes for (one with a
/// sphere): e.g. "OD base curve". Fields that come from elsewhere (the
/// prescriber, the practice, the dates) are checked where they are set.
fn missing_rx_fields(kind: RxKind, state: &str, data: &SectionData) -> Vec<String> {
    let mut missing = Vec::new();
    for required in ftc::required_fields(kind, state) {
        let (key, label, per_eye) = match required {
            "power" => ("sphere", "sphere", true),
            "material_or_manufacturer" | "brand_or_model" => ("brand", "brand", true),
            "base_curve" => ("base_curve", "base curve", true),
            "diameter" => ("diameter", "diameter", true),
            "quantity" | "total_lenses_authorized" => ("quantity", "quantity", false),
            "replacement_interval" => ("replacement", "replacement schedule", false),
            _ => continue,
        };
        if per_eye {
            for eye in ["od", "os"] {
                if data.contains_key(&format!("{eye}.sphere"))
                    && !data.contains_key(&format!("{eye}.{key}"))
                {
                    missing.push(format!("{} {label}", eye.to_uppercase()));
                }
            }
        } else if !data.contains_key(key) {
            missing.push(label.to_string());
        }
    }
    missing
}

fn local_date(now: Timestamp, loc: &Location) -> Date {
    now.to_jiff()
        .to_zoned_datetime(loc.time_zone.zone().clone())
        .date()
}

impl App {
    /// Records the caller's own prescriber licence number and NPI, which
    /// every prescription they issue carries.
    pub async fn set_prescriber_credentials(
        &self,
        caller: &Caller,
        license: &str,
        npi: &str,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Prescription, Action::Create, None)
            .await?;
        let mut e = ValidationErrors::new();
        let license = license.trim();
        if license.is_empty() || license.chars().count() > 40 {
            e.add(
                "license",
                "write the licence number as on the state licence (1–40 characters)",
            );
        }
        let npi = kerato_domain::providers::Npi::parse(npi);
        if let Err(m) = &npi {
            e.add("npi", m.clone());
        }
        e.into_result(())?;
        let npi = npi.map_err(|m| ValidationErrors::single("npi", m))?;
        let tx = self.store.write().await?;
        let act = Act::new(
            Action::Update,
            clinical(caller, None, Resource::Prescription),
            "prescriber credentials",
        )
        .id(caller.actor.user_id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_credentials(
            &mut tx,
            caller.actor.user_id,
            license,
            npi.as_str(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens an exam for a patient at a location with a template.
    pub async fn start_exam(
        &self,
        caller: &Caller,
        patient: PatientId,
        location: LocationId,
        template: &str,
        appointment: Option<AppointmentId>,
    ) -> Result<ExamRow, AppError> {
        self.require(
            caller,
            Resource::ClinicalNote,
            Action::Create,
            Some(location),
        )
        .await?;
        let template =
            Template::parse(template).map_err(|m| ValidationErrors::single("template", m))?;
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
        let exam = ExamRow {
            id: ExamId::new(self.now(), self.random_id_bits()),
            organisation_id: org,
            location_id: location,
            patient_id: patient,
            appointment_id: appointment,
            template: template.key().to_string(),
            status: "draft".into(),
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

    /// Loads an exam in `tx` and checks it is the caller's practice's.
    async fn exam_in(&self, tx: &mut Tx, caller: &Caller, id: ExamId) -> Result<ExamRow, AppError> {
        store::find_exam(tx, id)
            .await?
            .filter(|e| e.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("exam"))
    }

    fn exam_act(
        &self,
        caller: &Caller,
        action: Action,
        exam: &ExamRow,
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

    async fn view_in(&self, tx: &mut Tx, exam: ExamRow) -> Result<ExamView, AppError> {
        let template = Template::parse(&exam.template).map_err(AppError::corrupt)?;
        let saved = store::sections(tx, exam.id).await?;
        let amendments = store::amendments(tx, exam.id).await?;
        let mut sections = Vec::new();
        for s in template.sections() {
            let original = match saved.iter().find(|r| r.section == s.key()) {
                Some(r) => from_json(&r.data)?,
                None => SectionData::new(),
            };
            let last = amendments.iter().rev().find(|a| a.section == s.key());
            let current = match last {
                Some(a) => from_json(&a.data)?,
                None => original.clone(),
            };
            sections.push(SectionView {
                section: *s,
                original,
                current,
                amended: last.is_some(),
            });
        }
        let prescriptions = store::prescriptions_of_exam(tx, exam.id).await?;
        Ok(ExamView {
            exam,
            template,
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
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        let act = self.exam_act(caller, Action::View, &exam, "eye exam");
        let mut tx = self.guard(tx, caller, act).await?;
        let view = self.view_in(&mut tx, exam).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// A patient's exams, newest first.
    pub async fn exams_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<ExamRow>, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Query, None)
            .await?;
        let tx = self.store.write().await?;
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
        tx.commit().await?;
        Ok(exams)
    }

    fn section_of(template: &str, key: &str) -> Result<Section, AppError> {
        let section = Section::parse(key).map_err(|m| ValidationErrors::single("section", m))?;
        let t = Template::parse(template).map_err(AppError::corrupt)?;
        if !t.sections().contains(&section) {
            return Err(ValidationErrors::single(
                "section",
                format!("a {} has no {} section", t.label(), section.label()),
            )
            .into());
        }
        Ok(section)
    }

    /// Saves one section of a draft exam (the screen auto-saves each
    /// section as it is left). A signed exam refuses: amend it instead.
    pub async fn save_exam_section(
        &self,
        caller: &Caller,
        id: ExamId,
        section: &str,
        input: &BTreeMap<String, String>,
    ) -> Result<SectionData, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        let section = Self::section_of(&exam.template, section)?;
        if exam.status != "draft" {
            return Err(AppError::Conflict(
                "this exam is signed and cannot be edited; add an amendment instead".into(),
            ));
        }
        let data = validate_section(section, input)?;
        let before = store::sections(&mut tx, id)
            .await?
            .into_iter()
            .find(|s| s.section == section.key())
            .map(|s| s.data);
        let mut act = self.exam_act(caller, Action::Update, &exam, "eye exam section");
        act.old = before;
        act.new = Some(to_json(&data));
        let mut tx = self.guard(tx, caller, act).await?;
        store::save_section(
            &mut tx,
            id,
            section.key(),
            &to_json(&data),
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
        let (previous, key) = {
            self.require(caller, Resource::ClinicalNote, Action::Update, None)
                .await?;
            let mut tx = self.store.write().await?;
            let exam = self.exam_in(&mut tx, caller, id).await?;
            let section = Self::section_of(&exam.template, section)?;
            let previous =
                store::previous_section(&mut tx, exam.patient_id, section.key(), exam.created_at)
                    .await?;
            (previous, section.key())
        };
        let Some((_, data)) = previous else {
            return Ok(None);
        };
        let data = from_json(&data)?;
        self.save_exam_section(caller, id, key, &data)
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
        input: &BTreeMap<String, String>,
        reason: &str,
    ) -> Result<i64, AppError> {
        self.require(caller, Resource::ClinicalNote, Action::Update, None)
            .await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON {
            return Err(ValidationErrors::single(
                "reason",
                format!("say why the signed exam is amended (1–{MAX_REASON} characters)"),
            )
            .into());
        }
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        let section = Self::section_of(&exam.template, section)?;
        if exam.status != "signed" {
            return Err(AppError::Conflict(
                "this exam is still a draft; edit the section directly".into(),
            ));
        }
        let data = validate_section(section, input)?;
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
            section.key(),
            &to_json(&data),
            reason,
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Signs and locks the exam, and issues and releases its
    /// prescriptions: a spectacle prescription from the final refraction
    /// and a contact lens prescription from the fit, whichever the exam
    /// has, whether or not the patient asked (16 CFR 456.2, 315.3).
    pub async fn sign_exam(
        &self,
        caller: &Caller,
        id: ExamId,
        input: &SignInput,
    ) -> Result<Vec<PrescriptionRow>, AppError> {
        self.require(caller, Resource::Prescription, Action::Create, None)
            .await?;
        let delivery = match input.delivery.as_str() {
            "" | "paper" => "paper",
            "digital" => "digital",
            _ => {
                return Err(ValidationErrors::single(
                    "delivery",
                    "hand the prescription over on paper or digitally",
                )
                .into());
            }
        };
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        if exam.status != "draft" {
            return Err(AppError::Conflict("this exam is already signed".into()));
        }
        let view = self.view_in(&mut tx, exam.clone()).await?;
        let loc = tenancy::get_location(&mut tx, org, exam.location_id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let issued = local_date(self.now(), &loc);
        let mut planned = Vec::new();
        for (section, kind) in [
            (Section::Final, RxKind::Spectacle),
            (Section::ContactLens, RxKind::ContactLens),
        ] {
            let Some(s) = view.sections.iter().find(|s| s.section == section) else {
                continue;
            };
            if !["od.sphere", "os.sphere"]
                .iter()
                .any(|k| s.current.contains_key(*k))
            {
                continue;
            }
            let (months, reason) = match kind {
                RxKind::ContactLens => (input.cl_months, input.medical_reason.as_deref()),
                RxKind::Spectacle => (None, None),
            };
            let expires = ftc::expiration(issued, kind, &loc.address.state, months, reason)
                .map_err(|m| ValidationErrors::single("cl_months", m))?;
            let missing = missing_rx_fields(kind, &loc.address.state, &s.current);
            if !missing.is_empty() {
                return Err(ValidationErrors::single(
                    section.key(),
                    format!(
                        "the {} prescription must carry {} ({} rules); complete the {} section",
                        kind.label().to_lowercase(),
                        missing.join(", "),
                        loc.address.state,
                        section.label()
                    ),
                )
                .into());
            }
            planned.push((kind, s.current.clone(), expires, reason.map(str::to_string)));
        }
        let credentials = store::credentials(&mut tx, caller.actor.user_id).await?;
        if !planned.is_empty() && credentials.is_none() {
            return Err(ValidationErrors::single(
                "license",
                "record your licence number and NPI before signing an exam that issues a prescription",
            )
            .into());
        }
        // Digital delivery is by e-mail, to the address on the chart, and
        // only with the patient's recorded consent to it (16 CFR 456.2).
        let mut send_to = None;
        if delivery == "digital" && !planned.is_empty() {
            if store::digital_consent(&mut tx, exam.patient_id)
                .await?
                .is_none()
            {
                return Err(ValidationErrors::single(
                    "delivery",
                    "the patient has not consented to digital delivery; hand it over on paper or record their consent first",
                )
                .into());
            }
            let email = patient_store::find_patient(&mut tx, exam.patient_id)
                .await?
                .and_then(|p| p.fields.email);
            let Some(email) = email else {
                return Err(ValidationErrors::single(
                    "delivery",
                    "the chart has no e-mail address to send the prescription to; add one or hand it over on paper",
                )
                .into());
            };
            let practice = tenancy::get_organisation(&mut tx, org)
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            send_to = Some((email, practice));
        }
        let act = self.exam_act(caller, Action::Update, &exam, "eye exam signature");
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::sign_exam(&mut tx, id, caller.actor.user_id, self.now()).await? {
            return Err(AppError::Conflict("this exam is already signed".into()));
        }
        let signer = users::get_user(&mut tx, caller.actor.user_id)
            .await?
            .map(|(u, _)| u.display_name)
            .unwrap_or_else(|| caller.display_name.clone());
        let (license, npi) = credentials.unwrap_or_default();
        let mut issued_rx = Vec::new();
        for (kind, body, expires, reason) in planned {
            let rx = PrescriptionRow {
                id: PrescriptionId::new(self.now(), self.random_id_bits()),
                organisation_id: org,
                patient_id: exam.patient_id,
                exam_id: exam.id,
                kind: match kind {
                    RxKind::Spectacle => "spectacle",
                    RxKind::ContactLens => "contact_lens",
                }
                .into(),
                state: loc.address.state.clone(),
                prescriber_user_id: caller.actor.user_id,
                prescriber_name: signer.clone(),
                prescriber_license: license.clone(),
                prescriber_npi: npi.clone(),
                body: to_json(&body),
                issued_on: issued.to_string(),
                expires_on: expires.to_string(),
                medical_reason: reason,
                created_at: self.now(),
            };
            let mut act = Act::new(
                Action::Create,
                clinical(caller, Some(exam.location_id), Resource::Prescription),
                "prescription release",
            )
            .id(rx.id);
            act.patient_id = Some(exam.patient_id.to_string());
            act.new = Some(rx.body.clone());
            if let Some(why) = self.guard_in(&mut tx, caller, &act).await? {
                drop(tx);
                return Err(self.record_denial(caller, &act, why).await?);
            }
            store::insert_prescription(&mut tx, &rx).await?;
            store::insert_release(&mut tx, rx.id, delivery, caller.actor.user_id, self.now())
                .await?;
            if let Some((email, practice)) = &send_to {
                let (subject, body) = rx_message(&rx, practice)?;
                self.queue_once(
                    &mut tx,
                    &format!("rx-release:{}", rx.id),
                    kerato_store::outbox::Envelope {
                        channel: "email",
                        recipient: email,
                        subject: &subject,
                        body: &body,
                    },
                )
                .await?;
            }
            issued_rx.push(rx);
        }
        tx.commit().await?;
        Ok(issued_rx)
    }

    async fn prescription_in(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        id: PrescriptionId,
    ) -> Result<PrescriptionRow, AppError> {
        store::find_prescription(tx, id)
            .await?
            .filter(|r| r.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("prescription"))
    }

    fn rx_act(
        &self,
        caller: &Caller,
        action: Action,
        rx: &PrescriptionRow,
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

    /// A prescription with its releases and confirmation; the read is
    /// audited.
    pub async fn prescription(
        &self,
        caller: &Caller,
        id: PrescriptionId,
    ) -> Result<
        (
            PrescriptionRow,
            Vec<(Timestamp, String)>,
            Option<ConfirmationRow>,
        ),
        AppError,
    > {
        self.require(caller, Resource::Prescription, Action::View, None)
            .await?;
        let mut tx = self.store.write().await?;
        let rx = self.prescription_in(&mut tx, caller, id).await?;
        let act = self.rx_act(caller, Action::View, &rx, "prescription");
        let mut tx = self.guard(tx, caller, act).await?;
        let releases = store::releases(&mut tx, id).await?;
        let confirmation = store::confirmation(&mut tx, id).await?;
        tx.commit().await?;
        Ok((rx, releases, confirmation))
    }

    /// Records the patient's signed confirmation of receipt (`signed`,
    /// with the name they signed) or their refusal to sign (`refused`,
    /// noted and signed by the staff member), kept three years.
    pub async fn record_rx_confirmation(
        &self,
        caller: &Caller,
        id: PrescriptionId,
        outcome: &str,
        signer_name: &str,
    ) -> Result<ConfirmationRow, AppError> {
        self.require(caller, Resource::Prescription, Action::Update, None)
            .await?;
        let mut e = ValidationErrors::new();
        if !matches!(outcome, "signed" | "refused") {
            e.add(
                "outcome",
                "record that the patient signed, or that they refused to sign",
            );
        }
        let signer_name = signer_name.trim();
        if outcome == "signed" && (signer_name.is_empty() || signer_name.chars().count() > 200) {
            e.add("signer_name", "type the name the patient signed with");
        }
        e.into_result(())?;
        let mut tx = self.store.write().await?;
        let rx = self.prescription_in(&mut tx, caller, id).await?;
        let today = self
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let row = ConfirmationRow {
            prescription_id: id,
            organisation_id: rx.organisation_id,
            outcome: outcome.to_string(),
            signer_name: if outcome == "refused" {
                format!("refused; noted by {}", caller.display_name)
            } else {
                signer_name.to_string()
            },
            recorded_at: self.now(),
            recorded_by: caller.actor.user_id,
            keep_until: ftc::confirmation_deletable_after(today).to_string(),
        };
        let mut act = self.rx_act(caller, Action::Update, &rx, "prescription confirmation");
        act.new = Some(format!("{{\"outcome\":\"{outcome}\"}}"));
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::insert_confirmation(&mut tx, &row).await? {
            return Err(AppError::Conflict(
                "this prescription's confirmation is already recorded".into(),
            ));
        }
        tx.commit().await?;
        Ok(row)
    }

    /// Records that the patient consents to receive prescriptions
    /// digitally, on `channel` (`email`, the one method offered now).
    pub async fn record_rx_digital_consent(
        &self,
        caller: &Caller,
        patient: PatientId,
        channel: &str,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        if channel != "email" {
            return Err(ValidationErrors::single(
                "channel",
                "digital delivery is by e-mail (the patient portal is not available yet)",
            )
            .into());
        }
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
        store::set_digital_consent(&mut tx, patient, channel, caller.actor.user_id, self.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The business calendar of a location: the FTC's hours in its zone,
    /// closed on federal holidays and on the location's own closures.
    pub(crate) async fn calendar(
        &self,
        tx: &mut Tx,
        loc: &Location,
    ) -> Result<BusinessCalendar, AppError> {
        let zone = loc.time_zone.zone().clone();
        let closed = store::location_closures(tx, loc.id).await?;
        let mut days = Vec::new();
        for (start, end) in closed {
            let mut d = start.to_jiff().to_zoned_datetime(zone.clone()).date();
            let last = end.to_jiff().to_zoned_datetime(zone.clone()).date();
            while d < last && days.len() < 1000 {
                days.push(d);
                d = d.tomorrow().map_err(AppError::corrupt)?;
            }
        }
        Ok(BusinessCalendar::federal(zone).with_extra_holidays(days))
    }

    /// Logs a seller's verification request or an agent's copy request;
    /// its deadline (8 or 40 business hours) is fixed now.
    pub async fn receive_rx_request(
        &self,
        caller: &Caller,
        input: &RxRequestInput,
    ) -> Result<RxRequestRow, AppError> {
        self.require(caller, Resource::Prescription, Action::Create, None)
            .await?;
        let mut e = ValidationErrors::new();
        if !matches!(input.kind.as_str(), "verification" | "agent_copy") {
            e.add(
                "kind",
                "a request is a seller's verification or an agent's request for a copy",
            );
        }
        for (field, value, max) in [
            ("requester", &input.requester, 200),
            ("requester_contact", &input.requester_contact, 200),
            ("patient_name", &input.patient_name, 200),
            ("details", &input.details, 2000),
        ] {
            let n = value.trim().chars().count();
            if n == 0 || n > max {
                e.add(field, format!("required, at most {max} characters"));
            }
        }
        let location: Option<LocationId> = input
            .location_id
            .parse()
            .map_err(|_| e.add("location_id", "choose the location the request is for"))
            .ok();
        let received_at = input.received_at.unwrap_or_else(|| self.now());
        if received_at > self.now() {
            e.add("received_at", "a request cannot arrive in the future");
        }
        let location = e
            .into_result(location)?
            .ok_or(AppError::NotFound("location"))?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let loc = tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or_else(|| {
                ValidationErrors::single("location_id", "no such location in this practice")
            })?;
        let calendar = self.calendar(&mut tx, &loc).await?;
        let due_at = if input.kind == "verification" {
            verification_deadline(received_at, &calendar)
        } else {
            agent_copy_deadline(received_at, &calendar)
        };
        let row = RxRequestRow {
            id: RxRequestId::new(self.now(), self.random_id_bits()),
            organisation_id: org,
            kind: input.kind.clone(),
            requester: input.requester.trim().to_string(),
            requester_contact: input.requester_contact.trim().to_string(),
            patient_name: input.patient_name.trim().to_string(),
            patient_id: None,
            prescription_id: None,
            details: input.details.trim().to_string(),
            received_at,
            due_at,
            answer: None,
            answer_note: None,
            answered_at: None,
            answered_by: None,
        };
        let act = Act::new(
            Action::Create,
            clinical(caller, Some(location), Resource::Prescription),
            "prescription request",
        )
        .id(row.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_request(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row)
    }

    fn request_view(&self, r: RxRequestRow, calendar: Option<&BusinessCalendar>) -> RxRequestView {
        let now = self.now();
        let minutes_left = match calendar {
            Some(c) if r.answered_at.is_none() && now < r.due_at => {
                c.business_hours_between(now, r.due_at).as_mins()
            }
            _ => 0,
        };
        // The deadline fixed when the request arrived decides, whatever
        // calendar the caller has at hand now.
        let on_time = r.answered_at.map(|at| at <= r.due_at);
        let status = match (r.kind.as_str(), r.answered_at, r.answer.as_deref()) {
            ("verification", None, _) if now > r.due_at => "passively verified",
            ("verification", Some(at), _) if at > r.due_at => "passively verified",
            ("verification", Some(_), Some("confirmed")) => "verified",
            ("verification", Some(_), Some("corrected")) => "corrected",
            ("verification", Some(_), _) => "invalid",
            (_, Some(_), _) => "sent",
            (_, None, _) if now > r.due_at => "overdue",
            _ => "pending",
        }
        .to_string();
        RxRequestView {
            request: r,
            status,
            answered_on_time: on_time,
            minutes_left,
        }
    }

    /// The requests inbox: unanswered requests by deadline, with the
    /// business time left on each.
    pub async fn rx_requests(&self, caller: &Caller) -> Result<Vec<RxRequestView>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Prescription,
                "prescription requests",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let rows = store::requests(
            &mut tx,
            org,
            Timestamp::from_micros(0),
            Timestamp::from_micros(i64::MAX),
            true,
        )
        .await?;
        let calendar = match tenancy::list_locations(&mut tx, org).await?.first() {
            Some(loc) => Some(self.calendar(&mut tx, loc).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| self.request_view(r, calendar.as_ref()))
            .collect())
    }

    /// Answers a request: for a verification `confirmed`, `corrected` or
    /// `invalid` (with the reason, which the seller must be told); for an
    /// agent's copy `sent` (with how it was sent).
    pub async fn answer_rx_request(
        &self,
        caller: &Caller,
        id: RxRequestId,
        answer: &str,
        note: &str,
    ) -> Result<RxRequestView, AppError> {
        self.require(caller, Resource::Prescription, Action::Update, None)
            .await?;
        let note = note.trim();
        if note.chars().count() > MAX_REASON {
            return Err(ValidationErrors::single(
                "note",
                format!("at most {MAX_REASON} characters"),
            )
            .into());
        }
        let mut tx = self.store.write().await?;
        let r = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("request"))?;
        let allowed: &[&str] = if r.kind == "verification" {
            &["confirmed", "corrected", "invalid"]
        } else {
            &["sent"]
        };
        if !allowed.contains(&answer) {
            return Err(ValidationErrors::single(
                "answer",
                format!("answer with one of {}", allowed.join(", ")),
            )
            .into());
        }
        if answer == "invalid" {
            VerificationAnswer::invalid(note).map_err(|m| ValidationErrors::single("note", m))?;
        }
        let act = Act::new(
            Action::Update,
            clinical(caller, None, Resource::Prescription),
            "prescription request",
        )
        .id(id);
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::answer_request(&mut tx, id, answer, note, caller.actor.user_id, self.now())
            .await?
        {
            return Err(AppError::Conflict(
                "this request is already answered".into(),
            ));
        }
        let answered = store::find_request(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("request"))?;
        tx.commit().await?;
        Ok(self.request_view(answered, None))
    }

    /// The FTC compliance report for `[from, until)` (dates, UTC days):
    /// prescriptions issued and released, confirmations and refusals,
    /// verification answers on time, late or passive, agents' copies.
    pub async fn ftc_report(
        &self,
        caller: &Caller,
        from: Date,
        until: Date,
    ) -> Result<FtcReport, AppError> {
        if until <= from {
            return Err(
                ValidationErrors::single("until", "the period must end after it starts").into(),
            );
        }
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Prescription,
                "ftc compliance report",
            )
            .await?;
        let at = |d: Date| -> Result<Timestamp, AppError> {
            jiff::tz::TimeZone::UTC
                .to_ambiguous_zoned_datetime(d.to_datetime(jiff::civil::Time::midnight()))
                .compatible()
                .map(|z| Timestamp::from_jiff(z.timestamp()))
                .map_err(|e| ValidationErrors::single("from", e.to_string()).into())
        };
        let (start, end) = (at(from)?, at(until)?);
        let org = caller.actor.organisation_id;
        let (prescriptions, released, signed, refused) =
            store::release_counts(&mut tx, org, start, end).await?;
        let mut report = FtcReport {
            from: from.to_string(),
            until: until.to_string(),
            prescriptions,
            released,
            confirmations_signed: signed,
            refusals_recorded: refused,
            without_confirmation: prescriptions - signed - refused,
            ..FtcReport::default()
        };
        for r in store::requests(&mut tx, org, start, end, false).await? {
            let view = self.request_view(r, None);
            if view.request.kind == "verification" {
                report.verifications += 1;
                match (view.answered_on_time, view.status.as_str()) {
                    (Some(true), _) => report.verifications_answered_on_time += 1,
                    (Some(false), _) => {
                        report.verifications_answered_late += 1;
                        report.passively_verified += 1;
                    }
                    (None, "passively verified") => report.passively_verified += 1,
                    _ => report.verifications_pending += 1,
                }
            } else {
                report.agent_copies += 1;
                if view.answered_on_time == Some(true) {
                    report.agent_copies_on_time += 1;
                } else {
                    report.agent_copies_late_or_open += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// The columns of each kind of prescription, as (field, heading).
const SPECTACLE_COLUMNS: [(&str, &str); 5] = [
    ("sphere", "Sphere"),
    ("cylinder", "Cylinder"),
    ("axis", "Axis"),
    ("add", "Add"),
    ("prism", "Prism"),
];
const CONTACT_LENS_COLUMNS: [(&str, &str); 7] = [
    ("brand", "Brand"),
    ("base_curve", "Base curve"),
    ("diameter", "Diameter"),
    ("sphere", "Sphere"),
    ("cylinder", "Cylinder"),
    ("axis", "Axis"),
    ("add", "Add"),
];

/// The model confirmation statement of 16 CFR 456.4(a).
pub const CONFIRMATION_STATEMENT: &str = "My eye care professional provided me with a copy of my prescription at the completion of my examination.";

/// A prescription's table: its headings, and one row per eye.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxTable {
    pub columns: Vec<String>,
    /// (OD or OS, one cell per column).
    pub rows: Vec<(String, Vec<String>)>,
}

/// The table a prescription prints as.
pub fn rx_table(rx: &PrescriptionRow) -> Result<RxTable, AppError> {
    let body = from_json(&rx.body)?;
    let columns: &[(&str, &str)] = if rx.kind == "contact_lens" {
        &CONTACT_LENS_COLUMNS
    } else {
        &SPECTACLE_COLUMNS
    };
    let rows = ["od", "os"]
        .iter()
        .map(|eye| {
            let cells = columns
                .iter()
                .map(|(f, _)| body.get(&format!("{eye}.{f}")).cloned().unwrap_or_default())
                .collect();
            (eye.to_uppercase(), cells)
        })
        .collect();
    Ok(RxTable {
        columns: columns.iter().map(|(_, h)| (*h).to_string()).collect(),
        rows,
    })
}

/// The e-mail that delivers a prescription digitally: its values, dates
/// and prescriber, as on the printed copy.
fn rx_message(rx: &PrescriptionRow, practice: &str) -> Result<(String, String), AppError> {
    let title = if rx.kind == "contact_lens" {
        "contact lens prescription"
    } else {
        "eyeglass prescription"
    };
    let table = rx_table(rx)?;
    let mut body = format!("Here is your {title} from {practice}.\n\n");
    for (eye, cells) in &table.rows {
        let values: Vec<String> = table
            .columns
            .iter()
            .zip(cells)
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| format!("{c} {v}"))
            .collect();
        body.push_str(&format!("{eye}: {}\n", values.join(", ")));
    }
    body.push_str(&format!(
        "\nIssued {} and valid until {}.\nPrescriber: {}, licence {}, NPI {}.\n\nAsk us for a printed copy at any time.\n",
        rx.issued_on, rx.expires_on, rx.prescriber_name, rx.prescriber_license, rx.prescriber_npi
    ));
    Ok((format!("Your {title}"), body))
}

impl App {
    /// The prescription as a PDF to print or send; audited as a print.
    pub async fn prescription_pdf(
        &self,
        caller: &Caller,
        id: PrescriptionId,
    ) -> Result<Vec<u8>, AppError> {
        use kerato_formats::rx_pdf::{RxPdf, RxPdfKind, RxPdfRow, render};
        self.require(caller, Resource::Prescription, Action::Print, None)
            .await?;
        let mut tx = self.store.write().await?;
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
        let RxTable { columns, rows } = rx_table(&rx)?;
        let body = from_json(&rx.body)?;
        let mut notes = Vec::new();
        if let Some(pd) = body.get("pd") {
            notes.push(format!("PD {pd} mm"));
        }
        if let Some(r) = body.get("replacement") {
            notes.push(format!("Replacement: {}", r.replace('_', " ")));
        }
        if let Some(q) = body.get("quantity") {
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
            kind: if rx.kind == "contact_lens" {
                RxPdfKind::ContactLens
            } else {
                RxPdfKind::Spectacle
            },
            practice_name: format!("{} — {}", practice.name, loc.name),
            practice_address: address,
            practice_phone: None,
            prescriber_name: rx.prescriber_name.clone(),
            prescriber_license: rx.prescriber_license.clone(),
            prescriber_npi: rx.prescriber_npi.clone(),
            patient_name: format!("{} {}", f.legal_first_name, f.legal_last_name),
            patient_dob: f.date_of_birth.to_string(),
            issued_on: rx.issued_on.clone(),
            expires_on: rx.expires_on.clone(),
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

/// One exam's point on the patient's trend charts: logMAR visual acuity
/// (with correction when measured, else without) and IOP, per eye.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendPoint {
    pub date: String,
    pub log_mar: [Option<f64>; 2],
    pub iop: [Option<i64>; 2],
}

impl App {
    /// The patient's acuity and pressure over their exams, oldest first;
    /// exams that measured neither are left out. The read is audited.
    pub async fn eye_trends(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<TrendPoint>, AppError> {
        use kerato_domain::optics::VisualAcuity;
        let exams = self.exams_of_patient(caller, patient).await?;
        let mut tx = self.store.read().await?;
        let mut points = Vec::new();
        for exam in exams.into_iter().rev() {
            let view = self.view_in(&mut tx, exam).await?;
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
            for (i, eye) in ["od", "os"].iter().enumerate() {
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
            if point.log_mar.iter().any(Option::is_some) || point.iop.iter().any(Option::is_some) {
                points.push(point);
            }
        }
        Ok(points)
    }
}
