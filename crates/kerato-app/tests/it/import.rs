//! Imports from another system, on the backend the run selects: a large
//! practice in one run and again with nothing new, dry runs that name
//! every bad row and write nothing, duplicates, the OpenEMR preset on a
//! sample export, the double-booking rule, and the background job.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use jiff::civil::Date;
use kerato_app::import::synthetic::{self, Book};
use kerato_app::import::{ImportJobState, ImportRequest, NoProgress};
use kerato_app::{AppError, Caller};
use kerato_domain::identity::Role;
use kerato_domain::import::{ImportKind, ImportReport, Mapping, Preset};
use kerato_domain::patients::PatientInput;
use kerato_domain::providers::ProviderInput;
use kerato_domain::providers::hours::HoursInput;
use kerato_domain::tenancy::LocationInput;
use kerato_store::on_tx;
use kerato_store::patient_data::{OTHER_TABLES, PATIENT_TABLES};

use crate::{World, world};

const PROVIDERS: [&str; 4] = [
    "Dr. Ada Okafor",
    "Dr. Ben Sato",
    "Dr. Cleo Patel",
    "Dr. Dev Rao",
];

/// A practice in Chicago with four providers working weekdays 08:00 to
/// 17:00 at Main Street, one more at a second location only, and a
/// 30-minute office visit.
async fn practice(w: &World) -> Book {
    let main = w
        .app
        .create_location(
            &w.admin,
            &LocationInput {
                time_zone: "America/Chicago".into(),
                ..crate::location_input("Main Street")
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let north = w
        .app
        .create_location(
            &w.admin,
            &LocationInput {
                time_zone: "America/Chicago".into(),
                ..crate::location_input("North Clinic")
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    for name in PROVIDERS {
        let p = w
            .app
            .create_provider(
                &w.admin,
                &ProviderInput::new(name, &[main.id]).validate().unwrap(),
            )
            .await
            .unwrap();
        w.app
            .add_hours(
                &w.admin,
                p.id,
                &kerato_domain::input::ParseInput::parse(HoursInput::weekdays(
                    main.id,
                    Date::constant(2000, 1, 3),
                    "08:00",
                    "17:00",
                ))
                .unwrap(),
            )
            .await
            .unwrap();
    }
    w.app
        .create_provider(
            &w.admin,
            &ProviderInput::new("Dr. Elsewhere", &[north.id])
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    w.app
        .create_appointment_type(&w.admin, "Office visit", 30)
        .await
        .unwrap();
    Book {
        providers: PROVIDERS.iter().map(|p| p.to_string()).collect(),
        location: "Main Street".into(),
        visit_type: "Office visit".into(),
        // Before and after the test clock's day (2026-05-28), across the
        // autumn change of clocks.
        first_day: Date::constant(2026, 1, 5),
    }
}

fn mapping(preset: Preset, kind: ImportKind, book: &Book, extra: &str) -> Mapping {
    let overlay = match (preset, kind) {
        (Preset::OpenEmr, ImportKind::Appointments) => {
            format!("{}{extra}", synthetic::openemr_overlay(book))
        }
        _ => extra.to_string(),
    };
    Mapping::preset(preset, kind, Some(&overlay)).unwrap()
}

async fn import(
    w: &World,
    caller: &Caller,
    mapping: &Mapping,
    file: &[u8],
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    w.app
        .import(
            caller,
            &ImportRequest {
                mapping,
                file,
                dry_run,
            },
            &NoProgress,
        )
        .await
}

/// Rows in every table of the schema, and the next MRN: what a dry run
/// must leave exactly as it found it.
async fn every_table(w: &World) -> BTreeMap<String, i64> {
    let tables: BTreeSet<&str> = PATIENT_TABLES
        .iter()
        .map(|t| t.table)
        .chain(OTHER_TABLES.iter().map(|(t, _)| *t))
        .collect();
    let mut tx = w.app.store().read().await.unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let sql = format!("SELECT count(*) FROM {t}");
        let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_one(&mut **c).await).unwrap();
        out.insert(t.to_string(), n);
    }
    let next: Option<(i64,)> = on_tx!(tx, c => sqlx::query_as("SELECT next_mrn FROM mrn_counters").fetch_optional(&mut **c).await).unwrap();
    out.insert("next MRN".into(), next.map_or(0, |(n,)| n));
    out
}

async fn count(w: &World, sql: &'static str) -> i64 {
    let mut tx = w.app.store().read().await.unwrap();
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(sql).fetch_one(&mut **c).await).unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_patients_and_twenty_thousand_appointments_import_once() {
    let w = world().await;
    let book = practice(&w).await;
    let patients = synthetic::patients_csv(Preset::OpenEmr, 10_000);
    let appointments = synthetic::appointments_csv(Preset::OpenEmr, &book, 20_000, 10_000);
    let pm = mapping(Preset::OpenEmr, ImportKind::Patients, &book, "");
    let am = mapping(Preset::OpenEmr, ImportKind::Appointments, &book, "");
    let started = Instant::now();
    let r = import(&w, &w.admin, &pm, patients.as_bytes(), false)
        .await
        .unwrap();
    let patient_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        (r.rows, r.created, r.refused.len(), r.duplicates.len()),
        (10_000, 10_000, 0, 0),
        "{:?}",
        &r.refused[..r.refused.len().min(5)]
    );
    assert!(r.ignored_columns.contains(&"ss".to_string()));
    let started = Instant::now();
    let r = import(&w, &w.admin, &am, appointments.as_bytes(), false)
        .await
        .unwrap();
    let appointment_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        (r.rows, r.created, r.refused.len()),
        (20_000, 20_000, 0),
        "{:?}",
        &r.refused[..r.refused.len().min(5)]
    );
    eprintln!(
        "import on {}: 10,000 patients in {patient_secs:.1} s, 20,000 appointments in {appointment_secs:.1} s",
        w.app.store().backend().name()
    );
    assert_eq!(count(&w, "SELECT count(*) FROM patients").await, 10_000);
    assert_eq!(count(&w, "SELECT count(*) FROM appointments").await, 20_000);
    assert_eq!(
        count(&w, "SELECT count(*) FROM appointments WHERE status = 'cancelled' AND cancel_reason IS NOT NULL").await,
        1_000
    );
    assert_eq!(
        count(&w, "SELECT count(*) FROM audit_events WHERE category IN ('demographics', 'appointment') AND action = 'create'").await,
        30_000,
        "every record's creation is audited"
    );
    assert!(
        count(&w, "SELECT count(*) FROM patient_name_tokens").await >= 20_000,
        "the name index is written"
    );
    // Imported charts are found as registered ones are.
    let (first, last, ..) = synthetic::person(4242);
    let found = w
        .app
        .search_patients(&w.admin, &format!("{last} {first}"))
        .await
        .unwrap();
    assert!(
        found
            .iter()
            .any(|p| p.fields.legal_first_name == first && p.fields.legal_last_name == last)
    );

    // The same files again create nothing.
    let before = every_table(&w).await;
    let r = import(&w, &w.admin, &pm, patients.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((r.created, r.already_imported), (0, 10_000));
    let r = import(&w, &w.admin, &am, appointments.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((r.created, r.already_imported), (0, 20_000));
    assert_eq!(every_table(&w).await, before);
}

/// A good OpenEMR patient row for person `i`, with `change` applied to
/// its cells (by column) to make it bad.
fn patient_line(i: usize, pid: &str, change: &[(&str, &str)]) -> Vec<u8> {
    let (first, last, dob, phone, email) = synthetic::person(i);
    let mut cells: Vec<(&str, String)> = vec![
        ("pid", pid.into()),
        ("fname", first),
        ("lname", last),
        ("DOB", dob.to_string()),
        ("sex", "Female".into()),
        ("street", "1 Main Street".into()),
        ("city", "Springfield".into()),
        ("state", "IL".into()),
        ("postal_code", "62701".into()),
        ("phone_home", String::new()),
        ("phone_cell", phone),
        ("email", email),
        ("language", "english".into()),
    ];
    for (col, value) in change {
        if let Some(c) = cells.iter_mut().find(|(c, _)| c == col) {
            c.1 = value.to_string();
        }
    }
    let values: Vec<&str> = cells.iter().map(|(_, v)| v.as_str()).collect();
    kerato_domain::import::file::csv_line(&values).into_bytes()
}

const PATIENT_HEAD: &str = "pid,fname,lname,DOB,sex,street,city,state,postal_code,phone_home,phone_cell,email,language\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_names_fifty_bad_patient_rows_and_writes_nothing() {
    let w = world().await;
    let book = practice(&w).await;
    let long = "A".repeat(150);
    let huge = "B".repeat(1_200);
    // Each kind of mistake a real export has, as changes to a good row.
    let kinds: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("date_of_birth", vec![("DOB", "1980-13-01")]),
        ("date_of_birth", vec![("DOB", "2023-02-30")]),
        ("date_of_birth", vec![("DOB", "2031-01-01")]),
        ("date_of_birth", vec![("DOB", "1850-01-01")]),
        ("date_of_birth", vec![("DOB", "0000-00-00")]),
        ("legal_last_name", vec![("lname", "")]),
        ("legal_first_name", vec![("fname", "")]),
        ("state", vec![("state", "ZZ")]),
        ("zip", vec![("postal_code", "6270")]),
        ("mobile_phone", vec![("phone_cell", "555-0123")]),
        ("home_phone", vec![("phone_home", "(017) 555-0123")]),
        ("email", vec![("email", "not-an-email")]),
        ("legal_first_name", vec![("fname", &long)]),
        ("legal_last_name", vec![("lname", "Sm1th")]),
        ("sex_at_birth", vec![("sex", "Robot")]),
        ("city", vec![("city", "")]),
        ("preferred_language", vec![("language", "x")]),
        ("key", vec![("pid", "")]),
        ("row", vec![("street", &huge)]),
    ];
    let mut file = PATIENT_HEAD.as_bytes().to_vec();
    let mut bad = BTreeSet::new();
    let mut row = 1u64;
    let mut good = 0u64;
    for n in 0..50 {
        // A good row between bad ones, so the report must pick them out.
        row += 1;
        file.extend(patient_line(1_000 + n, &(1_000 + n).to_string(), &[]));
        good += 1;
        row += 1;
        bad.insert(row);
        let pid = (5_000 + n).to_string();
        match n % (kinds.len() + 3) {
            k if k < kinds.len() => file.extend(patient_line(n, &pid, &kinds[k].1)),
            k if k == kinds.len() => {
                // One value too many: a comma that needed quotes.
                file.extend(format!("{pid},Ann,Lee,Jr,1980-01-01,Female,,,,,,,,\r\n").as_bytes())
            }
            k if k == kinds.len() + 1 => {
                // Latin-1, not UTF-8.
                file.extend(format!("{pid},Ren").as_bytes());
                file.push(0xE9);
                file.extend(b",Dupont,1980-01-01,Male,,,,,,,,english\r\n");
            }
            _ => {
                // The ID of the good row just before it.
                file.extend(patient_line(n, &(1_000 + n).to_string(), &[]));
            }
        }
    }
    let m = mapping(Preset::OpenEmr, ImportKind::Patients, &book, "");
    let before = every_table(&w).await;
    let audit_before = count(&w, "SELECT count(*) FROM audit_events").await;
    let r = import(&w, &w.admin, &m, &file, true).await.unwrap();
    let refused: BTreeSet<u64> = r.refused.iter().map(|i| i.row).collect();
    assert_eq!(refused, bad, "{:#?}", r.refused);
    assert_eq!(r.refused_rows(), 50);
    assert_eq!(r.created, good);
    assert!(r.dry_run);
    for issue in &r.refused {
        assert!(issue.message.len() > 20, "{issue:?}");
    }
    // Each kind is named by its field, with the column it came from.
    for (field, change) in &kinds {
        assert!(
            r.refused.iter().any(|i| i.field == *field),
            "{field} ({change:?}) not reported"
        );
    }
    let dob = r
        .refused
        .iter()
        .find(|i| i.message.contains("0000-00-00"))
        .unwrap();
    assert_eq!(dob.column.as_deref(), Some("DOB"));
    assert!(
        r.refused
            .iter()
            .any(|i| i.field == "key" && i.message.contains("same pid"))
    );
    // Nothing was written but the dry run's own audit event.
    let mut after = every_table(&w).await;
    assert_eq!(after.remove("audit_events"), Some(audit_before + 1));
    assert!(after.remove("audit_head").is_some());
    let mut before = before;
    before.remove("audit_events");
    before.remove("audit_head");
    assert_eq!(after, before);
    assert_eq!(
        count(&w, "SELECT count(*) FROM audit_events WHERE category = 'import dry run' AND patient_id IS NULL").await,
        1
    );
}

const EVENT_HEAD: &str = "pc_eid,pc_pid,pc_aid,pc_catid,pc_eventDate,pc_startTime,pc_endTime,pc_duration,pc_apptstatus,pc_facility\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_names_fifty_bad_appointment_rows_and_writes_nothing() {
    let w = world().await;
    let book = practice(&w).await;
    let pm = mapping(Preset::OpenEmr, ImportKind::Patients, &book, "");
    import(
        &w,
        &w.admin,
        &pm,
        synthetic::patients_csv(Preset::OpenEmr, 100).as_bytes(),
        false,
    )
    .await
    .unwrap();
    // Provider 9 works at the other location only.
    let overlay = synthetic::openemr_overlay(&book).replacen(
        "[values.provider]\n",
        "[values.provider]\n\"9\" = \"Dr. Elsewhere\"\n",
        1,
    );
    let am = Mapping::preset(Preset::OpenEmr, ImportKind::Appointments, Some(&overlay)).unwrap();
    // Every row at its own time: day d, 08:00 + 30 min × slot, provider 1.
    let mut slot = 0u32;
    let mut next = || {
        slot += 1;
        let day = Date::constant(2026, 6, 1)
            .checked_add(jiff::Span::new().days(i64::from(slot / 16)))
            .unwrap();
        let m = 8 * 60 + (slot % 16) * 30;
        (
            day.to_string(),
            format!("{:02}:{:02}:00", m / 60, m % 60),
            format!("{:02}:{:02}:00", (m + 30) / 60, (m + 30) % 60),
        )
    };
    let line = |cells: [&str; 10]| kerato_domain::import::file::csv_line(&cells).into_bytes();
    let mut file = EVENT_HEAD.as_bytes().to_vec();
    let mut bad = BTreeSet::new();
    let mut row = 1u64;
    let mut good = 0;
    for n in 0..50usize {
        let (day, start, end) = next();
        let eid = (1_000 + n).to_string();
        let pid = (1 + n % 100).to_string();
        row += 1;
        file.extend(line([
            &eid, &pid, "1", "5", &day, &start, &end, "1800", "-", "3",
        ]));
        good += 1;
        // A provider's own event: skipped, not refused.
        row += 1;
        file.extend(line([
            &format!("9{eid}"),
            "0",
            "1",
            "2",
            &day,
            "12:00:00",
            "13:00:00",
            "3600",
            "-",
            "3",
        ]));
        row += 1;
        bad.insert(row);
        let eid = (5_000 + n).to_string();
        let (d2, s2, e2) = next();
        let (dst_gap, dst_fold) = ("2026-03-08", "2026-11-01");
        let cells: Vec<u8> = match n % 18 {
            0 => line([
                &eid,
                &pid,
                "1",
                "5",
                "2026-02-30",
                &s2,
                &e2,
                "1800",
                "-",
                "3",
            ]),
            1 => line([&eid, &pid, "1", "5", &d2, "25:00:00", &e2, "1800", "-", "3"]),
            2 => line([&eid, &pid, "77", "5", &d2, &s2, &e2, "1800", "-", "3"]),
            3 => line([&eid, "999999", "1", "5", &d2, &s2, &e2, "1800", "-", "3"]),
            // The same provider and time as the good row just before it.
            4 => line([&eid, &pid, "1", "5", &day, &start, &end, "1800", "-", "3"]),
            5 => line([&eid, &pid, "1", "5", &d2, &e2, &s2, "1800", "-", "3"]),
            6 => line([&eid, &pid, "1", "5", &d2, &s2, &e2, "1800", "&", "3"]),
            7 => line([&eid, &pid, "1", "5", &d2, &s2, &e2, "1800", "-", "77"]),
            8 => line([&eid, &pid, "1", "42", &d2, &s2, &e2, "1800", "-", "3"]),
            9 => line([
                &eid, &pid, "1", "5", dst_gap, "02:30:00", "", "1800", "-", "3",
            ]),
            10 => line([
                &eid, &pid, "1", "5", dst_fold, "01:30:00", "", "1800", "-", "3",
            ]),
            11 => line([
                &eid, &pid, "1", "5", &d2, "08:00:00", "23:00:00", "1800", "-", "3",
            ]),
            12 => {
                let mut l = line([&eid, &pid, "1", "5", &d2, &s2, &e2, "1800", "-", "3"]);
                l.splice(0..0, b"extra,".iter().copied());
                l
            }
            13 => {
                let mut l = line([&eid, &pid, "1", "5", &d2, &s2, &e2, "1800", "-", "3"]);
                l.splice(0..0, [0xFF]);
                l
            }
            14 => line(["", &pid, "1", "5", &d2, &s2, &e2, "1800", "-", "3"]),
            15 => line([
                &(1_000 + n).to_string(),
                &pid,
                "1",
                "5",
                &d2,
                &s2,
                &e2,
                "1800",
                "-",
                "3",
            ]),
            16 => line([&eid, &pid, "9", "5", &d2, &s2, &e2, "1800", "-", "3"]),
            _ => line([&eid, &pid, "1", "5", &d2, &s2, "", "abc", "-", "3"]),
        };
        file.extend(cells);
    }
    let before = every_table(&w).await;
    let r = import(&w, &w.admin, &am, &file, true).await.unwrap();
    let refused: BTreeSet<u64> = r.refused.iter().map(|i| i.row).collect();
    assert_eq!(refused, bad, "{:#?}", r.refused);
    assert_eq!(r.created, good);
    assert_eq!(r.skipped.iter().map(|s| s.rows).sum::<u64>(), 50);
    let said = |needle: &str| r.refused.iter().any(|i| i.message.contains(needle));
    for needle in [
        "not a date",
        "not a time",
        "no provider is named \"77\"",
        "no patient with the ID \"999999\"",
        "already booked then (row",
        "ends (",
        "not an appointment status",
        "no location is named",
        "no visit type is named",
        "does not exist in America/Chicago",
        "happens twice",
        "lasts 900 minutes",
        "header has 10 columns",
        "not UTF-8",
        "no pc_eid",
        "same pc_eid",
        "does not work at Main Street",
        "not a length",
    ] {
        assert!(said(needle), "no refusal says {needle:?}: {:#?}", r.refused);
    }
    let mut after = every_table(&w).await;
    let mut before = before;
    for t in ["audit_events", "audit_head"] {
        after.remove(t);
        before.remove(t);
    }
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_the_practice_has_are_duplicates_not_new_charts() {
    let w = world().await;
    let book = practice(&w).await;
    let (first, last, dob, phone, _) = synthetic::person(3);
    let existing = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: first.clone(),
                    legal_last_name: last.clone(),
                    date_of_birth: dob.to_string(),
                    mobile_phone: Some(phone),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let mut file = PATIENT_HEAD.as_bytes().to_vec();
    // Row 2: the registered chart. Row 3: someone else of the same name
    // and birthday (another phone). Row 4: row 3 again under another pid.
    file.extend(patient_line(3, "1", &[("email", "")]));
    file.extend(patient_line(
        3,
        "2",
        &[("phone_cell", "(312) 555-0100"), ("email", "")],
    ));
    file.extend(patient_line(
        3,
        "3",
        &[("phone_cell", "(312) 555-0100"), ("email", "")],
    ));
    let m = mapping(Preset::OpenEmr, ImportKind::Patients, &book, "");
    for dry_run in [true, false] {
        let r = import(&w, &w.admin, &m, &file, dry_run).await.unwrap();
        assert_eq!(r.created, 1, "{r:#?}");
        assert_eq!(r.duplicates.len(), 2);
        assert_eq!(r.duplicates[0].row, 2);
        assert_eq!(r.duplicates[0].matches, [format!("MRN {}", existing.mrn)]);
        assert_eq!(r.duplicates[1].row, 4);
        assert_eq!(r.duplicates[1].matches, ["row 3"]);
    }
    assert_eq!(count(&w, "SELECT count(*) FROM patients").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openemr_preset_reads_a_sample_export() {
    let w = world().await;
    let book = practice(&w).await;
    // As OpenEMR's patient_data is exported, with more columns than Kerato reads.
    let patients = "\u{feff}id,pid,pubpid,title,fname,mname,lname,DOB,sex,ss,street,city,state,postal_code,country_code,phone_home,phone_biz,phone_cell,email,language,status\r\n\
        11,1,PT-1,Mrs.,Amara,Ngozi,Okonkwo,1961-09-14,Female,078-05-1120,\"12 Oak Lane, Apt 4\",Springfield,IL,62704,USA,217-555-0142,,217-555-0199,amara@example.com,english,married\r\n\
        12,2,PT-2,Mr.,Luis,,García,1990-01-31,Male,,4 Elm St,Chicago,IL,60601,USA,,,(312) 555-0123,,spanish,single\r\n\
        13,3,PT-3,,Kim,,Lee,0000-00-00,UNK,,,,,,,,,,,english,\r\n";
    let events = "pc_eid,pc_catid,pc_multiple,pc_aid,pc_pid,pc_title,pc_eventDate,pc_endDate,pc_duration,pc_recurrtype,pc_startTime,pc_endTime,pc_alldayevent,pc_apptstatus,pc_prefcatid,pc_facility,pc_room\r\n\
        7,5,0,1,1,Office Visit,2026-05-20,2026-05-20,1800,0,09:00:00,09:30:00,0,>,0,3,\r\n\
        8,5,0,2,2,Office Visit,2026-06-03,2026-06-03,900,0,10:00:00,,0,-,0,3,\r\n\
        9,2,0,1,0,In Office,2026-06-03,2026-06-03,28800,0,08:00:00,17:00:00,0,-,0,3,\r\n\
        10,5,0,1,1,Office Visit,2026-04-01,2026-04-01,1800,0,11:00:00,11:30:00,0,x,0,3,\r\n\
        11,5,0,1,3,Office Visit,2026-06-04,2026-06-04,1800,0,11:00:00,11:30:00,0,-,0,3,\r\n\
        12,5,0,2,2,Weekly review,2026-06-05,2026-08-28,1800,1,15:00:00,15:30:00,0,-,0,3,\r\n";
    let pm = mapping(Preset::OpenEmr, ImportKind::Patients, &book, "");
    let r = import(&w, &w.admin, &pm, patients.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(r.created, 2, "{r:#?}");
    assert_eq!(r.refused.len(), 1);
    assert_eq!(r.refused[0].row, 4);
    for column in ["ss", "pubpid", "title", "phone_biz", "status"] {
        assert!(r.ignored_columns.contains(&column.to_string()), "{column}");
    }
    let found = w.app.search_patients(&w.admin, "okonkwo").await.unwrap();
    let amara = &found[0].fields;
    assert_eq!(amara.legal_middle_name.as_deref(), Some("Ngozi"));
    assert_eq!(amara.date_of_birth, Date::constant(1961, 9, 14));
    assert_eq!(
        amara.sex_at_birth,
        Some(kerato_domain::patients::SexAtBirth::Female)
    );
    assert_eq!(amara.home_phone.as_ref().unwrap().e164(), "+12175550142");
    assert_eq!(amara.mobile_phone.as_ref().unwrap().e164(), "+12175550199");
    assert_eq!(amara.address.as_ref().unwrap().line1, "12 Oak Lane, Apt 4");
    let luis = &w.app.search_patients(&w.admin, "garcia").await.unwrap()[0];
    assert_eq!(luis.fields.preferred_language, "es");
    // The Social Security number is nowhere.
    assert_eq!(
        count(
            &w,
            "SELECT count(*) FROM audit_events WHERE new_value LIKE '%078-05-1120%'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &w,
            "SELECT count(*) FROM patients WHERE legal_first_name = 'Amara' AND mrn LIKE '%078%'"
        )
        .await,
        0
    );

    let am = mapping(Preset::OpenEmr, ImportKind::Appointments, &book, "");
    let r = import(&w, &w.admin, &am, events.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(r.created, 3, "{r:#?}");
    assert_eq!(r.skipped[0].rows, 1);
    assert_eq!(r.refused.len(), 2, "{r:#?}");
    assert!(
        r.refused[0]
            .message
            .contains("no patient with the ID \"3\""),
        "patient 3 was never imported"
    );
    assert_eq!(
        (r.refused[1].row, r.refused[1].field.as_str()),
        (7, "repeats")
    );
    let statuses: BTreeMap<String, i64> = {
        let mut tx = w.app.store().read().await.unwrap();
        let rows: Vec<(String, i64, i64)> = on_tx!(tx, c => sqlx::query_as(
            "SELECT status, starts_at, ends_at FROM appointments ORDER BY starts_at"
        ).fetch_all(&mut **c).await)
        .unwrap();
        rows.into_iter()
            .map(|(s, a, b)| (s, (b - a) / 60_000_000))
            .collect()
    };
    assert_eq!(
        statuses,
        BTreeMap::from([
            ("cancelled".to_string(), 30),
            ("done".to_string(), 30),
            ("booked".to_string(), 15),
        ])
    );
    // 09:00 in Chicago on 2026-05-20 (daylight time) is 14:00 UTC.
    let done = count(
        &w,
        "SELECT count(*) FROM appointments WHERE status = 'done' AND starts_at = 1779285600000000",
    )
    .await;
    assert_eq!(done, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_bookings_are_refused_or_imported_flagged() {
    let w = world().await;
    let book = practice(&w).await;
    let pm = mapping(Preset::Generic, ImportKind::Patients, &book, "");
    import(
        &w,
        &w.admin,
        &pm,
        synthetic::patients_csv(Preset::Generic, 3).as_bytes(),
        false,
    )
    .await
    .unwrap();
    let file = "id,patient_id,provider,location,visit_type,date,start_time,duration_minutes,status\r\n\
        1,1,Dr. Ada Okafor,Main Street,Office visit,2026-06-01,09:00,30,booked\r\n\
        2,2,dr ada okafor,MAIN STREET,office visit,2026-06-01,09:15,30,booked\r\n\
        3,3,Dr. Ada Okafor,Main Street,Office visit,2026-06-01,09:00,30,cancelled\r\n";
    let refuse = mapping(Preset::Generic, ImportKind::Appointments, &book, "");
    let r = import(&w, &w.admin, &refuse, file.as_bytes(), true)
        .await
        .unwrap();
    assert_eq!(r.created, 2, "a cancelled appointment holds no slot");
    assert_eq!(r.refused.len(), 1);
    assert_eq!(r.refused[0].row, 3);
    assert!(
        r.refused[0].message.contains("row 2 of this file"),
        "{r:#?}"
    );
    let overbook = mapping(
        Preset::Generic,
        ImportKind::Appointments,
        &book,
        "double_booking = \"overbook\"\n",
    );
    let r = import(&w, &w.admin, &overbook, file.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!((r.created, r.overbooked.clone()), (3, vec![3]));
    assert_eq!(
        count(&w, "SELECT count(*) FROM appointments WHERE overbooked = 1").await,
        1
    );
    // A later file that clashes with what Kerato now has is refused by name.
    let later = "id,patient_id,provider,location,visit_type,date,start_time,duration_minutes,status\r\n\
        9,1,Dr. Ada Okafor,Main Street,Office visit,2026-06-01,09:20,30,booked\r\n";
    let r = import(&w, &w.admin, &refuse, later.as_bytes(), false)
        .await
        .unwrap();
    assert!(
        r.refused[0]
            .message
            .contains("an appointment in Kerato from 09:00 to 09:30"),
        "{r:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_import_and_bad_files_say_why() {
    let w = world().await;
    let book = practice(&w).await;
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = w.app.unsafe_caller_for(desk.id).await.unwrap();
    let m = mapping(Preset::Generic, ImportKind::Patients, &book, "");
    let file = synthetic::patients_csv(Preset::Generic, 2);
    let err = import(&w, &desk, &m, file.as_bytes(), false)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err:?}");
    assert!(matches!(
        w.app.unsafe_import_caller("desk@capital.example").await,
        Err(AppError::Forbidden(_))
    ));
    assert!(
        w.app
            .unsafe_import_caller("nobody@capital.example")
            .await
            .is_err()
    );
    let admin = w
        .app
        .unsafe_import_caller("OWNER@capital.example")
        .await
        .unwrap();
    assert_eq!(admin.actor.user_id, w.admin.actor.user_id);
    let err = import(&w, &admin, &m, b"", false).await.unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let err = import(&w, &admin, &m, b"id,legal_first_name\r\n1,Ann\r\n", false)
        .await
        .unwrap_err();
    let AppError::Validation(v) = err else {
        panic!("{err:?}")
    };
    assert!(
        v.to_string().contains("no column \"legal_last_name\""),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_job_reports_then_runs_its_dry_run() {
    let w = world().await;
    let book = practice(&w).await;
    let m = mapping(Preset::Generic, ImportKind::Patients, &book, "");
    let file = synthetic::patients_csv(Preset::Generic, 1_200).into_bytes();
    let job = w.app.start_import(&w.admin, m, file, true).await.unwrap();
    let finished = |id| {
        let app = w.app.clone();
        let caller = w.admin.clone();
        async move {
            for _ in 0..600 {
                let j = app.import_job(&caller, id).await.unwrap();
                if !matches!(j.state, ImportJobState::Running { .. }) {
                    return j;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the job did not finish");
        }
    };
    let done = finished(job.id).await;
    let ImportJobState::Finished(report) = &done.state else {
        panic!("{done:?}")
    };
    assert_eq!(report.created, 1_200);
    assert!(done.can_run);
    assert_eq!(count(&w, "SELECT count(*) FROM patients").await, 0);
    let real = w.app.run_after_dry_run(&w.admin, job.id).await.unwrap();
    let done = finished(real.id).await;
    assert!(matches!(&done.state, ImportJobState::Finished(r) if r.created == 1_200 && !r.dry_run));
    assert_eq!(count(&w, "SELECT count(*) FROM patients").await, 1_200);
    assert_eq!(w.app.import_jobs(&w.admin).await.unwrap().len(), 2);
    // Another practice sees none of it.
    let (_, other) = w
        .app
        .unsafe_add_tenant(
            "Other",
            kerato_domain::tenancy::OrganisationKind::Practice,
            "other@other.example",
            "Other Admin",
            crate::PASSWORD,
        )
        .await
        .unwrap();
    let other = w.app.unsafe_caller_for(other.id).await.unwrap();
    assert!(w.app.import_jobs(&other).await.unwrap().is_empty());
    assert!(matches!(
        w.app.import_job(&other, job.id).await,
        Err(AppError::NotFound(_))
    ));
}
