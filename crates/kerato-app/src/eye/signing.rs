//! Signing an exam: it locks, and the prescriptions it holds are issued
//! and released at once, on paper or by e-mail; and the prescriber's
//! credentials every prescription carries.

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::eye::exam::{ExamStatus, Section, SectionData};
use kerato_domain::eye::ftc::{self, RxKind};
use kerato_domain::eye::prescription::{
    Delivery, PrescriberCredentialsInput, Prescription, SignInput,
};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{ExamId, PrescriptionId};
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
use kerato_store::{eye as store, identity as users, patients as patient_store, tenancy};

use super::{clinical, to_json};
use crate::authz::{Act, Caller};
use crate::{App, AppError};

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

/// The e-mail that delivers a prescription digitally: its values, dates
/// and prescriber, as on the printed copy.
fn rx_message(rx: &Prescription, practice: &str) -> (String, String) {
    let title = rx.kind.title().to_lowercase();
    let table = rx.table();
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
    (format!("Your {title}"), body)
}

impl App {
    /// Records the caller's own prescriber licence number and NPI, which
    /// every prescription they issue carries.
    pub async fn set_prescriber_credentials(
        &self,
        caller: &Caller,
        input: &PrescriberCredentialsInput,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Prescription, Action::Create, None)
            .await?;
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
            &input.license,
            input.npi.as_str(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
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
    ) -> Result<Vec<Prescription>, AppError> {
        self.require(caller, Resource::Prescription, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let exam = self.exam_in(&mut tx, caller, id).await?;
        if exam.status != ExamStatus::Draft {
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
        if input.delivery == Delivery::Digital && !planned.is_empty() {
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
            let rx = Prescription {
                id: PrescriptionId::new(self.now(), self.random_id_bits()),
                organisation_id: org,
                patient_id: exam.patient_id,
                exam_id: exam.id,
                kind,
                state: loc.address.state.clone(),
                prescriber_user_id: caller.actor.user_id,
                prescriber_name: signer.clone(),
                prescriber_license: license.clone(),
                prescriber_npi: npi.clone(),
                body,
                issued_on: issued,
                expires_on: expires,
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
            act.new = Some(to_json(&rx.body));
            if let Some(why) = self.guard_in(&mut tx, caller, &act).await? {
                drop(tx);
                return Err(self.record_denial(caller, &act, why).await?);
            }
            store::insert_prescription(&mut tx, &rx).await?;
            store::insert_release(
                &mut tx,
                rx.id,
                input.delivery,
                caller.actor.user_id,
                self.now(),
            )
            .await?;
            if let Some((email, practice)) = &send_to {
                let (subject, body) = rx_message(&rx, practice);
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
}
