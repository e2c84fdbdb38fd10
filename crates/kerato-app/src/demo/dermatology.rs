//! The dermatology clinic's year: ten patients seen three times each,
//! three months apart, with two lesions each on the body map. One lesion
//! grows and darkens, is photographed at the first and last visits and is
//! biopsied at the last, so the biopsy log holds biopsies at every step of
//! the loop (one overdue for its result, so the alert shows); on one chart
//! the lesions are only watched, and the other lesion is gone at the last
//! visit. And a UVB course under way.

use std::collections::BTreeMap;

use kerato_domain::biopsies::{Biopsy, BiopsyStep, BiopsyUpdate, Diagnosis, NotifyChannel};
use kerato_domain::identity::Role;
use kerato_domain::ids::{LesionId, LocationId};
use kerato_domain::input::ParseInput;
use kerato_domain::lesions::{NewLesion, NewLesionInput, ObservationInput, PhotoUpload, SiteInput};
use kerato_domain::patients::Patient;
use kerato_domain::procedures::NewProcedure;
use kerato_domain::procedures::coding::{BiopsyMethod, PhototherapyKind};
use kerato_domain::procedures::note::{
    Anesthesia, BiopsyRecord, ErythemaGrade, Hemostasis, PhototherapyRecord, ProcedureRecord,
    TangentialDepth, Tenths,
};

use super::history::History;
use super::photos::lesion_photo;
use super::practice::Staff;
use crate::{AppError, Caller};

/// A step of a biopsy's loop after the specimen is taken, and the day
/// (days ago) it was recorded.
#[derive(Debug, Clone, Copy)]
enum Step {
    Send(i64),
    Result(i64, Diagnosis, &'static str),
    Review(i64),
    Notify(i64, NotifyChannel),
    Plan(i64, &'static str),
    Close(i64),
}

/// Each patient's last visit (days ago) and what became of the biopsy
/// taken then; `None` for the patient whose lesions are only watched.
const CHARTS: [(i64, Option<&[Step]>); 10] = [
    (
        200,
        Some(&[
            Step::Send(200),
            Step::Result(
                194,
                Diagnosis::Benign,
                "Compound naevus with mild architectural disorder; margins clear",
            ),
            Step::Review(193),
            Step::Notify(193, NotifyChannel::Phone),
            Step::Plan(193, "Benign: routine full-skin check in 12 months"),
            Step::Close(193),
        ]),
    ),
    (
        45,
        Some(&[
            Step::Send(45),
            Step::Result(
                40,
                Diagnosis::Malignant,
                "Basal cell carcinoma, nodular type, extending to the deep margin",
            ),
            Step::Review(39),
            Step::Notify(38, NotifyChannel::InPerson),
            Step::Plan(
                38,
                "Excision with 4 mm margins, to be booked with Dr. Okafor",
            ),
        ]),
    ),
    (
        25,
        Some(&[
            Step::Send(25),
            Step::Result(
                20,
                Diagnosis::Atypical,
                "Dysplastic naevus with moderate atypia; peripheral margin involved",
            ),
            Step::Review(19),
            Step::Notify(18, NotifyChannel::Phone),
        ]),
    ),
    (
        10,
        Some(&[
            Step::Send(10),
            Step::Result(4, Diagnosis::Benign, "Seborrhoeic keratosis, irritated"),
            Step::Review(2),
        ]),
    ),
    (
        8,
        Some(&[
            Step::Send(8),
            Step::Result(1, Diagnosis::Benign, "Intradermal naevus"),
        ]),
    ),
    (
        6,
        Some(&[
            Step::Send(6),
            Step::Result(
                0,
                Diagnosis::Malignant,
                "Superficial spreading melanoma in situ; margins clear",
            ),
        ]),
    ),
    // Sent twelve days ago and no result yet: past the seven days.
    (12, Some(&[Step::Send(12)])),
    (3, Some(&[Step::Send(3)])),
    // Taken today; the specimen has not gone to the lab yet.
    (0, Some(&[])),
    (30, None),
];

/// The first of the clinic's charts, after the walk-throughs' Amara Smith.
const FIRST_PATIENT: usize = 11;

/// How far apart a patient's visits are, in days.
const VISIT_GAP: i64 = 90;

/// Body map sites: region, side, drawing, pin across and down, and the
/// site as the note names it.
#[rustfmt::skip]
const SITES: [(&str, &str, &str, &str, &str, &str); 12] = [
    ("upper_back", "left", "posterior", "440", "260", "left upper back"),
    ("shoulder", "right", "posterior", "640", "200", "right shoulder"),
    ("cheek", "left", "face", "660", "540", "left cheek"),
    ("chest", "right", "anterior", "440", "250", "right chest"),
    ("forearm", "left", "anterior", "670", "420", "left forearm"),
    ("lower_back", "right", "posterior", "570", "420", "right lower back"),
    ("nose", "midline", "face", "500", "540", "nasal dorsum"),
    ("thigh", "right", "anterior", "440", "640", "right thigh"),
    ("calf", "left", "posterior", "440", "850", "left calf"),
    ("forehead", "right", "face", "420", "280", "right forehead"),
    ("abdomen", "midline", "anterior", "500", "440", "abdomen"),
    ("upper_arm", "right", "anterior", "330", "260", "right upper arm"),
];

/// How many charts' changing lesions are photographed, at their first
/// and last visits.
const PHOTOGRAPHED: usize = 5;
const PHOTO_VISITS: [usize; 2] = [0, 2];

/// The photos the technician takes, by chart and visit.
pub(super) type Photos = BTreeMap<(usize, usize), Vec<u8>>;

/// Draws the photos. It is the seed's slowest work and needs nothing from
/// the store, so [`super::seed`] starts it first, on a thread of its own.
pub(super) fn draw_photos() -> Result<Photos, AppError> {
    let mut photos = Photos::new();
    for k in 0..PHOTOGRAPHED {
        for v in PHOTO_VISITS {
            let (_, size) = changing(k, v, false);
            photos.insert((k, v), lesion_photo(k as u32, size)?);
        }
    }
    Ok(photos)
}

fn site(n: usize) -> SiteInput {
    let (region, side, view, x, y, _) = SITES[n % SITES.len()];
    SiteInput {
        region: region.into(),
        laterality: side.into(),
        view: view.into(),
        x: x.into(),
        y: y.into(),
        ..Default::default()
    }
}

fn mm(tenths: u32) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The changing lesion of chart `k` at visit `v` (0–2): it grows, darkens
/// at the last visit and is then biopsied, unless `watched`.
fn changing(k: usize, v: usize, watched: bool) -> (ObservationInput, u32) {
    let size = 40 + k as u32 * 3 + [0, 5, 12][v];
    let colours: &[&str] = if v == 2 {
        &["brown", "dark_brown"]
    } else {
        &["brown"]
    };
    let face = SITES[k % SITES.len()].2 == "face";
    let (impression, dermoscopy): (&str, &[&str]) = match (v, face) {
        (0, _) => ("benign-appearing naevus", &[]),
        (1, _) => ("naevus, slightly larger; photographed to compare", &[]),
        (_, true) => (
            "pink pearly papule: basal cell carcinoma to exclude",
            &["arborizing_vessels", "shiny_white_lines"],
        ),
        (_, false) => (
            "atypical naevus, melanoma to exclude",
            &["atypical_network", "irregular_dots_globules"],
        ),
    };
    let disposition = match (v, watched) {
        (2, false) => "biopsy",
        _ => "monitor",
    };
    let input = ObservationInput {
        morphology: "pigmented macule".into(),
        size_mm: mm(size),
        colours: colours.iter().map(|c| (*c).to_string()).collect(),
        abcde: [v >= 1, v == 2, colours.len() > 1, size > 60, v == 2],
        dermoscopy: dermoscopy.iter().map(|d| (*d).to_string()).collect(),
        impression: impression.into(),
        disposition: disposition.into(),
    };
    (input, size)
}

/// The stable lesion of chart `k` at visit `v`; the watched chart's one
/// is gone at the last visit.
fn stable(k: usize, v: usize, watched: bool) -> ObservationInput {
    let gone = watched && v == 2;
    ObservationInput {
        morphology: "tan papule".into(),
        size_mm: mm(30 + k as u32),
        colours: vec!["tan".into()],
        abcde: [false; 5],
        dermoscopy: vec![],
        impression: if gone {
            "no longer seen after cryotherapy"
        } else {
            "seborrhoeic keratosis"
        }
        .into(),
        disposition: if gone { "resolved" } else { "monitor" }.into(),
    }
}

/// The biopsy of chart `k`'s changing lesion, alternately a punch and a
/// shave.
fn biopsy(k: usize, lesion: LesionId, clinic: LocationId) -> NewProcedure {
    let anesthesia = Anesthesia {
        agent: "1% lidocaine with epinephrine".into(),
        volume_ml: Tenths(10),
    };
    let site = SITES[k % SITES.len()].5.to_string();
    let record = if k.is_multiple_of(2) {
        BiopsyRecord {
            method: BiopsyMethod::Punch,
            site,
            punch_mm: Some(4),
            depth: None,
            anesthesia,
            hemostasis: Hemostasis::Sutures {
                count: 2,
                material: "4-0 nylon".into(),
            },
            specimen_id: String::new(),
        }
    } else {
        BiopsyRecord {
            method: BiopsyMethod::Tangential,
            site,
            punch_mm: None,
            depth: Some(TangentialDepth::PapillaryDermis),
            anesthesia,
            hemostasis: Hemostasis::AluminiumChloride,
            specimen_id: String::new(),
        }
    };
    NewProcedure {
        lesion: Some(lesion),
        location: clinic,
        record: ProcedureRecord::Biopsy(record),
        dose_override: None,
    }
}

/// A lesion placed as the body map's form would send it.
fn new_lesion(
    site: SiteInput,
    label: &str,
    first: ObservationInput,
) -> Result<NewLesion, AppError> {
    Ok(NewLesion::parse(NewLesionInput {
        site,
        label: label.into(),
        first,
    })?)
}

/// Seeds the ten charts and the UVB course; `photos` are uploaded with
/// the visits they were taken at.
pub(super) async fn seed(
    history: &History,
    staff: &Staff,
    clinic: LocationId,
    patients: &[Patient],
    photos: &Photos,
) -> Result<(), AppError> {
    let physician = staff.as_role(Role::Physician)?;
    let tech = staff.as_role(Role::Technician)?;
    for (k, (last, steps)) in CHARTS.iter().enumerate() {
        let patient = &patients[FIRST_PATIENT + k];
        let hour = 8 + (k % 8) as i8;
        let watched = steps.is_none();
        let mut lesions = None;
        for v in 0..3usize {
            let day = last + VISIT_GAP * (2 - v as i64);
            history.at(day, hour, 0)?;
            let (seen, _) = changing(k, v, watched);
            let (changing_id, stable_id) = match lesions {
                None => {
                    let a = new_lesion(site(k), "L1", seen)?;
                    let a = history
                        .app()
                        .record_lesion(physician, patient.id, &a)
                        .await?;
                    let b = new_lesion(site(k + 6), "L2", stable(k, v, watched))?;
                    let b = history
                        .app()
                        .record_lesion(physician, patient.id, &b)
                        .await?;
                    (a.id, b.id)
                }
                Some((a, b)) => {
                    history
                        .app()
                        .observe_lesion(physician, a, &seen.validate()?)
                        .await?;
                    history
                        .app()
                        .observe_lesion(physician, b, &stable(k, v, watched).validate()?)
                        .await?;
                    (a, b)
                }
            };
            lesions = Some((changing_id, stable_id));
            if let Some(jpeg) = photos.get(&(k, v)) {
                history.then(day, hour, 10)?;
                history
                    .app()
                    .upload_photo(
                        tech,
                        patient.id,
                        &PhotoUpload {
                            lesion: Some(changing_id),
                            consent_given_now: v == 0,
                        },
                        jpeg,
                    )
                    .await?;
            }
            if v == 2
                && let Some(steps) = steps
            {
                history.then(day, hour, 20)?;
                let done = history
                    .app()
                    .record_procedure(physician, patient.id, biopsy(k, changing_id, clinic))
                    .await?;
                if let Some(specimen) = done.specimen {
                    follow(history, physician, tech, specimen, steps).await?;
                }
            }
        }
    }
    phototherapy(
        history,
        physician,
        clinic,
        &patients[FIRST_PATIENT + CHARTS.len()],
    )
    .await
}

/// Records a biopsy's steps at their days: the technician sends the
/// specimen, the physician does the rest.
async fn follow(
    history: &History,
    physician: &Caller,
    tech: &Caller,
    mut specimen: Biopsy,
    steps: &[Step],
) -> Result<(), AppError> {
    for step in steps {
        let (day, who, input) = match *step {
            Step::Send(day) => (day, tech, BiopsyStep::Send),
            Step::Result(day, diagnosis, text) => (
                day,
                physician,
                BiopsyStep::Result {
                    diagnosis,
                    text: text.into(),
                    received: None,
                },
            ),
            Step::Review(day) => (day, physician, BiopsyStep::Review),
            Step::Notify(day, how) => (day, physician, BiopsyStep::Notify { how }),
            Step::Plan(day, text) => (day, physician, BiopsyStep::Plan { text: text.into() }),
            Step::Close(day) => (day, physician, BiopsyStep::Close),
        };
        history.then(day, 13, 0)?;
        let update = BiopsyUpdate {
            version: specimen.version,
            step: input,
        };
        specimen = history
            .app()
            .record_biopsy_step(who, specimen.id, &update)
            .await?;
    }
    Ok(())
}

/// The first four sessions of a narrowband UVB course, three a week, the
/// dose raised within the course's step limit.
async fn phototherapy(
    history: &History,
    physician: &Caller,
    clinic: LocationId,
    patient: &Patient,
) -> Result<(), AppError> {
    for (day, dose) in [(9, 300), (7, 360), (4, 430), (2, 500)] {
        history.at(day, 7, 30)?;
        history
            .app()
            .record_procedure(
                physician,
                patient.id,
                NewProcedure {
                    lesion: None,
                    location: clinic,
                    record: ProcedureRecord::Phototherapy(PhototherapyRecord {
                        kind: PhototherapyKind::Uvb,
                        area_sq_cm: None,
                        dose_mj_cm2: dose,
                        erythema_since_last: ErythemaGrade::Absent,
                        skin_type: None,
                        duration_s: None,
                    }),
                    dose_override: None,
                },
            )
            .await?;
    }
    Ok(())
}
