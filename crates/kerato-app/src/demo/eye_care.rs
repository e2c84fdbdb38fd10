//! The eye clinic's last seven months: the technician opens each exam and
//! takes the acuities; the optometrist records the refraction, the fit,
//! the pressures and the assessment, and signs, which issues and releases
//! the spectacle and contact lens prescriptions; patients sign for their
//! copy, and one refuses. A seller's verification request answered in
//! time, and one waiting now with its business hours running.

use std::collections::BTreeMap;

use kerato_domain::eye::exam::{SectionEntry, StartExamInput, Template};
use kerato_domain::eye::prescription::{ConfirmationInput, ConfirmationRaw, SignInput};
use kerato_domain::eye::requests::{RxAnswerInput, RxRequestAnswer, RxRequestInput, RxRequestRaw};
use kerato_domain::identity::Role;
use kerato_domain::ids::LocationId;
use kerato_domain::input::ParseInput;
use kerato_domain::patients::Patient;

use super::front_desk::full_name;
use super::history::History;
use super::practice::Staff;
use crate::{App, AppError, Caller};

/// How many exams are signed, one every nine days back from yesterday.
const EXAMS: usize = 24;
/// The first chart the eye clinic sees; twenty charts from there, so the
/// four oldest exams are return visits of the four newest's patients.
const FIRST_PATIENT: usize = 40;
const CHARTS: usize = 20;

/// What kind of visit exam `i` (0 the newest) was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    /// Comprehensive: a spectacle prescription.
    Comprehensive,
    /// Contact lens exam: a contact lens and a spectacle prescription.
    ContactLens,
    /// Glaucoma follow-up: pressures and discs, no prescription.
    Glaucoma,
}

fn visit(i: usize) -> Visit {
    match i % CHARTS {
        2 | 3 => Visit::Glaucoma,
        n if n % 4 == 1 => Visit::ContactLens,
        _ => Visit::Comprehensive,
    }
}

/// Exam `i`'s lens: brand, base curve, diameter, replacement, quantity.
fn lens(
    i: usize,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    [
        (
            "Acuvue Oasys",
            "8.4",
            "14.0",
            "two_weeks",
            "4 boxes of 6 per eye",
        ),
        (
            "Biofinity",
            "8.6",
            "14.0",
            "monthly",
            "2 boxes of 6 per eye",
        ),
        (
            "Dailies Total1",
            "8.5",
            "14.1",
            "daily",
            "4 boxes of 90 per eye",
        ),
    ][i % 3]
}

/// A section's key and the values typed into it.
type Entry = (&'static str, BTreeMap<String, String>);

fn fields(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

/// A power in quarter diopters, as a clinician writes it.
fn power(quarters: i64) -> String {
    format!("{:+.2}", quarters as f64 / 4.0)
}

/// Exam `i`'s refraction for one eye (`eye` 0 for OD, 1 for OS): myopes
/// and hyperopes, some with astigmatism, never plano.
fn refraction(i: usize, eye: usize) -> Vec<(&'static str, String)> {
    let base = (i as i64 * 7) % 30 - 22;
    let sphere = if base + eye as i64 == 0 {
        1
    } else {
        base + eye as i64
    };
    let mut out = vec![("sphere", power(sphere))];
    let cylinder = (i as i64 * 3 + eye as i64) % 6;
    if cylinder > 0 {
        out.push(("cylinder", power(-cylinder)));
        out.push(("axis", (5 + (i * 37 + eye * 20) % 176).to_string()));
    }
    out
}

/// The sphere of exam `i`'s refraction for one eye.
fn power_of(i: usize, eye: usize) -> String {
    refraction(i, eye)
        .into_iter()
        .next()
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn per_eye(i: usize, extra: &[(&'static str, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (eye, prefix) in ["od", "os"].iter().enumerate() {
        for (k, v) in refraction(i, eye).into_iter().chain(extra.iter().cloned()) {
            out.push((format!("{prefix}.{k}"), v));
        }
    }
    out
}

fn assessment(diagnoses: &str, assessment: &str, plan: &str) -> Entry {
    (
        "assessment",
        fields(&[
            ("diagnoses", diagnoses.into()),
            ("assessment", assessment.into()),
            ("plan", plan.into()),
        ]),
    )
}

/// The sections of exam `i` as entered: the technician's, then the
/// optometrist's.
fn sections(i: usize, age: i16) -> (Vec<Entry>, Vec<Entry>) {
    let va = ["20/20", "20/25", "20/20-1", "20/30"][i % 4].to_string();
    let tech = vec![(
        "acuity",
        fields(&[
            ("od.distance_sc", "20/60".into()),
            ("os.distance_sc", "20/50".into()),
            ("od.distance_cc", va.clone()),
            ("os.distance_cc", "20/20".into()),
        ]),
    )];
    let presbyope = age >= 45;
    let mut final_extra = vec![("va", va.clone())];
    if presbyope {
        final_extra.push(("add", power(6 + i64::from(age.min(65) - 45) / 5)));
    }
    let mut final_rx: Vec<(String, String)> = per_eye(i, &final_extra);
    final_rx.push(("pd".into(), ["63", "61", "65", "59"][i % 4].into()));
    let final_rx: BTreeMap<String, String> = final_rx.into_iter().collect();
    let myope = power_of(i, 0).starts_with('-');
    let refractive = if myope { "H52.13" } else { "H52.03" };
    let mut diagnoses = vec![refractive];
    if presbyope {
        diagnoses.push("H52.4");
    }
    let pressures = |od: u32, os: u32| {
        fields(&[
            ("od.pressure", od.to_string()),
            ("os.pressure", os.to_string()),
            ("method", "goldmann".into()),
            ("time", "10:15".into()),
        ])
    };
    let doctor = match visit(i) {
        Visit::Comprehensive => vec![
            ("final", final_rx),
            ("iop", pressures(14 + (i % 5) as u32, 15 + (i % 4) as u32)),
            assessment(
                &diagnoses.join(", "),
                "Healthy eyes; refractive error updated.",
                "New spectacle prescription released. Return in 12 months.",
            ),
        ],
        Visit::ContactLens => {
            let (brand, curve, diameter, replacement, quantity) = lens(i);
            let fit = per_eye(
                i,
                &[
                    ("brand", brand.into()),
                    ("base_curve", curve.into()),
                    ("diameter", diameter.into()),
                ],
            )
            .into_iter()
            .chain([
                ("replacement".to_string(), replacement.to_string()),
                ("quantity".to_string(), quantity.to_string()),
            ])
            .collect();
            vec![
                ("contact_lens", fit),
                ("final", final_rx),
                assessment(
                    &diagnoses.join(", "),
                    "Good lens fit and movement; corneas clear.",
                    "Contact lens and spectacle prescriptions released. Return in 12 months.",
                ),
            ]
        }
        Visit::Glaucoma => {
            // The return visit, after drops were started, shows the
            // pressures fallen.
            let (od, os, plan) = if i < CHARTS {
                (
                    17,
                    16,
                    "Pressures at target on latanoprost. Visual field in 6 months.",
                )
            } else {
                (
                    24,
                    23,
                    "Start latanoprost 0.005% at night, both eyes. Recheck pressures in 6 months.",
                )
            };
            vec![
                ("iop", pressures(od, os)),
                (
                    "fundus",
                    fields(&[
                        ("od.cup_disc", "0.65".into()),
                        ("os.cup_disc", "0.60".into()),
                        ("od.macula", "Flat, good reflex".into()),
                        ("os.macula", "Flat, good reflex".into()),
                    ]),
                ),
                assessment(
                    "H40.1131",
                    "Primary open-angle glaucoma, mild, both eyes.",
                    plan,
                ),
            ]
        }
    };
    (tech, doctor)
}

/// Signs the exams, oldest first, and records the confirmations and
/// requests.
pub(super) async fn seed(
    history: &History,
    app: &App,
    staff: &Staff,
    clinic: LocationId,
    patients: &[Patient],
) -> Result<(), AppError> {
    let tech = staff.as_role(Role::Technician)?;
    let doctor = staff.as_role(Role::Optometrist)?;
    let past = history.app();
    let today_year = history.today().year();
    let mut newest_lens_wearer = None;
    for i in (0..EXAMS).rev() {
        let patient = &patients[FIRST_PATIENT + i % CHARTS];
        let age = today_year - patient.fields.date_of_birth.year();
        history.at(1 + 9 * i as i64, 9 + (i % 4) as i8 * 2, 0)?;
        let exam = past
            .start_exam(
                tech,
                patient.id,
                &StartExamInput {
                    location_id: clinic,
                    template: template(visit(i)),
                    appointment_id: None,
                },
            )
            .await?;
        let (tech_sections, doctor_sections) = sections(i, age);
        for (section, data) in &tech_sections {
            past.save_exam_section(tech, exam.id, section, &SectionEntry::parse(data.clone())?)
                .await?;
        }
        history.then(1 + 9 * i as i64, 9 + (i % 4) as i8 * 2, 25)?;
        for (section, data) in &doctor_sections {
            past.save_exam_section(
                doctor,
                exam.id,
                section,
                &SectionEntry::parse(data.clone())?,
            )
            .await?;
        }
        let issued = past
            .sign_exam(doctor, exam.id, &SignInput::default())
            .await?;
        if visit(i) == Visit::ContactLens {
            newest_lens_wearer = Some((patient, i));
        }
        // Six patients sign for their copy; one will not.
        if let Some(rx) = issued.first() {
            let outcome = match i {
                0 | 4 | 6 | 9 | 12 | 15 => "signed",
                7 => "refused",
                _ => continue,
            };
            let confirmation = ConfirmationInput::parse(ConfirmationRaw {
                outcome: outcome.into(),
                signer_name: Some(full_name(patient)),
                acknowledge: Some("yes".into()),
            })?;
            past.record_rx_confirmation(doctor, rx.id, &confirmation)
                .await?;
        }
    }
    if let Some((patient, i)) = newest_lens_wearer {
        let (brand, curve, diameter, _, _) = lens(i);
        let details = format!(
            "{brand} {curve}/{diameter}; OD {} OS {}; 6 boxes; please verify",
            power_of(i, 0),
            power_of(i, 1)
        );
        seed_verifications(history, app, doctor, clinic, patient, &details).await?;
    }
    Ok(())
}

fn template(v: Visit) -> Template {
    match v {
        Visit::Comprehensive => Template::Comprehensive,
        Visit::ContactLens => Template::ContactLensFit,
        Visit::Glaucoma => Template::Glaucoma,
    }
}

/// A seller's verification request answered within its eight business
/// hours three weeks ago, and one that arrived now.
async fn seed_verifications(
    history: &History,
    app: &App,
    doctor: &Caller,
    clinic: LocationId,
    patient: &Patient,
    details: &str,
) -> Result<(), AppError> {
    let request = RxRequestInput::parse(RxRequestRaw {
        kind: "verification".into(),
        location_id: clinic.to_string(),
        requester: "LensDirect Online (fictional seller)".into(),
        requester_contact: "fax (217) 555-0199".into(),
        patient_name: full_name(patient),
        details: details.into(),
        received_at: None,
    })?;
    history.at(20, 9, 30)?;
    let answered = history.app().receive_rx_request(doctor, &request).await?;
    history.then(20, 11, 0)?;
    history
        .app()
        .answer_rx_request(
            doctor,
            answered.id,
            &RxAnswerInput {
                answer: RxRequestAnswer::Confirmed,
                note: String::new(),
            },
        )
        .await?;
    app.receive_rx_request(doctor, &request).await?;
    Ok(())
}
