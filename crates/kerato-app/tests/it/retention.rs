//! Canary records for the retention job: one of every class the clinic
//! holds, planted on known dates; each is still there the day before it
//! falls due and gone on its day, a legal hold keeps one past its day
//! until it is released, a dry run changes nothing and counts the same,
//! and a second run on the same day finds nothing.

use std::collections::BTreeMap;

use kerato_app::retention::{ClassCounts, RUN_CLASSES, RetentionReport};
use kerato_app::{App, AppError, Caller};
use kerato_domain::consent::{Purpose, Source};
use kerato_domain::eye::exam::{SectionEntry, StartExamInput, Template};
use kerato_domain::eye::prescription::{
    ConfirmationInput, ConfirmationRaw, PrescriberCredentialsInput, PrescriberCredentialsRaw,
    SignInput,
};
use kerato_domain::identity::Role;
use kerato_domain::ids::{LocationId, PatientId};
use kerato_domain::input::ParseInput;
use kerato_domain::procedures::NewProcedure;
use kerato_domain::procedures::coding::BiopsyMethod;
use kerato_domain::procedures::note::{
    Anesthesia, BiopsyRecord, Hemostasis, ProcedureRecord, TangentialDepth, Tenths,
};
use kerato_domain::retention::DataClass;
use kerato_domain::time::Timestamp;

use crate::{PASSWORD, World};

/// Noon of `date` at the practice, in New York.
fn noon(date: &str) -> Timestamp {
    let z: jiff::ZonedDateTime = format!("{date}T12:00[America/New_York]").parse().unwrap();
    Timestamp::from_jiff(z.timestamp())
}

async fn count(app: &App, sql: &'static str, key: &str) -> i64 {
    let mut tx = app.store().read().await.unwrap();
    kerato_store::on_tx!(&mut tx, c => sqlx::query_scalar::<_, i64>(sql)
        .bind(key.to_string())
        .fetch_one(&mut **c)
        .await)
    .unwrap()
}

async fn chart_exists(app: &App, patient: PatientId) -> bool {
    count(
        app,
        "SELECT count(*) FROM patients WHERE id = $1",
        &patient.to_string(),
    )
    .await
        == 1
}

async fn consents_of(app: &App, patient: PatientId) -> i64 {
    count(
        app,
        "SELECT count(*) FROM consents WHERE subject_id = $1",
        &patient.to_string(),
    )
    .await
}

/// Runs the job at noon on `date` and returns the report.
async fn run_on(w: &World, date: &str) -> RetentionReport {
    w.clock.set(noon(date));
    w.app.run_retention(false).await.unwrap()
}

fn records(report: &RetentionReport, class: DataClass) -> u64 {
    report.total(class).records
}

/// Every class's counts in one map, for comparing whole reports.
fn totals(report: &RetentionReport) -> BTreeMap<DataClass, ClassCounts> {
    RUN_CLASSES.iter().map(|c| (*c, report.total(*c))).collect()
}

struct Canaries {
    location: LocationId,
    derm: Caller,
    od: Caller,
    officer: Caller,
}

async fn canaries(w: &World) -> Canaries {
    let location = w
        .app
        .create_location(
            &w.admin,
            &kerato_domain::tenancy::LocationInput {
                specialties: vec!["dermatology".into(), "eye_care".into()],
                ..crate::location_input("Main Street")
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let od = w.user("od@capital.example", Role::Optometrist, &[]).await;
    let officer = w
        .user("privacy@capital.example", Role::PrivacyOfficer, &[])
        .await;
    Canaries {
        location,
        derm: w.app.unsafe_caller_for(derm.id).await.unwrap(),
        od: w.app.unsafe_caller_for(od.id).await.unwrap(),
        officer: w.app.unsafe_caller_for(officer.id).await.unwrap(),
    }
}

/// A visit: a shave biopsy recorded now.
async fn visit(w: &World, c: &Canaries, patient: PatientId) {
    let record = ProcedureRecord::Biopsy(BiopsyRecord {
        method: BiopsyMethod::Tangential,
        site: "left forearm".into(),
        punch_mm: None,
        depth: Some(TangentialDepth::PapillaryDermis),
        anesthesia: Anesthesia {
            agent: "1% lidocaine".into(),
            volume_ml: Tenths(5),
        },
        hemostasis: Hemostasis::AluminiumChloride,
        specimen_id: "issued by the app".into(),
    });
    w.app
        .record_procedure(
            &c.derm,
            patient,
            NewProcedure {
                lesion: None,
                location: c.location,
                record,
                dose_override: None,
            },
        )
        .await
        .unwrap();
}

/// A signed eye exam whose spectacle prescription's release the patient
/// confirmed now.
async fn confirmed_rx(w: &World, c: &Canaries, patient: PatientId) {
    let app = &w.app;
    let exam = app
        .start_exam(
            &c.od,
            patient,
            &StartExamInput {
                location_id: c.location,
                template: Template::Comprehensive,
                appointment_id: None,
            },
        )
        .await
        .unwrap();
    let rx = SectionEntry::parse(
        [("od.sphere", "-2.00"), ("os.sphere", "-1.75")]
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
    )
    .unwrap();
    for section in ["manifest", "final"] {
        app.save_exam_section(&c.od, exam.id, section, &rx)
            .await
            .unwrap();
    }
    let credentials = PrescriberCredentialsInput::parse(PrescriberCredentialsRaw {
        license: "OPT 12345".into(),
        npi: "1234567893".into(),
    })
    .unwrap();
    app.set_prescriber_credentials(&c.od, &credentials)
        .await
        .unwrap();
    let issued = app
        .sign_exam(&c.od, exam.id, &SignInput::default())
        .await
        .unwrap();
    let confirmation = ConfirmationInput::parse(ConfirmationRaw {
        outcome: "signed".into(),
        signer_name: Some("Finn Optic".into()),
        acknowledge: Some("yes".into()),
    })
    .unwrap();
    app.record_rx_confirmation(&c.od, issued[0].id, &confirmation)
        .await
        .unwrap();
}

async fn marketing(w: &World, patient: PatientId, granted: bool) {
    w.app
        .record_consent(
            &w.admin,
            patient,
            &kerato_domain::consent::ConsentInput {
                purpose: Purpose::MarketingEmail,
                granted,
                source: Source::Form,
            },
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_canary_goes_on_its_day_and_not_before() {
    let w = crate::world().await;
    let app = &w.app;
    // 2020: the practice opens (New York: six years after the last visit,
    // a minor's record until 22), and sees an adult and a child.
    w.clock.set(noon("2020-05-10"));
    let c = canaries(&w).await;
    let ada = w.patient("Ada", "Adult", "1970-01-01").await;
    let mia = w.patient("Mia", "Minor", "2012-03-15").await;
    visit(&w, &c, ada).await;
    visit(&w, &c, mia).await;
    // 2023: two patients say yes to marketing e-mail.
    w.clock.set(noon("2023-06-01"));
    let mark = w.patient("Mark", "Eting", "1980-07-04").await;
    let otto = w.patient("Otto", "Out", "1985-02-02").await;
    marketing(&w, mark, true).await;
    marketing(&w, otto, true).await;
    // 2024: a nine-year-old's chart, and a confirmed prescription.
    w.clock.set(noon("2024-01-01"));
    let kid = w.patient("Kit", "Young", "2015-01-01").await;
    w.clock.set(noon("2024-01-10"));
    let finn = w.patient("Finn", "Optic", "1975-05-05").await;
    confirmed_rx(&w, &c, finn).await;

    // A child's marketing answer goes the day it is recorded.
    let r = run_on(&w, "2024-02-29").await;
    assert_eq!(records(&r, DataClass::ChildNonClinical), 0);
    w.clock.set(noon("2024-03-01"));
    marketing(&w, kid, true).await;
    assert_eq!(consents_of(app, kid).await, 1);
    let r = run_on(&w, "2024-03-01").await;
    assert_eq!(r.total(DataClass::ChildNonClinical).records, 1);
    assert_eq!(r.total(DataClass::ChildNonClinical).rows, 1);
    assert_eq!(consents_of(app, kid).await, 0);
    assert!(chart_exists(app, kid).await, "the child's chart stays");

    // An opt-out: kept the day before, gone on the day of the "no".
    let r = run_on(&w, "2024-08-31").await;
    assert_eq!(records(&r, DataClass::MarketingData), 0);
    assert_eq!(consents_of(app, otto).await, 1);
    w.clock.set(noon("2024-09-01"));
    marketing(&w, otto, false).await;
    let r = run_on(&w, "2024-09-01").await;
    assert_eq!(r.total(DataClass::MarketingData).records, 1);
    assert_eq!(
        r.total(DataClass::MarketingData).rows,
        2,
        "the yes and the no"
    );
    assert_eq!(consents_of(app, otto).await, 0);
    assert_eq!(consents_of(app, mark).await, 1, "Mark has not opted out");

    // A staff session: thirty days after its last request.
    w.clock.set(noon("2026-01-10"));
    app.sign_in(
        "privacy@capital.example",
        PASSWORD,
        Some("192.0.2.7".into()),
    )
    .await
    .unwrap();
    let sessions = || {
        count(
            app,
            "SELECT count(*) FROM sessions WHERE source_ip = $1",
            "192.0.2.7",
        )
    };
    let r = run_on(&w, "2026-02-09").await;
    assert_eq!(records(&r, DataClass::UsageLogs), 0);
    assert_eq!(sessions().await, 1);
    let r = run_on(&w, "2026-02-10").await;
    assert_eq!(records(&r, DataClass::UsageLogs), 1);
    assert_eq!(sessions().await, 0);

    // The adult's chart falls due six years after the visit, on
    // 2026-05-11; a hold placed before keeps it past that day.
    w.clock.set(noon("2026-05-01"));
    let hold = app
        .place_legal_hold(
            &c.officer,
            &kerato_domain::retention::HoldInput {
                patient: Some(ada),
                class: None,
                reason: "Adult v. Capital Derm, 26-CV-1".into(),
            },
        )
        .await
        .unwrap();
    let err = app
        .place_legal_hold(
            &c.derm,
            &kerato_domain::retention::HoldInput {
                patient: Some(ada),
                class: None,
                reason: "not a privacy officer".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    let r = run_on(&w, "2026-05-10").await;
    assert_eq!(
        r.total(DataClass::ClinicalAdult),
        ClassCounts::default(),
        "not due yet"
    );
    let r = run_on(&w, "2026-05-11").await;
    assert_eq!(r.total(DataClass::ClinicalAdult).held, 1, "due, and held");
    assert_eq!(records(&r, DataClass::ClinicalAdult), 0);
    let r = run_on(&w, "2026-05-30").await;
    assert_eq!(r.total(DataClass::ClinicalAdult).held, 1);
    assert!(chart_exists(app, ada).await);

    // Released: a dry run counts the chart and deletes nothing; the run
    // counts the same and deletes it; a second run finds nothing.
    w.clock.set(noon("2026-06-01"));
    app.release_legal_hold(&c.officer, hold.id).await.unwrap();
    let err = app
        .release_legal_hold(&c.officer, hold.id)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    let holds = app.legal_holds(&c.officer).await.unwrap();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].released_on, Some(jiff::civil::date(2026, 6, 1)));
    let dry = app.run_retention(true).await.unwrap();
    assert!(dry.dry_run);
    assert_eq!(records(&dry, DataClass::ClinicalAdult), 1);
    assert!(
        dry.total(DataClass::ClinicalAdult).rows > 5,
        "chart, names, visit, specimen"
    );
    assert!(chart_exists(app, ada).await, "a dry run deletes nothing");
    let real = app.run_retention(false).await.unwrap();
    assert_eq!(totals(&real), totals(&dry));
    assert!(!chart_exists(app, ada).await);
    let ada_id = ada.to_string();
    for sql in [
        "SELECT count(*) FROM procedures WHERE patient_id = $1",
        "SELECT count(*) FROM biopsies WHERE patient_id = $1",
        "SELECT count(*) FROM charge_proposals WHERE patient_id = $1",
        "SELECT count(*) FROM patient_name_tokens WHERE patient_id = $1",
    ] {
        assert_eq!(count(app, sql, &ada_id).await, 0, "{sql}");
    }
    assert!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE patient_id = $1",
            &ada_id
        )
        .await
            > 0,
        "the audit trail outlives the chart"
    );
    let again = app.run_retention(false).await.unwrap();
    for (class, counts) in totals(&again) {
        assert_eq!(counts, ClassCounts::default(), "{class} on the second run");
    }

    // Marketing: three years after the last answer.
    let r = run_on(&w, "2026-06-01").await;
    assert_eq!(records(&r, DataClass::MarketingData), 0);
    assert_eq!(consents_of(app, mark).await, 1);
    let r = run_on(&w, "2026-06-02").await;
    assert_eq!(records(&r, DataClass::MarketingData), 1);
    assert_eq!(consents_of(app, mark).await, 0);

    // The FTC confirmation: kept through its third anniversary.
    let finn_id = finn.to_string();
    let finn_rx = || {
        count(
            app,
            "SELECT count(*) FROM rx_confirmations WHERE prescription_id IN \
             (SELECT id FROM prescriptions WHERE patient_id = $1)",
            &finn_id,
        )
    };
    let _ = run_on(&w, "2027-01-10").await;
    assert_eq!(finn_rx().await, 1);
    let r = run_on(&w, "2027-01-11").await;
    assert_eq!(records(&r, DataClass::FtcRxConfirmation), 1);
    assert_eq!(finn_rx().await, 0);

    // The minor's chart: six years after the visit is 2026, but it is kept
    // until the year after 22, so it goes on 2034-03-16. By then the
    // marketing patients' charts, never visited, have gone too; Finn's,
    // with its signed exam, is due and kept.
    let r = run_on(&w, "2034-03-15").await;
    assert_eq!(records(&r, DataClass::ClinicalMinor), 0);
    assert!(chart_exists(app, mia).await);
    assert!(!chart_exists(app, mark).await);
    assert_eq!(
        r.total(DataClass::ClinicalAdult).kept,
        1,
        "Finn's signed exam"
    );
    assert!(chart_exists(app, finn).await);
    let r = run_on(&w, "2034-03-16").await;
    assert_eq!(records(&r, DataClass::ClinicalMinor), 1);
    assert!(!chart_exists(app, mia).await);

    // Every run was recorded, and no event of the job names a patient.
    let org = w.admin.actor.organisation_id.to_string();
    assert!(
        count(
            app,
            "SELECT count(*) FROM retention_runs WHERE organisation_id = $1",
            &org
        )
        .await
            >= 15
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE category = $1 AND patient_id IS NOT NULL",
            "retention"
        )
        .await,
        0
    );
    assert!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE category = $1 AND action = 'delete'",
            "retention"
        )
        .await
            >= 6
    );
    assert!(matches!(
        app.verify_audit_trail().await.unwrap(),
        kerato_app::audit::Verification::Intact { .. }
    ));
}

/// The encrypted files in the attachment folder.
fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "kra")
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charts_photo_files_go_with_it_and_a_practice_wide_hold_keeps_a_class() {
    let (w, dir) = crate::world_with_photos().await;
    let app = &w.app;
    w.clock.set(noon("2020-05-10"));
    let c = canaries(&w).await;
    // Never visited: the chart runs from its creation, so it is due on
    // 2026-05-11.
    let pia = w.patient("Pia", "Photo", "1970-01-01").await;
    app.upload_photo(
        &c.derm,
        pia,
        &kerato_domain::lesions::PhotoUpload {
            lesion: None,
            consent_given_now: true,
        },
        include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg"),
    )
    .await
    .unwrap();
    assert_eq!(files_in(dir.path()), 2, "the photo and its thumbnail");

    // A process without the files' key keeps the chart rather than leave
    // files no row names.
    w.clock.set(noon("2026-05-11"));
    let keyless = App::new(app.store().clone(), w.clock.clone());
    let r = keyless.run_retention(false).await.unwrap();
    assert_eq!(r.total(DataClass::ClinicalAdult).kept, 1);
    assert!(chart_exists(app, pia).await);

    // A hold on the whole practice's adult records keeps it too, and one
    // on another class does not count.
    app.place_legal_hold(
        &c.officer,
        &kerato_domain::retention::HoldInput {
            patient: None,
            class: Some(DataClass::UsageLogs),
            reason: "security review".into(),
        },
    )
    .await
    .unwrap();
    let hold = app
        .place_legal_hold(
            &c.officer,
            &kerato_domain::retention::HoldInput {
                patient: None,
                class: Some(DataClass::ClinicalAdult),
                reason: "state board inquiry".into(),
            },
        )
        .await
        .unwrap();
    let r = run_on(&w, "2026-05-12").await;
    assert_eq!(r.total(DataClass::ClinicalAdult).held, 1);
    assert_eq!(r.total(DataClass::ClinicalAdult).records, 0);
    assert_eq!(files_in(dir.path()), 2);

    app.release_legal_hold(&c.officer, hold.id).await.unwrap();
    let r = app.run_retention(false).await.unwrap();
    assert_eq!(r.total(DataClass::ClinicalAdult).records, 1);
    assert!(!chart_exists(app, pia).await);
    assert_eq!(files_in(dir.path()), 0, "no file outlives its row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hipaa_documentation_goes_six_years_after_it_was_made_and_not_a_day_before() {
    use kerato_domain::input::ParseInput;
    use kerato_domain::rights::input::RawRequest;
    use kerato_domain::rights::{Channel, RequestInput, RequestStep};
    let w = crate::world().await;
    let app = &w.app;
    app.create_location(
        &w.admin,
        &crate::location_input("Skin Center").validate().unwrap(),
    )
    .await
    .unwrap();
    let officer = w
        .user("privacy@capital.example", Role::PrivacyOfficer, &[])
        .await;
    let officer = app.unsafe_caller_for(officer.id).await.unwrap();
    w.clock.set(noon("2026-03-02"));
    let patient = w.patient("Rosa", "Quintero", "1961-04-02").await;
    // A disclosure, an answered opt-out request and an acknowledgement of
    // the notice, all made on 2 March 2026.
    app.record_disclosure(
        &officer,
        &kerato_domain::privacy::DisclosureInput {
            patient,
            disclosed_on: jiff::civil::date(2026, 3, 2),
            recipient: "County health department".into(),
            purpose: "public health report".into(),
            description: "registry report".into(),
        },
    )
    .await
    .unwrap();
    let row = app
        .receive_rights_request(
            Some(&officer),
            Channel::Staff,
            &RequestInput::parse(RawRequest {
                request_type: "marketing_opt_out".into(),
                first_name: "Rosa".into(),
                last_name: "Quintero".into(),
                date_of_birth: "1961-04-02".into(),
                email: "rosa@example.net".into(),
                ..Default::default()
            })
            .unwrap(),
            false,
        )
        .await
        .unwrap();
    let v = app
        .rights_request_step(
            &officer,
            row.id,
            1,
            RequestStep::VerifyIdentity {
                patient,
                note: "photo ID".into(),
            },
        )
        .await
        .unwrap()
        .request
        .version;
    app.rights_request_step(
        &officer,
        row.id,
        v,
        RequestStep::Fulfil {
            summary: "opted out".into(),
        },
    )
    .await
    .unwrap();
    let documents = async || {
        let p = patient.to_string();
        [
            count(
                app,
                "SELECT count(*) FROM disclosures WHERE patient_id = $1",
                &p,
            )
            .await,
            count(
                app,
                "SELECT count(*) FROM rights_requests WHERE patient_id = $1",
                &p,
            )
            .await,
        ]
    };
    assert_eq!(documents().await, [1, 1]);
    // The chart itself is held (New York keeps it six years too, and it
    // would take the documents with it): the documents go on their own.
    app.place_legal_hold(
        &officer,
        &kerato_domain::retention::HoldInput {
            patient: Some(patient),
            class: Some(DataClass::ClinicalAdult),
            reason: "malpractice claim 2031-88".into(),
        },
    )
    .await
    .unwrap();
    // Kept through the sixth anniversary, gone the day after, once.
    let report = run_on(&w, "2032-03-02").await;
    assert_eq!(records(&report, DataClass::HipaaDocumentation), 0);
    assert_eq!(documents().await, [1, 1]);
    let report = run_on(&w, "2032-03-03").await;
    assert_eq!(records(&report, DataClass::HipaaDocumentation), 2);
    assert_eq!(documents().await, [0, 0]);
    assert!(chart_exists(app, patient).await, "the held chart stays");
    let report = run_on(&w, "2032-03-03").await;
    assert_eq!(
        records(&report, DataClass::HipaaDocumentation),
        0,
        "a second run does nothing"
    );
}

/// Plants an audit event of the practice at noon on `date`, about
/// `patient`, with patient-bearing values, as the app would have written it.
async fn plant_event(w: &World, id: &str, date: &str, patient: Option<PatientId>) {
    use kerato_domain::audit::{AuditAction, NewAuditEvent, Outcome};
    let mut tx = w.app.store().write().await.unwrap();
    kerato_store::audit::append(
        &mut tx,
        NewAuditEvent {
            id: id.into(),
            at: noon(date),
            organisation_id: Some(w.admin.actor.organisation_id.to_string()),
            user_id: Some(w.admin.actor.user_id.to_string()),
            patient_id: patient.map(|p| p.to_string()),
            action: AuditAction::Update,
            resource: "patient".into(),
            resource_id: Some(format!("resource-of-{id}")),
            category: "demographics".into(),
            old_value: Some("{\"phone\":\"555-0100\"}".into()),
            new_value: Some("{\"phone\":\"555-0199\"}".into()),
            source_ip: Some("192.0.2.9".into()),
            outcome: Outcome::Allowed,
            emergency: false,
            detail: Some("called about the bill".into()),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A planted event's patient ID, old and new values, detail, resource ID
/// and the time it was pseudonymised.
type PlantedRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Whether the planted event `id` still has its patient-bearing values;
/// when it has not, every one of them is gone, its pseudonymisation is
/// dated, and the rest of it (here, the resource) is still there.
async fn has_plaintext(app: &App, id: &str) -> bool {
    let mut tx = app.store().read().await.unwrap();
    let (patient, old, new, detail, resource, at): PlantedRow =
        kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT patient_id, old_value, new_value, detail, resource_id, pseudonymised_at \
         FROM audit_events WHERE id = $1"
    )
    .bind(id)
    .fetch_one(&mut **c)
    .await)
        .unwrap();
    assert_eq!(resource, Some(format!("resource-of-{id}")));
    let gone = old.is_none() && new.is_none() && detail.is_none() && patient.is_none();
    assert_eq!(gone, at.is_some(), "{id}: all or nothing, and dated");
    !gone
}

async fn trail_intact(app: &App) {
    let verification = app.verify_audit_trail().await.unwrap();
    assert!(
        matches!(verification, kerato_app::audit::Verification::Intact { .. }),
        "{verification:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_are_pseudonymised_ten_years_on_once_their_chart_is_gone() {
    let w = crate::world().await;
    let app = &w.app;
    // 2020-05-10: the practice (New York: a chart goes six years after the
    // last visit) registers three patients; an event about each, and one
    // about nobody, are planted on the day.
    w.clock.set(noon("2020-05-10"));
    let c = canaries(&w).await;
    let dora = w.patient("Dora", "Gone", "1970-01-01").await;
    let kurt = w.patient("Kurt", "Kept", "1971-01-01").await;
    let hal = w.patient("Hal", "Held", "1972-01-01").await;
    plant_event(&w, "about-dora", "2020-05-10", Some(dora)).await;
    plant_event(&w, "about-kurt", "2020-05-10", Some(kurt)).await;
    plant_event(&w, "about-hal", "2020-05-10", Some(hal)).await;
    plant_event(&w, "about-nobody", "2020-05-10", None).await;
    let about = async |patient: PatientId| {
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE patient_id = $1",
            &patient.to_string(),
        )
        .await
    };
    assert!(
        about(dora).await >= 2,
        "the registration and the planted one"
    );

    // Hal's trail is held before his chart goes; the hold names the trail
    // only, so the chart goes on its day.
    w.clock.set(noon("2026-05-01"));
    let hold = app
        .place_legal_hold(
            &c.officer,
            &kerato_domain::retention::HoldInput {
                patient: Some(hal),
                class: Some(DataClass::AuditTrail),
                reason: "Held v. Capital Derm, 29-CV-7".into(),
            },
        )
        .await
        .unwrap();
    // Kurt comes back in 2028, so his chart is kept until 2034.
    w.clock.set(noon("2028-01-01"));
    visit(&w, &c, kurt).await;
    let r = run_on(&w, "2026-05-11").await;
    assert_eq!(records(&r, DataClass::ClinicalAdult), 2, "Dora's and Hal's");
    assert!(!chart_exists(app, dora).await && !chart_exists(app, hal).await);
    assert!(chart_exists(app, kurt).await);
    assert_eq!(r.total(DataClass::AuditTrail), ClassCounts::default());
    assert!(about(dora).await >= 2, "the trail outlives the chart");

    // The day before the tenth anniversary is past, nothing planted goes.
    let r = run_on(&w, "2030-05-10").await;
    assert_eq!(r.total(DataClass::AuditTrail), ClassCounts::default());
    for id in ["about-dora", "about-kurt", "about-hal", "about-nobody"] {
        assert!(has_plaintext(app, id).await, "{id} a day early");
    }

    // On the day: a dry run counts what the run then does. Dora's events
    // and those about nobody go; Kurt's chart is still kept, so his stay
    // and are not even due; Hal's are due and held.
    w.clock.set(noon("2030-05-11"));
    let dry = app.run_retention(true).await.unwrap();
    for id in ["about-dora", "about-kurt", "about-hal", "about-nobody"] {
        assert!(
            has_plaintext(app, id).await,
            "{id}: a dry run changes nothing"
        );
    }
    let real = app.run_retention(false).await.unwrap();
    assert_eq!(totals(&real), totals(&dry));
    let trail = real.total(DataClass::AuditTrail);
    assert!(
        trail.records >= 3,
        "{trail:?}: Dora's two and the planted one about nobody at least"
    );
    assert_eq!(trail.rows, trail.records, "one row an event");
    assert_eq!(
        trail.held,
        about(hal).await as u64 - 1,
        "Hal's, but the hold's own event of 2026"
    );
    assert!(!has_plaintext(app, "about-dora").await);
    assert!(!has_plaintext(app, "about-nobody").await);
    assert!(
        has_plaintext(app, "about-kurt").await,
        "the chart is still kept"
    );
    assert!(has_plaintext(app, "about-hal").await, "the hold keeps it");
    assert_eq!(about(dora).await, 0, "no event names Dora any more");
    assert!(about(kurt).await >= 2);
    let pseudonymised = count(
        app,
        "SELECT count(*) FROM audit_events WHERE pseudonymised_at IS NOT NULL AND category <> $1",
        "retention",
    )
    .await;
    assert_eq!(
        pseudonymised as u64, trail.records,
        "the report counts what changed"
    );
    trail_intact(app).await;

    // A second run that day changes nothing.
    let again = app.run_retention(false).await.unwrap();
    assert_eq!(again.total(DataClass::AuditTrail).records, 0);
    assert_eq!(again.total(DataClass::AuditTrail).held, trail.held);

    // Released: Hal's 2020 events go at the next run; the hold's own
    // events (placed in 2026, released now) wait for their own tenth
    // anniversaries.
    w.clock.set(noon("2031-01-05"));
    app.release_legal_hold(&c.officer, hold.id).await.unwrap();
    let r = app.run_retention(false).await.unwrap();
    assert_eq!(records(&r, DataClass::AuditTrail), trail.held);
    assert_eq!(r.total(DataClass::AuditTrail).held, 0);
    assert!(!has_plaintext(app, "about-hal").await);
    assert_eq!(about(hal).await, 2, "the hold's placing and release");

    // Kurt's chart goes in 2034 (six years after the visit of 2028); his
    // events of 2020, past ten years already, go in the same run, while
    // those of the visit wait until 2038.
    let r = run_on(&w, "2034-01-01").await;
    assert_eq!(records(&r, DataClass::ClinicalAdult), 0);
    assert!(has_plaintext(app, "about-kurt").await);
    let r = run_on(&w, "2034-01-02").await;
    assert_eq!(records(&r, DataClass::ClinicalAdult), 1);
    assert!(!has_plaintext(app, "about-kurt").await);
    assert!(about(kurt).await >= 1, "the visit's events of 2028");

    // The hold's placing, on 2026-05-01, is kept through 2036-05-01.
    let _ = run_on(&w, "2036-05-01").await;
    assert_eq!(about(hal).await, 2);
    let r = run_on(&w, "2036-05-02").await;
    assert!(records(&r, DataClass::AuditTrail) >= 1);
    assert_eq!(about(hal).await, 1, "the release of 2031 waits");
    let r = run_on(&w, "2038-01-02").await;
    assert!(records(&r, DataClass::AuditTrail) >= 1);
    assert_eq!(about(kurt).await, 0);

    // No event of the job names a patient, and the chain verifies.
    assert_eq!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE category = $1 AND patient_id IS NOT NULL",
            "retention"
        )
        .await,
        0
    );
    assert!(
        count(
            app,
            "SELECT count(*) FROM audit_events WHERE category = $1 AND action = 'update' \
             AND detail LIKE 'retention pseudonymised%'",
            "retention"
        )
        .await
            >= 4
    );
    trail_intact(app).await;
}
