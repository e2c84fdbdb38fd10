//! Eye exams: sections, sign and lock, amendments; prescriptions released
//! at signing with their state expiry; confirmations kept three years;
//! contact lens verification on the business-hour clock.

use kerato_app::AppError;
use kerato_domain::eye::exam::{
    AmendInput, AmendRaw, ExamStatus, Section, SectionData, SectionEntry, StartExamInput, Template,
};
use kerato_domain::eye::ftc::RxKind;
use kerato_domain::eye::prescription::{
    ConfirmationInput, ConfirmationRaw, Delivery, DigitalConsentInput, DigitalConsentRaw,
    PrescriberCredentialsInput, PrescriberCredentialsRaw, SignInput,
};
use kerato_domain::eye::requests::{
    RxAnswerInput, RxAnswerRaw, RxRequestInput, RxRequestRaw, RxRequestStatus,
};
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::patients::PatientInput;
use kerato_domain::tenancy::LocationInput;
use kerato_domain::time::Timestamp;

use crate::{World, world};

fn at(text: &str) -> Timestamp {
    Timestamp::from_jiff(text.parse::<jiff::ZonedDateTime>().unwrap().timestamp())
}

fn values(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn fields(pairs: &[(&str, &str)]) -> SectionEntry {
    SectionEntry::parse(values(pairs)).unwrap()
}

fn start(location: kerato_domain::ids::LocationId, template: Template) -> StartExamInput {
    StartExamInput {
        location_id: location,
        template,
        appointment_id: None,
    }
}

fn credentials(license: &str, npi: &str) -> Result<PrescriberCredentialsInput, String> {
    PrescriberCredentialsInput::parse(PrescriberCredentialsRaw {
        license: license.into(),
        npi: npi.into(),
    })
    .map_err(|e| format!("{e:?}"))
}

fn confirm(outcome: &str, name: &str) -> ConfirmationInput {
    ConfirmationInput::parse(ConfirmationRaw {
        outcome: outcome.into(),
        signer_name: Some(name.into()),
        acknowledge: Some("yes".into()),
    })
    .unwrap()
}

fn answer(answer: &str, note: &str) -> Result<RxAnswerInput, String> {
    RxAnswerInput::parse(RxAnswerRaw {
        answer: answer.into(),
        note: Some(note.into()),
    })
    .map_err(|e| format!("{e:?}"))
}

struct Clinic {
    w: World,
    doctor: kerato_app::Caller,
    tech: kerato_app::Caller,
    location: kerato_domain::ids::LocationId,
    patient: kerato_domain::ids::PatientId,
}

async fn clinic(state: &str) -> Clinic {
    let w = world().await;
    let loc = w
        .app
        .create_location(
            &w.admin,
            &LocationInput {
                state: state.into(),
                specialties: vec!["eye_care".into()],
                ..crate::location_input("Eye Center")
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let doctor = w.user("od@capital.example", Role::Optometrist, &[]).await;
    let tech = w.user("tech@capital.example", Role::Technician, &[]).await;
    let doctor = w.app.unsafe_caller_for(doctor.id).await.unwrap();
    let tech = w.app.unsafe_caller_for(tech.id).await.unwrap();
    let patient = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Zoë".into(),
                    legal_last_name: "Müller".into(),
                    date_of_birth: "1980-02-29".into(),
                    email: Some("zoe@example.com".into()),
                    reminder_channel: Some("email".into()),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    Clinic {
        w,
        doctor,
        tech,
        location: loc.id,
        patient,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_exam_is_amended_never_edited_and_releases_its_rx() {
    let c = clinic("CA").await;
    let app = &c.w.app;
    c.w.clock
        .set(at("2027-03-10T10:00:00-08:00[America/Los_Angeles]"));
    let exam = app
        .start_exam(
            &c.tech,
            c.patient,
            &start(c.location, Template::Comprehensive),
        )
        .await
        .unwrap();
    // The technician enters acuity and the autorefraction.
    app.save_exam_section(
        &c.tech,
        exam.id,
        "acuity",
        &fields(&[("od.distance_sc", "20/40-2"), ("os.distance_sc", "20/30")]),
    )
    .await
    .unwrap();
    app.save_exam_section(
        &c.tech,
        exam.id,
        "autorefraction",
        &fields(&[
            ("od.sphere", "-225"),
            ("od.cylinder", "-.5"),
            ("od.axis", "180"),
            ("os.sphere", "-2"),
        ]),
    )
    .await
    .unwrap();
    // Bad values are refused with the reason, and nothing is saved.
    let err = app
        .save_exam_section(
            &c.tech,
            exam.id,
            "manifest",
            &fields(&[("od.sphere", "-2.13")]),
        )
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("not in 0.25 D steps"),
        "{err:?}"
    );
    // A technician cannot sign (signing issues prescriptions).
    let err = app
        .sign_exam(&c.tech, exam.id, &SignInput::default())
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    // The doctor: manifest and final, then sign; credentials come first.
    let final_rx = fields(&[
        ("od.sphere", "-2.25"),
        ("od.cylinder", "-0.50"),
        ("od.axis", "180"),
        ("od.add", "+1.50"),
        ("os.sphere", "-2.00"),
        ("os.add", "+1.50"),
    ]);
    app.save_exam_section(&c.doctor, exam.id, "manifest", &final_rx)
        .await
        .unwrap();
    app.save_exam_section(&c.doctor, exam.id, "final", &final_rx)
        .await
        .unwrap();
    let err = app
        .sign_exam(&c.doctor, exam.id, &SignInput::default())
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("licence number and NPI"),
        "{err:?}"
    );
    let err = credentials("OPT 12345", "1234567890").unwrap_err();
    assert!(err.contains("check digit"), "{err}");
    app.set_prescriber_credentials(&c.doctor, &credentials("OPT 12345", "1234567893").unwrap())
        .await
        .unwrap();
    // Digital delivery needs the patient's consent on record.
    let err = app
        .sign_exam(
            &c.doctor,
            exam.id,
            &SignInput {
                delivery: Delivery::Digital,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("not consented"), "{err:?}");
    let issued = app
        .sign_exam(&c.doctor, exam.id, &SignInput::default())
        .await
        .unwrap();
    assert_eq!(
        issued.len(),
        1,
        "one spectacle Rx from the final refraction"
    );
    let rx = &issued[0];
    assert_eq!(rx.kind, RxKind::Spectacle);
    assert_eq!(rx.issued_on, jiff::civil::date(2027, 3, 10));
    assert_eq!(
        rx.expires_on,
        jiff::civil::date(2029, 3, 10),
        "California: two years"
    );
    assert_eq!(rx.prescriber_license, "OPT 12345");
    let (_, releases, confirmation) = app.prescription(&c.doctor, rx.id).await.unwrap();
    assert_eq!(releases.len(), 1, "released at signing, unasked");
    assert_eq!(releases[0].delivery, Delivery::Paper);
    assert!(confirmation.is_none());

    // Signed: editing is refused through the app and by the database.
    let err = app
        .save_exam_section(
            &c.doctor,
            exam.id,
            "final",
            &fields(&[("od.sphere", "-3.00")]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    {
        let mut tx = app.store().write().await.unwrap();
        let direct = kerato_store::eye::save_section(
            &mut tx,
            exam.id,
            Section::Final,
            &SectionData::new(),
            c.doctor.actor.user_id,
            app.now(),
        )
        .await;
        assert!(direct.is_err(), "the trigger refuses a direct write too");
    }
    // An amendment keeps the original visible.
    let err = AmendInput::parse(AmendRaw {
        reason: "  ".into(),
        values: final_rx.values().clone(),
    })
    .unwrap_err();
    assert!(err.for_field("reason").is_some(), "{err:?}");
    let iop = AmendInput::parse(AmendRaw {
        reason: "IOP was measured but not entered before signing".into(),
        values: values(&[
            ("od.pressure", "17"),
            ("os.pressure", "18"),
            ("method", "goldmann"),
        ]),
    })
    .unwrap();
    let n = app
        .amend_exam(&c.doctor, exam.id, "iop", &iop)
        .await
        .unwrap();
    assert_eq!(n, 1);
    {
        let mut tx = app.store().read().await.unwrap();
        let events = kerato_store::audit::events_after(&mut tx, 0, 100_000)
            .await
            .unwrap();
        let amended = events
            .iter()
            .find(|e| e.event.category == "eye exam amendment")
            .expect("the amendment is audited");
        assert_eq!(
            amended.event.patient_id.as_deref(),
            Some(c.patient.to_string().as_str())
        );
        assert_eq!(
            amended.event.old_value.as_deref(),
            Some("{}"),
            "nothing was recorded before"
        );
        assert!(
            amended
                .event
                .new_value
                .as_deref()
                .unwrap()
                .contains("\"od.pressure\":\"17\"")
        );
    }
    let view = app.exam(&c.doctor, exam.id).await.unwrap();
    let iop = view
        .sections
        .iter()
        .find(|s| s.section.key() == "iop")
        .unwrap();
    assert!(iop.amended && iop.original.is_empty());
    assert_eq!(iop.current["od.pressure"], "17");
    let final_section = view
        .sections
        .iter()
        .find(|s| s.section.key() == "final")
        .unwrap();
    assert_eq!(
        final_section.current["od.sphere"], "-2.25",
        "the signed value"
    );
    assert_eq!(
        view.amendments[0].reason,
        "IOP was measured but not entered before signing"
    );
    assert_eq!(view.exam.status, ExamStatus::Signed);
    // An issued prescription cannot be changed in place either.
    {
        let mut tx = app.store().write().await.unwrap();
        let changed = kerato_store::on_tx!(&mut tx, c => sqlx::query(
            "UPDATE prescriptions SET expires_on = '2099-01-01'"
        )
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()));
        assert!(changed.is_err(), "the trigger refuses it");
    }

    // Confirmation: recorded once, kept three years, then purged.
    let conf = app
        .record_rx_confirmation(&c.doctor, rx.id, &confirm("signed", "Zoë Müller"))
        .await
        .unwrap();
    assert_eq!(conf.keep_until, jiff::civil::date(2030, 3, 10));
    let again = app
        .record_rx_confirmation(&c.doctor, rx.id, &confirm("refused", ""))
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict(_)));
    // Kept through the third anniversary, deleted by the retention job
    // the day after.
    let ftc = kerato_domain::retention::DataClass::FtcRxConfirmation;
    c.w.clock.set(at("2030-03-10T12:00:00+00:00[UTC]"));
    assert_eq!(
        app.run_retention(false).await.unwrap().total(ftc).records,
        0
    );
    assert!(
        app.prescription(&c.doctor, rx.id)
            .await
            .unwrap()
            .2
            .is_some(),
        "kept before three years"
    );
    c.w.clock.set(at("2030-03-11T12:00:00+00:00[UTC]"));
    assert_eq!(
        app.run_retention(false).await.unwrap().total(ftc).records,
        1
    );
    assert!(
        app.prescription(&c.doctor, rx.id)
            .await
            .unwrap()
            .2
            .is_none(),
        "deleted after"
    );
    // The next visit copies the history forward from this one.
    let next = app
        .start_exam(
            &c.tech,
            c.patient,
            &start(c.location, Template::Comprehensive),
        )
        .await
        .unwrap();
    assert_eq!(
        app.pull_forward(&c.tech, next.id, "history").await.unwrap(),
        None,
        "nothing to copy: the last exam had no history"
    );
    let copied = app
        .pull_forward(&c.tech, next.id, "final")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copied["od.sphere"], "-2.25");
    let next_view = app.exam(&c.tech, next.id).await.unwrap();
    let final_next = next_view
        .sections
        .iter()
        .find(|s| s.section.key() == "final")
        .unwrap();
    assert_eq!(
        final_next.original["od.add"], "+1.50",
        "saved into the new draft"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_lens_rx_expires_after_a_year_unless_a_reason_is_recorded() {
    let c = clinic("TX").await;
    let app = &c.w.app;
    c.w.clock
        .set(at("2028-02-29T09:00:00-06:00[America/Chicago]"));
    app.set_prescriber_credentials(&c.doctor, &credentials("TX 998", "1234567893").unwrap())
        .await
        .unwrap();
    let lens = fields(&[
        ("od.brand", "Acuvue Oasys"),
        ("od.base_curve", "8.4"),
        ("od.diameter", "14"),
        ("od.sphere", "-3.00"),
        ("os.brand", "Acuvue Oasys"),
        ("os.base_curve", "8.4"),
        ("os.diameter", "14"),
        ("os.sphere", "-2.75"),
        ("replacement", "two_weeks"),
    ]);
    let exam = app
        .start_exam(
            &c.doctor,
            c.patient,
            &start(c.location, Template::ContactLensFit),
        )
        .await
        .unwrap();
    app.save_exam_section(&c.doctor, exam.id, "contact_lens", &lens)
        .await
        .unwrap();
    // Texas wants the number of lenses on the prescription.
    let err = app
        .sign_exam(&c.doctor, exam.id, &SignInput::default())
        .await
        .unwrap_err();
    assert_eq!(
        format!("{err}"),
        "invalid input: contact_lens: the contact lens prescription must carry quantity (TX rules); complete the Contact lens fit section"
    );
    let mut lens = lens.values().clone();
    lens.insert("quantity".into(), "4 boxes of 6 per eye".into());
    let lens = SectionEntry::parse(lens).unwrap();
    app.save_exam_section(&c.doctor, exam.id, "contact_lens", &lens)
        .await
        .unwrap();
    let short = SignInput {
        cl_months: Some(6),
        ..Default::default()
    };
    let err = app.sign_exam(&c.doctor, exam.id, &short).await.unwrap_err();
    assert!(matches!(err, AppError::Validation(_)), "{err:?}");
    assert_eq!(
        app.exam(&c.doctor, exam.id).await.unwrap().exam.status,
        ExamStatus::Draft,
        "nothing signed"
    );
    let issued = app
        .sign_exam(&c.doctor, exam.id, &SignInput::default())
        .await
        .unwrap();
    assert_eq!(issued[0].kind, RxKind::ContactLens);
    assert_eq!(
        issued[0].expires_on,
        jiff::civil::date(2029, 2, 28),
        "one year, leap day clamped"
    );

    let exam = app
        .start_exam(
            &c.doctor,
            c.patient,
            &start(c.location, Template::ContactLensFit),
        )
        .await
        .unwrap();
    app.save_exam_section(&c.doctor, exam.id, "contact_lens", &lens)
        .await
        .unwrap();
    // Delivered digitally this time: by e-mail, with consent on record.
    let consent = |channel: &str| {
        DigitalConsentInput::parse(DigitalConsentRaw {
            channel: channel.into(),
        })
    };
    let err = consent("fax").unwrap_err();
    assert!(err.for_field("channel").is_some(), "{err:?}");
    app.record_rx_digital_consent(&c.doctor, c.patient, &consent("email").unwrap())
        .await
        .unwrap();
    let issued = app
        .sign_exam(
            &c.doctor,
            exam.id,
            &SignInput {
                delivery: Delivery::Digital,
                cl_months: Some(6),
                medical_reason: Some("Corneal neovascularisation: re-check fit in 6 months".into()),
            },
        )
        .await
        .unwrap();
    let (_, releases, _) = app.prescription(&c.doctor, issued[0].id).await.unwrap();
    assert_eq!(releases[0].delivery, Delivery::Digital);
    let mut tx = app.store().read().await.unwrap();
    let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
    assert!(
        queued.contains(&(
            "zoe@example.com".to_string(),
            "Your contact lens prescription".to_string()
        )),
        "{queued:?}"
    );
    drop(tx);
    assert_eq!(issued[0].expires_on, jiff::civil::date(2028, 8, 29));
    assert!(issued[0].medical_reason.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_not_answered_in_eight_business_hours_is_passively_verified() {
    let c = clinic("NY").await;
    let app = &c.w.app;
    // The practice is closed the Monday after (a configured holiday).
    app.close_days(
        &c.w.admin,
        None,
        Some(c.location),
        jiff::civil::date(2027, 6, 14),
        jiff::civil::date(2027, 6, 14),
        "Staff training",
    )
    .await
    .unwrap();
    // Friday 15:00 New York: 2 hours Friday, Monday closed, 6 on Tuesday.
    c.w.clock
        .set(at("2027-06-11T15:00:00-04:00[America/New_York]"));
    let input = RxRequestInput::parse(RxRequestRaw {
        kind: "verification".into(),
        location_id: c.location.to_string(),
        requester: "LensMart".into(),
        requester_contact: "fax 555-0100".into(),
        patient_name: "Zoë Müller".into(),
        details: "Acuvue Oasys -3.00 8.4/14.0 OD, -2.75 OS; 6 boxes".into(),
        received_at: None,
    })
    .unwrap();
    let late = app.receive_rx_request(&c.doctor, &input).await.unwrap();
    assert_eq!(
        late.due_at,
        at("2027-06-15T15:00:00-04:00[America/New_York]")
    );
    let on_time = app.receive_rx_request(&c.doctor, &input).await.unwrap();
    let inbox = app.rx_requests(&c.doctor).await.unwrap();
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[0].status, RxRequestStatus::Pending);
    assert_eq!(inbox[0].minutes_left, 8 * 60);
    // Tuesday 14:59: one answered in time.
    c.w.clock
        .set(at("2027-06-15T14:59:00-04:00[America/New_York]"));
    let answered = app
        .answer_rx_request(&c.doctor, on_time.id, &answer("confirmed", "").unwrap())
        .await
        .unwrap();
    assert_eq!(answered.status, RxRequestStatus::Verified);
    let err = answer("invalid", "").unwrap_err();
    assert!(err.contains("say why"), "{err}");
    // An agent's answer does not fit a seller's verification.
    let err = app
        .answer_rx_request(&c.doctor, late.id, &answer("sent", "by fax").unwrap())
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("answer with one of"), "{err:?}");
    // Tuesday 15:01: the other lapsed.
    c.w.clock
        .set(at("2027-06-15T15:01:00-04:00[America/New_York]"));
    let inbox = app.rx_requests(&c.doctor).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].status, RxRequestStatus::PassivelyVerified);
    let report = app
        .ftc_report(
            &c.doctor,
            jiff::civil::date(2027, 6, 1),
            jiff::civil::date(2027, 7, 1),
        )
        .await
        .unwrap();
    assert_eq!(report.verifications, 2);
    assert_eq!(report.verifications_answered_on_time, 1);
    assert_eq!(report.passively_verified, 1);
    // The front desk has no access to prescriptions.
    let desk = c.w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = app.unsafe_caller_for(desk.id).await.unwrap();
    assert!(matches!(
        app.rx_requests(&desk).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
}
