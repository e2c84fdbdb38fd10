//! Canary records for the retention job: one of every class the clinic
//! holds, planted on known dates; each is still there the day before it
//! falls due and gone on its day, a legal hold keeps one past its day
//! until it is released, a dry run changes nothing and counts the same,
//! and a second run on the same day finds nothing.

use std::collections::BTreeMap;

use kerato_app::eye::SignInput;
use kerato_app::procedures::ProcedureInput;
use kerato_app::retention::{ClassCounts, RUN_CLASSES, RetentionReport};
use kerato_app::{App, AppError, Caller};
use kerato_domain::consent::{Purpose, Source};
use kerato_domain::derm_coding::BiopsyMethod;
use kerato_domain::identity::Role;
use kerato_domain::ids::{LocationId, PatientId};
use kerato_domain::procedure_note::{
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
            },
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
            ProcedureInput {
                patient,
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
        .start_exam(&c.od, patient, c.location, "comprehensive", None)
        .await
        .unwrap();
    let rx: BTreeMap<String, String> = [("od.sphere", "-2.00"), ("os.sphere", "-1.75")]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    for section in ["manifest", "final"] {
        app.save_exam_section(&c.od, exam.id, section, &rx)
            .await
            .unwrap();
    }
    app.set_prescriber_credentials(&c.od, "OPT 12345", "1234567893")
        .await
        .unwrap();
    let issued = app
        .sign_exam(&c.od, exam.id, &SignInput::default())
        .await
        .unwrap();
    app.record_rx_confirmation(&c.od, issued[0].id, "signed", "Finn Optic")
        .await
        .unwrap();
}

async fn marketing(w: &World, patient: PatientId, granted: bool) {
    w.app
        .record_consent(
            &w.admin,
            patient,
            Purpose::MarketingEmail,
            granted,
            Source::Form,
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
            Some(ada),
            None,
            "Adult v. Capital Derm, 26-CV-1",
        )
        .await
        .unwrap();
    let err = app
        .place_legal_hold(&c.derm, Some(ada), None, "not a privacy officer")
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
    assert_eq!(holds[0].released_on.as_deref(), Some("2026-06-01"));
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
        None,
        include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg"),
        true,
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
        None,
        Some(DataClass::UsageLogs),
        "security review",
    )
    .await
    .unwrap();
    let hold = app
        .place_legal_hold(
            &c.officer,
            None,
            Some(DataClass::ClinicalAdult),
            "state board inquiry",
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
    use kerato_app::rights::{Channel, RequestInput, RequestStep};
    let w = crate::world().await;
    let app = &w.app;
    app.create_location(&w.admin, &crate::location_input("Skin Center"))
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
        patient,
        &kerato_app::privacy::DisclosureInput {
            disclosed_on: "2026-03-02".into(),
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
            &RequestInput {
                request_type: "marketing_opt_out".into(),
                first_name: "Rosa".into(),
                last_name: "Quintero".into(),
                date_of_birth: "1961-04-02".into(),
                email: "rosa@example.net".into(),
                ..Default::default()
            },
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
        .row
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
        Some(patient),
        Some(DataClass::ClinicalAdult),
        "malpractice claim 2031-88",
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
