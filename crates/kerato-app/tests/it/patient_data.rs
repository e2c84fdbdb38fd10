//! A patient's rights over the whole record: the access package holds
//! every row about the patient and nothing about anyone else, and a
//! deletion request deletes what nothing keeps and reports the rest.

use std::io::Read;

use jiff::civil::Date;
use kerato_app::AppError;
use kerato_app::lesions::PhotoSize;
use kerato_domain::consent::ConsentInput;
use kerato_domain::consent::{Purpose, Source};
use kerato_domain::identity::Role;
use kerato_domain::ids::{LocationId, PatientId, PhotoId};
use kerato_domain::privacy::DisclosureInput;
use kerato_domain::procedures::NewProcedure;
use kerato_domain::procedures::coding::BiopsyMethod;
use kerato_domain::procedures::note::{
    Anesthesia, BiopsyRecord, Hemostasis, ProcedureRecord, Tenths,
};
use kerato_domain::retention::LegalHold;
use kerato_store::on_tx;
use kerato_store::patient_data::{self, PATIENT_TABLES};
use serde_json::Value;

use crate::{World, world_with_photos};

const JPEG: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg");

/// The world clock's instant, which every seeded row is dated with.
const NOW: i64 = 1_780_000_000_000_000;

fn today() -> Date {
    kerato_domain::time::Timestamp::from_micros(NOW)
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// Runs one statement with text binds; numbers are written into the SQL.
async fn run(w: &World, sql: &str, binds: &[&str]) {
    let mut tx = w.app.store().write().await.unwrap();
    on_tx!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.execute(&mut **c).await.map(|r| r.rows_affected())
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    tx.commit().await.unwrap();
}

struct Clinic {
    location: LocationId,
    derm: kerato_app::Caller,
    officer: kerato_app::Caller,
    billing: kerato_app::Caller,
}

async fn clinic(w: &World) -> Clinic {
    let location = w
        .app
        .create_location(
            &w.admin,
            &crate::location_input("Skin Center").validate().unwrap(),
        )
        .await
        .unwrap()
        .id;
    let mut callers = Vec::new();
    for (email, role) in [
        ("derm@capital.example", Role::Physician),
        ("privacy@capital.example", Role::PrivacyOfficer),
        ("billing@capital.example", Role::Billing),
    ] {
        let user = w.user(email, role, &[]).await;
        callers.push(w.app.unsafe_caller_for(user.id).await.unwrap());
    }
    let org = w.admin.actor.organisation_id.to_string();
    run(
        w,
        "INSERT INTO providers (id, organisation_id, name, booking_seq, created_at) \
         VALUES ('prov-1', $1, 'Dr Test', 0, 0)",
        &[&org],
    )
    .await;
    run(
        w,
        "INSERT INTO appointment_types (id, organisation_id, name, duration_minutes, created_at) \
         VALUES ('type-1', $1, 'Skin check', 30, 0)",
        &[&org],
    )
    .await;
    run(
        w,
        "INSERT INTO recall_types (id, organisation_id, name, interval_months, created_at) \
         VALUES ('recall-type-1', $1, 'Annual skin check', 12, 0)",
        &[&org],
    )
    .await;
    let billing = callers.pop().unwrap();
    let officer = callers.pop().unwrap();
    let derm = callers.pop().unwrap();
    Clinic {
        location,
        derm,
        officer,
        billing,
    }
}

/// Gives `p` rows in as many patient tables as the use cases and plain
/// inserts reach; returns the photo's ID.
async fn seed(w: &World, c: &Clinic, p: PatientId) -> PhotoId {
    let app = &w.app;
    let photo = app
        .upload_photo(
            &c.derm,
            p,
            &kerato_domain::lesions::PhotoUpload {
                lesion: None,
                consent_given_now: true,
            },
            JPEG,
        )
        .await
        .unwrap()
        .id;
    let yes = |purpose, source| ConsentInput {
        purpose,
        granted: true,
        source,
    };
    app.record_consent(&w.admin, p, &yes(Purpose::MarketingEmail, Source::Form))
        .await
        .unwrap();
    app.record_consent(&w.admin, p, &yes(Purpose::Sms, Source::Staff))
        .await
        .unwrap();
    app.record_disclosure(
        &c.derm,
        &DisclosureInput {
            patient: p,
            disclosed_on: jiff::civil::date(2026, 5, 1),
            recipient: "County health department".into(),
            purpose: "Public health reporting".into(),
            description: "Melanoma registry report".into(),
        },
    )
    .await
    .unwrap();
    app.record_procedure(
        &c.derm,
        p,
        NewProcedure {
            lesion: None,
            location: c.location,
            record: ProcedureRecord::Biopsy(BiopsyRecord {
                method: BiopsyMethod::Punch,
                site: "left forearm".into(),
                punch_mm: Some(4),
                depth: None,
                anesthesia: Anesthesia {
                    agent: "1% lidocaine".into(),
                    volume_ml: Tenths(10),
                },
                hemostasis: Hemostasis::Sutures {
                    count: 1,
                    material: "4-0 nylon".into(),
                },
                specimen_id: String::new(),
            }),
            dose_override: None,
        },
    )
    .await
    .unwrap();

    let org = w.admin.actor.organisation_id.to_string();
    let loc = c.location.to_string();
    let user = c.derm.actor.user_id.to_string();
    let id = p.to_string();
    let s = |prefix: &str| format!("{prefix}-{id}");
    let (appt, exam, rx, lesion) = (s("appt"), s("exam"), s("rx"), s("lesion"));
    let b = |extra: &[&str]| -> Vec<String> { extra.iter().map(|x| x.to_string()).collect() };
    let rows: Vec<(&str, Vec<String>)> = vec![
        (
            "INSERT INTO appointments (id, organisation_id, location_id, provider_id, patient_id, \
             appointment_type_id, starts_at, ends_at, status, overbooked, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 'prov-1', $4, 'type-1', 1780000000000000, 1780001800000000, 'booked', 0, 1, \
             1780000000000000, 1780000000000000)",
            b(&[&appt, &org, &loc, &id]),
        ),
        (
            "INSERT INTO appointment_events (appointment_id, status, at, by_user) \
             VALUES ($1, 'booked', 1780000000000000, $2)",
            b(&[&appt, &user]),
        ),
        (
            "INSERT INTO coverages (id, organisation_id, patient_id, kind, priority, payer, member_id, \
             relationship, effective_from, created_at) \
             VALUES ($1, $2, $3, 'medical', 1, 'Aetna', 'M-123', 'self', '2026-01-01', 1780000000000000)",
            b(&[&s("cov"), &org, &id]),
        ),
        (
            "INSERT INTO patient_guarantors (patient_id, relationship, name, updated_at) \
             VALUES ($1, 'parent', 'A Guarantor', 1780000000000000)",
            b(&[&id]),
        ),
        (
            "INSERT INTO recalls (id, organisation_id, patient_id, recall_type_id, due_date, status, \
             outreach, outreach_attempts, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 'recall-type-1', '2027-05-28', 'open', 'none', 0, 1, \
             1780000000000000, 1780000000000000)",
            b(&[&s("recall"), &org, &id]),
        ),
        (
            "INSERT INTO waitlist (id, organisation_id, patient_id, appointment_type_id, earliest_date, \
             latest_date, note, status, version, created_at, updated_at) \
             VALUES ($1, $2, $3, 'type-1', '2026-06-01', '2026-07-01', 'mornings', 'waiting', 1, \
             1780000000000000, 1780000000000000)",
            b(&[&s("wait"), &org, &id]),
        ),
        (
            "INSERT INTO eye_exams (id, organisation_id, location_id, patient_id, template, status, \
             created_at, created_by) VALUES ($1, $2, $3, $4, 'comprehensive', 'draft', 1780000000000000, $5)",
            b(&[&exam, &org, &loc, &id, &user]),
        ),
        (
            "INSERT INTO eye_exam_sections (exam_id, section, data, updated_at, updated_by) \
             VALUES ($1, 'history', '{}', 1780000000000000, $2)",
            b(&[&exam, &user]),
        ),
        (
            "INSERT INTO prescriptions (id, organisation_id, patient_id, exam_id, kind, state, \
             prescriber_user_id, prescriber_name, prescriber_license, prescriber_npi, body, issued_on, \
             expires_on, created_at) VALUES ($1, $2, $3, $4, 'spectacle', 'NY', $5, 'Dr Test', 'L1', \
             '1234567893', '{}', '2026-05-28', '2028-05-28', 1780000000000000)",
            b(&[&rx, &org, &id, &exam, &user]),
        ),
        (
            "INSERT INTO rx_releases (prescription_id, released_at, method, released_by) \
             VALUES ($1, 1780000000000000, 'paper', $2)",
            b(&[&rx, &user]),
        ),
        (
            "INSERT INTO lesions (id, organisation_id, patient_id, region, laterality, map_view, x, y, \
             label, status, created_at, created_by) VALUES ($1, $2, $3, 'forearm', 'left', 'front', 10, 20, \
             'L1', 'active', 1780000000000000, $4)",
            b(&[&lesion, &org, &id, &user]),
        ),
        (
            "INSERT INTO lesion_observations (lesion_id, n, data, observed_at, observed_by) \
             VALUES ($1, 1, '{}', 1780000000000000, $2)",
            b(&[&lesion, &user]),
        ),
        (
            "INSERT INTO visit_em (patient_id, service_date, organisation_id, code, recorded_by, recorded_at) \
             VALUES ($1, '2026-05-28', $2, '99213', $3, 1780000000000000)",
            b(&[&id, &org, &user]),
        ),
        (
            "INSERT INTO email_outbox (id, recipient, subject, body, created_at, attempts, idempotency_key) \
             VALUES ($1, 'patient@example.com', 'Your visit', 'See you soon', 1780000000000000, 0, $2)",
            b(&[&s("mail"), &format!("reminder:{appt}")]),
        ),
    ];
    for (sql, binds) in rows {
        let binds: Vec<&str> = binds.iter().map(String::as_str).collect();
        run(w, sql, &binds).await;
    }
    photo
}

/// The rows each registry table holds about `p`, summed per table.
async fn counts(w: &World, p: PatientId) -> Vec<(&'static str, u64)> {
    let mut tx = w.app.store().read().await.unwrap();
    let mut out: Vec<(&'static str, u64)> = Vec::new();
    for entry in PATIENT_TABLES {
        let n = patient_data::holding(&mut tx, entry, p).await.unwrap().rows;
        match out.iter_mut().find(|(t, _)| *t == entry.table) {
            Some((_, total)) => *total += n,
            None => out.push((entry.table, n)),
        }
    }
    out
}

fn count_of(counts: &[(&str, u64)], table: &str) -> u64 {
    counts
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(0, |(_, n)| *n)
}

/// Every string anywhere in a JSON value.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(list) => list.iter().for_each(|x| strings(x, out)),
        Value::Object(map) => map.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_package_holds_every_row_about_the_patient_and_nothing_about_another() {
    let (w, _dir) = world_with_photos().await;
    let c = clinic(&w).await;
    let alma = w.patient("Alma", "Zeller", "1970-05-05").await;
    let bruno = w.patient("Bruno", "Quaglia", "1982-03-03").await;
    let photo = seed(&w, &c, alma).await;
    seed(&w, &c, bruno).await;

    for refused in [&c.derm, &c.billing] {
        let err = w.app.access_package(refused, alma).await.unwrap_err();
        assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    }
    // Counted before the export, whose own audit event comes after its read.
    let direct = counts(&w, alma).await;
    let package = w.app.access_package(&c.officer, alma).await.unwrap();
    assert!(package.file_name.starts_with(&format!("record-{alma}-")));
    assert!(package.file_name.ends_with(".zip"));

    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package.bytes)).unwrap();
    let mut read = |name: &str| {
        let mut bytes = Vec::new();
        zip.by_name(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    assert!(read("summary.pdf").starts_with(b"%PDF"));
    let photo_bytes = read(&format!("photos/{photo}.jpg"));
    let record: Value = serde_json::from_slice(&read("record.json")).unwrap();
    assert_eq!(record["patient_id"], alma.to_string());
    assert_eq!(record["practice"], "Capital Derm");
    let tables = record["tables"].as_object().unwrap();

    // Every table holds exactly the rows the registry counts directly; the
    // seeded ones are not empty, so the comparison means something.
    for (table, n) in &direct {
        let exported = tables[*table].as_array().unwrap().len() as u64;
        assert_eq!(exported, *n, "{table}");
    }
    for seeded in [
        "patients",
        "patient_name_tokens",
        "patient_display_names",
        "appointments",
        "appointment_events",
        "coverages",
        "patient_guarantors",
        "recalls",
        "waitlist",
        "eye_exams",
        "eye_exam_sections",
        "prescriptions",
        "rx_releases",
        "lesions",
        "lesion_observations",
        "clinical_photos",
        "consents",
        "procedures",
        "biopsies",
        "charge_proposals",
        "visit_em",
        "disclosures",
        "email_outbox",
        "audit_events",
    ] {
        assert!(count_of(&direct, seeded) > 0, "{seeded} was not seeded");
    }
    // Three consents (photography given with the photo, marketing e-mail,
    // text messages), whichever group of the registry each falls in.
    assert_eq!(count_of(&direct, "consents"), 3);

    let bruno_chart = w.app.get_patient(&w.admin, bruno).await.unwrap();
    let mut all = Vec::new();
    strings(&record, &mut all);
    for s in &all {
        assert!(!s.contains(&bruno.to_string()), "Bruno's ID in {s}");
        assert_ne!(s, &bruno_chart.mrn, "Bruno's record number");
        assert!(
            !s.contains("Quaglia") && !s.contains("Bruno"),
            "Bruno's name in {s}"
        );
    }
    assert!(
        all.iter().any(|s| s == "Zeller"),
        "Alma's own name is there"
    );

    let (_, stored) = w
        .app
        .view_photo(&c.derm, photo, PhotoSize::Full)
        .await
        .unwrap();
    assert_eq!(photo_bytes, stored);

    // The export is audited as one, with the patient.
    let mut tx = w.app.store().read().await.unwrap();
    let (exports,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM audit_events WHERE patient_id = $1 AND action = 'export' AND outcome = 'allowed'"
    )
    .bind(alma.to_string())
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(exports, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_request_removes_marketing_and_keeps_clinical_records_with_their_dates() {
    let (w, _dir) = world_with_photos().await;
    let c = clinic(&w).await;
    let alma = w.patient("Alma", "Zeller", "1970-05-05").await;
    seed(&w, &c, alma).await;
    let before = counts(&w, alma).await;
    let today = today();

    let err = w
        .app
        .delete_patient_data(&c.derm, alma, today, "NY", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    let err = w
        .app
        .delete_patient_data(&c.officer, alma, today, "New York", &[])
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("state"), "{err}");

    // A hold on every class keeps even what would go at once.
    let hold = LegalHold {
        reason: "subpoena 26-17".into(),
        placed_on: today,
        released_on: None,
        classes: vec![],
    };
    let held = w
        .app
        .delete_patient_data(&c.officer, alma, today, "NY", std::slice::from_ref(&hold))
        .await
        .unwrap();
    assert!(held.deleted.is_empty(), "{held:?}");
    assert!(held.kept.iter().all(|k| k.why.contains("subpoena 26-17")));
    assert_eq!(counts(&w, alma).await.len(), before.len());
    assert_eq!(count_of(&counts(&w, alma).await, "consents"), 3);

    let report = w
        .app
        .delete_patient_data(&c.officer, alma, today, "NY", &[])
        .await
        .unwrap();
    assert_eq!(
        report.deleted,
        vec![
            ("email_outbox".to_string(), 1),
            ("waitlist".to_string(), 1),
            ("consents".to_string(), 2),
        ]
    );
    let after = counts(&w, alma).await;
    assert_eq!(count_of(&after, "consents"), 1, "photography consent stays");
    assert_eq!(count_of(&after, "waitlist"), 0);
    for (table, n) in &before {
        if !["consents", "waitlist", "email_outbox", "audit_events"].contains(table) {
            assert_eq!(count_of(&after, table), *n, "{table} kept whole");
        }
    }

    let kept = |label: &str| {
        report
            .kept
            .iter()
            .find(|k| k.what.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in {:?}", report.kept))
    };
    let years = |n: i16| {
        today
            .checked_add(jiff::Span::new().years(n))
            .unwrap()
            .tomorrow()
            .unwrap()
    };
    // New York keeps an adult's record six years after the last visit.
    let clinical = kept("Clinical record (adult)");
    assert_eq!(clinical.until, Some(years(6)));
    assert!(
        clinical.why.contains("8 NYCRR 29.2(a)(3)"),
        "{}",
        clinical.why
    );
    assert!(
        clinical.what.contains("appointments (1 row)"),
        "{}",
        clinical.what
    );
    let documentation = kept("HIPAA documentation");
    assert_eq!(documentation.until, Some(years(6)));
    assert!(documentation.what.contains("disclosures (1 row)"));
    assert!(
        documentation.why.contains("164.316"),
        "{}",
        documentation.why
    );
    let audit = kept("Audit trail");
    assert_eq!(audit.until, Some(years(10)));
    assert!(audit.why.contains("pseudonymised"), "{}", audit.why);
    assert_eq!(report.kept.len(), 3, "{:?}", report.kept);

    // The request itself is audited with what it decided.
    let mut tx = w.app.store().read().await.unwrap();
    let (events,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM audit_events WHERE patient_id = $1 AND category = 'deletion request' \
         AND outcome = 'allowed'"
    )
    .bind(alma.to_string())
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(events, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_period_a_record_goes_whole_unless_signed_records_hold_it() {
    let (w, _dir) = world_with_photos().await;
    let c = clinic(&w).await;
    let later = today().checked_add(jiff::Span::new().years(11)).unwrap();

    // A chart with only a visit and insurance goes entirely, chart last;
    // its audit trail stays, to be pseudonymised.
    let brief = w.patient("Cora", "Lindqvist", "1960-01-01").await;
    let org = w.admin.actor.organisation_id.to_string();
    let id = brief.to_string();
    run(
        &w,
        "INSERT INTO appointments (id, organisation_id, location_id, provider_id, patient_id, \
         appointment_type_id, starts_at, ends_at, status, overbooked, version, created_at, updated_at) \
         VALUES ('appt-cora', $1, $2, 'prov-1', $3, 'type-1', 1780000000000000, 1780001800000000, \
         'completed', 0, 1, 1780000000000000, 1780000000000000)",
        &[&org, &c.location.to_string(), &id],
    )
    .await;
    let report = w
        .app
        .delete_patient_data(&c.officer, brief, later, "NY", &[])
        .await
        .unwrap();
    let tables: Vec<&str> = report.deleted.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tables,
        [
            "appointments",
            "patient_name_tokens",
            "patient_display_names",
            "patients"
        ]
    );
    assert_eq!(report.kept.len(), 1, "{:?}", report.kept);
    assert!(report.kept[0].what.starts_with("Audit trail"));
    let left = counts(&w, brief).await;
    assert!(
        left.iter().all(|(t, n)| *n == 0 || *t == "audit_events"),
        "{left:?}"
    );

    // An eye exam cannot be deleted in place, so the clinical record
    // stays whole and says why; documentation past six years goes.
    let full = w.patient("Dara", "Okafor", "1975-02-02").await;
    seed(&w, &c, full).await;
    let report = w
        .app
        .delete_patient_data(&c.officer, full, later, "NY", &[])
        .await
        .unwrap();
    let clinical = report
        .kept
        .iter()
        .find(|k| k.what.starts_with("Clinical record"))
        .unwrap();
    assert!(
        clinical.why.contains("cannot be deleted in place"),
        "{}",
        clinical.why
    );
    assert!(clinical.why.contains("eye_exams"), "{}", clinical.why);
    assert!(
        report.deleted.contains(&("disclosures".to_string(), 1)),
        "{:?}",
        report.deleted
    );
    assert_eq!(count_of(&counts(&w, full).await, "patients"), 1);
}
