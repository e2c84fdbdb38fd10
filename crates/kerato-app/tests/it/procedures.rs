//! Procedures: the note written by the template, the specimen opened in
//! the biopsy log, the day's charge proposal rewritten by the coding
//! engine (an excision's line held until its pathology arrives), and a
//! phototherapy course's cumulative dose.

use kerato_app::AppError;
use kerato_app::procedures::RecordedProcedure;
use kerato_domain::biopsies::{BiopsyStep, Diagnosis, SpecimenMethod};
use kerato_domain::identity::Role;
use kerato_domain::ids::{LocationId, PatientId};
use kerato_domain::lesions::LesionStatus;
use kerato_domain::procedures::coding::{BiopsyMethod, ExcisionSite, PhototherapyKind};
use kerato_domain::procedures::note::{
    Anesthesia, BiopsyRecord, ErythemaGrade, ExcisionBehaviour, ExcisionClosure, ExcisionRecord,
    Hemostasis, PhototherapyRecord, ProcedureRecord, TangentialDepth, Tenths,
};
use kerato_domain::procedures::{
    ChargeProposalLine, NewProcedure, PayerModifierInput, PayerModifierSetting, VisitEm,
};

use crate::World;

async fn setup(w: &World) -> (LocationId, PatientId, kerato_app::Caller) {
    let loc = w
        .app
        .create_location(
            &w.admin,
            &crate::location_input("Skin Center").validate().unwrap(),
        )
        .await
        .unwrap();
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = w.app.unsafe_caller_for(derm.id).await.unwrap();
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    (loc.id, patient, derm)
}

fn biopsy(method: BiopsyMethod, site: &str) -> ProcedureRecord {
    ProcedureRecord::Biopsy(BiopsyRecord {
        method,
        site: site.into(),
        punch_mm: (method == BiopsyMethod::Punch).then_some(4),
        depth: (method == BiopsyMethod::Tangential).then_some(TangentialDepth::PapillaryDermis),
        anesthesia: Anesthesia {
            agent: "1% lidocaine with epinephrine".into(),
            volume_ml: Tenths(10),
        },
        hemostasis: if method == BiopsyMethod::Punch {
            Hemostasis::Sutures {
                count: 1,
                material: "4-0 nylon".into(),
            }
        } else {
            Hemostasis::AluminiumChloride
        },
        // Whatever the form sends, the app issues the specimen ID.
        specimen_id: "typed-by-hand".into(),
    })
}

fn input(location: LocationId, record: ProcedureRecord) -> NewProcedure {
    NewProcedure {
        lesion: None,
        location,
        record,
        dose_override: None,
    }
}

/// Each line's code, units and whether it is held.
fn codes(lines: &[ChargeProposalLine]) -> Vec<(&str, i64, bool)> {
    lines
        .iter()
        .map(|l| (l.code.as_str(), l.units, l.hold.is_some()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn biopsies_open_specimens_write_notes_and_code_the_day() {
    let w = crate::world().await;
    let (loc, patient, derm) = setup(&w).await;
    let app = &w.app;
    let mut specimens = Vec::new();
    for (method, site) in [
        (BiopsyMethod::Punch, "left cheek"),
        (BiopsyMethod::Tangential, "right forearm"),
        (BiopsyMethod::Tangential, "upper back"),
    ] {
        let RecordedProcedure {
            procedure,
            specimen,
            dose,
        } = app
            .record_procedure(&derm, patient, input(loc, biopsy(method, site)))
            .await
            .unwrap();
        let specimen = specimen.expect("a biopsy opens a specimen");
        assert!(dose.is_none());
        assert_eq!(procedure.biopsy_id, Some(specimen.id));
        assert_eq!(specimen.site, site);
        assert!(
            procedure.note.contains(&specimen.id.to_string()),
            "the note names the issued specimen: {}",
            procedure.note
        );
        assert!(!procedure.note.contains("typed-by-hand"));
        specimens.push(specimen);
    }
    assert_eq!(specimens[0].method, SpecimenMethod::Punch);
    // The queue holds all three, and the day's proposal is 11104 + 11103 x2.
    assert_eq!(app.biopsy_queue(&derm).await.unwrap().len(), 3);
    let day = app
        .procedures_of_patient(&derm, patient)
        .await
        .unwrap()
        .remove(0)
        .service_date;
    let lines = app.charge_proposal(&derm, patient, day).await.unwrap();
    assert_eq!(
        codes(&lines),
        vec![("11104", 1, false), ("11103", 2, false)]
    );
    assert!(lines.iter().all(|l| !l.rationale.is_empty()));
    // A billing user reads the proposal; a technician may not open a
    // specimen.
    let biller = w.user("billing@capital.example", Role::Billing, &[]).await;
    let biller = app.unsafe_caller_for(biller.id).await.unwrap();
    assert_eq!(
        app.charge_proposal(&biller, patient, day).await.unwrap(),
        lines
    );
    let tech = w.user("tech@capital.example", Role::Technician, &[]).await;
    let tech = app.unsafe_caller_for(tech.id).await.unwrap();
    assert!(matches!(
        app.record_procedure(
            &tech,
            patient,
            input(loc, biopsy(BiopsyMethod::Punch, "scalp"))
        )
        .await
        .unwrap_err(),
        AppError::Forbidden(_)
    ));
    // A bad record writes nothing: no procedure, no specimen.
    let ProcedureRecord::Biopsy(mut bad) = biopsy(BiopsyMethod::Punch, "scalp") else {
        unreachable!()
    };
    bad.punch_mm = Some(30);
    let err = app
        .record_procedure(&derm, patient, input(loc, ProcedureRecord::Biopsy(bad)))
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("punch"), "{err}");
    assert_eq!(
        app.procedures_of_patient(&derm, patient)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(app.biopsy_queue(&derm).await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excision_is_held_until_its_pathology_then_coded_malignant() {
    let w = crate::world().await;
    let (loc, patient, derm) = setup(&w).await;
    let app = &w.app;
    let excision = ProcedureRecord::Excision(ExcisionRecord {
        behaviour: ExcisionBehaviour::Pending,
        site_group: ExcisionSite::FaceEarsEyelidsNoseLipsMucous,
        site: "left cheek".into(),
        lesion_diameter_mm: 12,
        margin_mm: 2,
        orientation_suture: Some("12 o'clock".into()),
        closure: ExcisionClosure::SeparateRepair,
        specimen_id: String::new(),
    });
    let done = app
        .record_procedure(&derm, patient, input(loc, excision))
        .await
        .unwrap();
    let day = done.procedure.service_date;
    let lines = app.charge_proposal(&derm, patient, day).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].code, "HELD");
    assert!(lines[0].hold.is_some());
    // The report arrives: malignant, so 16 mm excised on the face is 11642.
    let s = done.specimen.unwrap();
    let s = app
        .record_biopsy_step(
            &derm,
            s.id,
            &crate::biopsy_step(s.version, BiopsyStep::Send),
        )
        .await
        .unwrap();
    app.record_biopsy_step(
        &derm,
        s.id,
        &crate::biopsy_step(
            s.version,
            BiopsyStep::Result {
                diagnosis: Diagnosis::Malignant,
                text: "Basal cell carcinoma, margins clear".into(),
                received: None,
            },
        ),
    )
    .await
    .unwrap();
    let lines = app.charge_proposal(&derm, patient, day).await.unwrap();
    assert_eq!(codes(&lines), vec![("11642", 1, false)]);
    assert!(
        lines[0].rationale.contains("excised diameter 1.6 cm")
            && lines[0].rationale.contains("malignant per pathology"),
        "{}",
        lines[0].rationale
    );
}

fn uvb(dose: u32, erythema: ErythemaGrade) -> ProcedureRecord {
    ProcedureRecord::Phototherapy(PhototherapyRecord {
        kind: PhototherapyKind::Uvb,
        area_sq_cm: None,
        dose_mj_cm2: dose,
        erythema_since_last: erythema,
        skin_type: None,
        duration_s: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phototherapy_course_adds_its_doses_and_severe_erythema_needs_a_reason() {
    let w = crate::world().await;
    let (loc, patient, derm) = setup(&w).await;
    let app = &w.app;
    let mut total = 0u64;
    for dose in [300, 360, 430] {
        let done = app
            .record_procedure(&derm, patient, input(loc, uvb(dose, ErythemaGrade::Absent)))
            .await
            .unwrap();
        total += u64::from(dose);
        assert_eq!(done.dose.unwrap().cumulative_mj_cm2, total);
        assert!(
            done.procedure
                .note
                .contains(&format!("Cumulative dose of the course: {total} mJ/cm²"))
        );
    }
    // Grade 3 erythema blocks the session until a clinician gives a reason.
    let err = app
        .record_procedure(&derm, patient, input(loc, uvb(430, ErythemaGrade::Severe)))
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("give a clinician's reason"),
        "{err}"
    );
    let mut with_reason = input(loc, uvb(200, ErythemaGrade::Severe));
    with_reason.dose_override = Some("erythema resolved on inspection today".into());
    let done = app
        .record_procedure(&derm, patient, with_reason)
        .await
        .unwrap();
    assert!(
        done.procedure
            .note
            .contains("Reason: erythema resolved on inspection today")
    );
    assert_eq!(done.dose.unwrap().cumulative_mj_cm2, total + 200);
    // Four sessions on one day are one unit of 96900 (one per session
    // day, as the engine counts).
    let lines = app
        .charge_proposal(&derm, patient, done.procedure.service_date)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].code, "96900");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requisition_carries_the_specimen_and_the_lesions_photo() {
    use kerato_domain::lesions::{ObservationInput, SiteInput};
    let (w, _dir) = crate::world_with_photos().await;
    let (loc, patient, derm) = setup(&w).await;
    let app = &w.app;
    let lesion = app
        .record_lesion(
            &derm,
            patient,
            &crate::new_lesion(
                &SiteInput {
                    region: "forearm".into(),
                    laterality: "left".into(),
                    view: "anterior".into(),
                    x: "300".into(),
                    y: "400".into(),
                    ..Default::default()
                },
                "F1",
                &ObservationInput {
                    morphology: "irregular macule".into(),
                    size_mm: "6".into(),
                    colours: vec!["brown".into(), "black".into()],
                    abcde: [true, true, false, false, true],
                    dermoscopy: vec!["atypical_network".into()],
                    // Left blank, as the form allows: printed as "Not stated".
                    impression: String::new(),
                    disposition: "biopsy".into(),
                },
            ),
        )
        .await
        .unwrap();
    app.upload_photo(
        &derm,
        patient,
        &kerato_domain::lesions::PhotoUpload {
            lesion: Some(lesion.id),
            consent_given_now: true,
        },
        include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg"),
    )
    .await
    .unwrap();
    let mut with_lesion = input(loc, biopsy(BiopsyMethod::Punch, "left forearm"));
    with_lesion.lesion = Some(lesion.id);
    let done = app
        .record_procedure(&derm, patient, with_lesion)
        .await
        .unwrap();
    let specimen = done.specimen.unwrap().id;
    let pdf = app.biopsy_requisition(&derm, specimen).await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"/DCTDecode"), "the lesion photo is on the requisition");
    assert!(
        has(b"SNOMED CT 5742000"),
        "the site goes with its SNOMED CT code (skin of forearm)"
    );
    // The printed requisition is audited; a biller may not print it.
    let biller = w.user("billing@capital.example", Role::Billing, &[]).await;
    let biller = app.unsafe_caller_for(biller.id).await.unwrap();
    assert!(matches!(
        app.biopsy_requisition(&biller, specimen).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    // Excising the lesion closes it: nothing more is done to it.
    let mut excision = input(
        loc,
        ProcedureRecord::Excision(ExcisionRecord {
            behaviour: ExcisionBehaviour::Pending,
            site_group: ExcisionSite::TrunkArmsLegs,
            site: "left forearm".into(),
            lesion_diameter_mm: 6,
            margin_mm: 2,
            orientation_suture: None,
            closure: ExcisionClosure::Simple,
            specimen_id: String::new(),
        }),
    );
    excision.lesion = Some(lesion.id);
    app.record_procedure(&derm, patient, excision.clone())
        .await
        .unwrap();
    let lesions = app.lesions_of_patient(&derm, patient).await.unwrap();
    assert_eq!(lesions[0].status, LesionStatus::Excised);
    let err = app
        .record_procedure(&derm, patient, excision)
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("no longer active"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_em_takes_25_and_the_payer_chooses_59_or_xs() {
    use kerato_domain::coverage::{CoverageInput, NewCoverage};
    use kerato_domain::input::ParseInput;
    use kerato_domain::procedures::coding::DestructionKind;
    use kerato_domain::procedures::note::{DestructionMethod, DestructionRecord};
    let w = crate::world().await;
    let (loc, with_xs, derm) = setup(&w).await;
    let app = &w.app;
    let plain = w.patient("Omar", "Haddad", "1958-09-12").await;
    app.add_coverage(
        &w.admin,
        with_xs,
        &NewCoverage::parse(CoverageInput {
            kind: "medical".into(),
            priority: "1".into(),
            payer: "Blue Cross ".into(),
            member_id: "XQ123456".into(),
            subscriber_relationship: "self".into(),
            effective_from: "2020-01-01".into(),
            ..Default::default()
        })
        .unwrap(),
    )
    .await
    .unwrap();
    // Refused settings say what to fix; a set name matches whatever its
    // case and spacing on the coverage.
    let setting = |payer: &str, modifier: &str| {
        PayerModifierSetting::parse(PayerModifierInput {
            payer: payer.into(),
            modifier: modifier.into(),
        })
    };
    let err = setting("blue  cross", "X9").unwrap_err();
    assert!(format!("{err}").contains("choose 59 or XS"), "{err}");
    let xs = setting("blue  cross", "XS").unwrap();
    assert!(matches!(
        app.set_payer_modifier(&derm, &xs).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    app.set_payer_modifier(&w.admin, &xs).await.unwrap();
    assert_eq!(
        app.payer_modifiers(&w.admin)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.payer, p.modifier.code()))
            .collect::<Vec<_>>(),
        vec![("blue cross".to_string(), "XS")]
    );
    let mut day = None;
    for patient in [with_xs, plain] {
        app.record_procedure(
            &derm,
            patient,
            input(loc, biopsy(BiopsyMethod::Tangential, "left temple")),
        )
        .await
        .unwrap();
        let done = app
            .record_procedure(
                &derm,
                patient,
                input(
                    loc,
                    ProcedureRecord::Destruction(DestructionRecord {
                        kind: DestructionKind::Premalignant,
                        method: DestructionMethod::Cryotherapy,
                        site: "scalp".into(),
                        lesion_count: 3,
                        freeze_thaw_cycles: Some(2),
                    }),
                ),
            )
            .await
            .unwrap();
        let date = done.procedure.service_date;
        day = Some(date);
        let visit = |em: &str| {
            VisitEm::parse(kerato_domain::procedures::VisitEmInput {
                date: date.to_string(),
                em: Some(em.into()),
            })
        };
        let err = visit("99299").unwrap_err();
        assert!(format!("{err}").contains("office visit code"), "{err}");
        app.set_visit_em(&derm, patient, &visit("99213").unwrap())
            .await
            .unwrap();
    }
    let day = day.expect("a visit day");
    let modifiers = |lines: Vec<ChargeProposalLine>| {
        lines
            .into_iter()
            .map(|l| (l.code, l.modifiers.join(",")))
            .collect::<Vec<_>>()
    };
    let xs = modifiers(app.charge_proposal(&derm, with_xs, day).await.unwrap());
    let plain_lines = modifiers(app.charge_proposal(&derm, plain, day).await.unwrap());
    assert_eq!(xs[0], ("99213".to_string(), "25".to_string()));
    assert_eq!(plain_lines[0], ("99213".to_string(), "25".to_string()));
    let distinct = |lines: &[(String, String)]| {
        lines
            .iter()
            .find(|(code, _)| code == "17000")
            .map(|(_, m)| m.clone())
    };
    assert_eq!(distinct(&xs).as_deref(), Some("XS"));
    assert_eq!(distinct(&plain_lines).as_deref(), Some("59"));
    // Clearing the E/M takes its line away again.
    app.set_visit_em(
        &derm,
        plain,
        &VisitEm {
            date: day,
            em: None,
        },
    )
    .await
    .unwrap();
    let cleared = modifiers(app.charge_proposal(&derm, plain, day).await.unwrap());
    assert!(cleared.iter().all(|(code, _)| code != "99213"));
}
