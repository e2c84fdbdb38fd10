//! Crash safety: a server writing acknowledged rows is killed with SIGKILL at
//! random moments and restarted; every acknowledged row must survive and the
//! database must pass its integrity check. KERATO_CRASH_CYCLES raises the
//! number of cycles (50 by default) for a longer soak.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;

use crate::support::{ADMIN_EMAIL, admin_password, client, init_with, sign_in, start, temp};

async fn writer(base: String, cookie: String, tag: String, acked: Arc<Mutex<BTreeSet<String>>>) {
    let http = client();
    for n in 0.. {
        let body = serde_json::json!({
            "name": format!("Crash {tag}-{n}"),
            "time_zone": "America/New_York",
            "address_line1": "1 Crash Ct",
            "city": "Albany",
            "state": "NY",
            "zip": "12207",
            "specialties": ["optical_shop"],
        });
        match http
            .post(format!("{base}/api/locations"))
            .header("cookie", &cookie)
            .json(&body)
            .send()
            .await
        {
            Ok(resp) if resp.status() == 201 => {
                // Only a 201 whose body arrived whole counts as acknowledged.
                if let Ok(v) = resp.json::<serde_json::Value>().await {
                    acked
                        .lock()
                        .unwrap()
                        .insert(v["id"].as_str().unwrap().to_string());
                }
            }
            Ok(resp) => panic!("unexpected status {}", resp.status()),
            Err(_) => return, // the server died mid-request
        }
    }
}

async fn stored_ids(base: &str, cookie: &str) -> BTreeSet<String> {
    let list: serde_json::Value = client()
        .get(format!("{base}/api/locations"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_rows_survive_sigkill() {
    let cycles: u32 = std::env::var("KERATO_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = temp("crash");
    let data = dir.join("data");
    let d = data.to_str().unwrap().to_string();
    // On a PostgreSQL run the server writes to a fresh PostgreSQL database.
    let pg_url = match std::env::var(kerato_store::testing::PG_URL_VAR) {
        Ok(admin) if !admin.is_empty() => Some(
            kerato_store::testing::create_pg_database(&admin)
                .await
                .unwrap(),
        ),
        _ => None,
    };
    let mut backend_args: Vec<String> = vec!["--data-dir".into(), d.clone()];
    if let Some(url) = &pg_url {
        backend_args.extend(["--database-url".into(), url.clone()]);
    }
    let out = init_with(&backend_args.iter().map(String::as_str).collect::<Vec<_>>());
    let password = admin_password(&out);
    assert_eq!(pg_url.is_none(), data.join("kerato.db").exists());

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut serve_args: Vec<&str> = vec!["serve", "--bind", "127.0.0.1:0"];
    serve_args.extend(backend_args.iter().map(String::as_str));
    let mut rng = rand::rng();
    // Sessions live in the database, so one sign-in serves every restart.
    let first = start(&serve_args, &[], 1).await;
    let cookie = sign_in(&first.urls[0], ADMIN_EMAIL, &password).await;
    drop(first);
    for cycle in 0..cycles {
        let mut server = start(&serve_args, &[], 1).await;
        let base = server.urls[0].clone();
        let stored = stored_ids(&base, &cookie).await;
        let before = acked.lock().unwrap().clone();
        let lost: Vec<_> = before.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "cycle {cycle}: acknowledged rows lost: {lost:?}"
        );

        let writers: Vec<_> = (0..2)
            .map(|w| {
                tokio::spawn(writer(
                    base.clone(),
                    cookie.clone(),
                    format!("{cycle}.{w}"),
                    acked.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..250))).await;
        server.child.start_kill().unwrap(); // SIGKILL
        server.child.wait().await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
    }

    let server = start(&serve_args, &[], 1).await;
    let stored = stored_ids(&server.urls[0], &cookie).await;
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() as u32 > cycles,
        "too few writes acknowledged ({}) to mean anything",
        acked.len()
    );
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged rows lost: {lost:?}");
    drop(server);

    let mut check_args = vec!["check"];
    check_args.extend(backend_args.iter().map(String::as_str));
    let (ok, out, err) = crate::support::run(&check_args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("integrity_check: ok"), "{out}");
    eprintln!(
        "crash test: {cycles} SIGKILL cycles, {} acknowledged rows, none lost",
        acked.len()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// What the clients were answered before the server died: per patient, the
/// chart reads answered 200 and the appointments booked (answered 201).
#[derive(Debug, Default)]
struct Answered {
    reads: std::collections::BTreeMap<String, u64>,
    bookings: std::collections::BTreeMap<String, Vec<String>>,
}

/// How many reads and bookings were answered so far.
fn totals(seen: &Mutex<Answered>) -> (u64, usize) {
    let seen = seen.lock().unwrap();
    (
        seen.reads.values().sum(),
        seen.bookings.values().map(Vec::len).sum(),
    )
}

/// Reads charts over and over until the server dies; counts each read whose
/// whole response arrived.
async fn reader(base: String, cookie: String, patients: Vec<String>, seen: Arc<Mutex<Answered>>) {
    let http = client();
    for n in 0usize.. {
        let id = &patients[n % patients.len()];
        match http
            .get(format!("{base}/api/patients/{id}"))
            .header("cookie", &cookie)
            .send()
            .await
        {
            Ok(resp) if resp.status() == 200 => {
                if resp.json::<serde_json::Value>().await.is_ok() {
                    *seen.lock().unwrap().reads.entry(id.clone()).or_default() += 1;
                }
            }
            Ok(resp) => panic!("a chart read answered {}", resp.status()),
            Err(_) => return,
        }
    }
}

/// Books the slots `next` hands out until the server dies; records each
/// booking whose 201 arrived whole.
#[allow(clippy::too_many_arguments)]
async fn booker(
    base: String,
    cookie: String,
    patients: Vec<String>,
    (provider, location, visit_type): (String, String, String),
    first: jiff::civil::Date,
    next: Arc<std::sync::atomic::AtomicU64>,
    seen: Arc<Mutex<Answered>>,
) {
    let http = client();
    loop {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Twenty half-hour slots a day from 08:00; the provider works daily.
        let day = first
            .checked_add(jiff::Span::new().days((n / 20) as i64))
            .unwrap();
        let minutes = 8 * 60 + (n % 20) * 30;
        let patient = &patients[(n as usize) % patients.len()];
        let body = serde_json::json!({
            "provider_id": provider,
            "patient_id": patient,
            "location_id": location,
            "appointment_type_id": visit_type,
            "date": day.to_string(),
            "time": format!("{:02}:{:02}", minutes / 60, minutes % 60),
            "duration_minutes": 30,
        });
        match http
            .post(format!("{base}/api/appointments"))
            .header("cookie", &cookie)
            .json(&body)
            .send()
            .await
        {
            Ok(resp) if resp.status() == 201 => {
                if let Ok(v) = resp.json::<serde_json::Value>().await {
                    seen.lock()
                        .unwrap()
                        .bookings
                        .entry(patient.clone())
                        .or_default()
                        .push(v["id"].as_str().unwrap().to_string());
                }
            }
            Ok(resp) => panic!("a booking answered {}: {body}", resp.status()),
            Err(_) => return,
        }
    }
}

/// The audit report's rows about one patient with one action, as the
/// administrator exports them.
async fn audit_rows(
    base: &str,
    cookie: &str,
    patient: &str,
    action: &str,
) -> Vec<csv::StringRecord> {
    let text = client()
        .get(format!(
            "{base}/admin/audit.csv?patient={patient}&action={action}"
        ))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let headers = rows.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "resource"), "{headers:?}");
    rows.records().map(Result::unwrap).collect()
}

/// Reads and bookings answered before a SIGKILL keep their audit events: a
/// read's event is committed in a commit shared with the reads beside it,
/// before its response leaves. After every restart each patient has at
/// least as many "view" events as reads were answered, every answered
/// booking exists with its "create" event, and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_reads_and_bookings_keep_their_audit_events_across_sigkill() {
    use serde_json::{Value, json};
    let dir = temp("crash-reads");
    let data = dir.join("data");
    let d = data.to_str().unwrap().to_string();
    let pg_url = match std::env::var(kerato_store::testing::PG_URL_VAR) {
        Ok(admin) if !admin.is_empty() => Some(
            kerato_store::testing::create_pg_database(&admin)
                .await
                .unwrap(),
        ),
        _ => None,
    };
    let mut backend_args: Vec<String> = vec!["--data-dir".into(), d.clone()];
    if let Some(url) = &pg_url {
        backend_args.extend(["--database-url".into(), url.clone()]);
    }
    let password = admin_password(&init_with(
        &backend_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let mut serve_args: Vec<&str> = vec!["serve", "--bind", "127.0.0.1:0"];
    serve_args.extend(backend_args.iter().map(String::as_str));

    // A location open every day, a provider working every day, a visit
    // type and eight charts, all through the API.
    let server = start(&serve_args, &[], 1).await;
    let base = server.urls[0].clone();
    let cookie = sign_in(&base, ADMIN_EMAIL, &password).await;
    let http = client();
    let call = |method: reqwest::Method, path: &str, body: Value| {
        let req = http
            .request(method, format!("{base}{path}"))
            .header("cookie", &cookie)
            .json(&body);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let v: Value = resp.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "{status} {v}");
            v
        }
    };
    use reqwest::Method;
    let loc = call(
        Method::POST,
        "/api/locations",
        json!({"name": "Main", "time_zone": "America/Chicago", "address_line1": "1 Main St",
               "city": "Springfield", "state": "IL", "zip": "62701", "specialties": ["dermatology"]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let days: Vec<&str> = vec![
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let week: Vec<Value> = days
        .iter()
        .map(|d| json!({"weekday": d, "opens": "07:00", "closes": "19:00"}))
        .collect();
    call(
        Method::PUT,
        &format!("/api/locations/{loc}/hours"),
        json!({ "days": week }),
    )
    .await;
    call(
        Method::POST,
        "/api/setup/defaults",
        json!({"specialties": ["dermatology"]}),
    )
    .await;
    let provider = call(
        Method::POST,
        "/api/providers",
        json!({"name": "Dr. Crash", "credentials": "MD", "location_ids": [loc]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hours: Vec<Value> = days
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00", "end": "18:00"}))
        .collect();
    call(
        Method::POST,
        &format!("/api/providers/{provider}/hours"),
        json!({"location_id": loc, "effective_from": "2020-01-06", "days": hours}),
    )
    .await;
    let visit_type = call(Method::GET, "/api/visit-types", Value::Null).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut patients = Vec::new();
    for i in 0..8 {
        let p = call(
            Method::POST,
            "/api/patients",
            json!({"patient": {"legal_first_name": "Kim", "legal_last_name": format!("Crashford{}", "abcdefgh".as_bytes()[i] as char),
                   "date_of_birth": format!("1980-01-{:02}", i + 1)}}),
        )
        .await;
        patients.push(p["id"].as_str().unwrap().to_string());
    }
    drop(server);

    // Bookings start the day after tomorrow by the server's (real) clock;
    // every day is bookable, so the outcome does not depend on the date.
    let first = {
        use kerato_domain::time::Clock;
        kerato_app::clock::SystemClock
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .checked_add(jiff::Span::new().days(2))
            .unwrap()
    };
    let next_slot = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(Answered::default()));
    let mut rng = rand::rng();
    for cycle in 0..3 {
        let mut server = start(&serve_args, &[], 1).await;
        let base = server.urls[0].clone();
        let mut tasks = Vec::new();
        for _ in 0..3 {
            tasks.push(tokio::spawn(reader(
                base.clone(),
                cookie.clone(),
                patients.clone(),
                seen.clone(),
            )));
        }
        for _ in 0..2 {
            tasks.push(tokio::spawn(booker(
                base.clone(),
                cookie.clone(),
                patients.clone(),
                (provider.clone(), loc.clone(), visit_type.clone()),
                first,
                next_slot.clone(),
                seen.clone(),
            )));
        }
        // Killed at a random moment once this cycle has had answers of both
        // kinds, however loaded the machine is.
        let (reads_before, bookings_before) = totals(&seen);
        loop {
            let (reads, bookings) = totals(&seen);
            if reads >= reads_before + 5 && bookings >= bookings_before + 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..200))).await;
        server.child.start_kill().unwrap(); // SIGKILL
        server.child.wait().await.unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        let (reads, bookings) = totals(&seen);
        eprintln!("cycle {cycle}: {reads} reads and {bookings} bookings answered so far");
    }

    let server = start(&serve_args, &[], 1).await;
    let base = server.urls[0].clone();
    let answered = std::mem::take(&mut *seen.lock().unwrap());
    let total_reads: u64 = answered.reads.values().sum();
    let total_bookings: usize = answered.bookings.values().map(Vec::len).sum();
    assert!(
        total_reads >= 15 && total_bookings >= 6,
        "too few answers to mean anything: {total_reads} reads, {total_bookings} bookings"
    );
    for patient in &patients {
        let views = audit_rows(&base, &cookie, patient, "view").await.len() as u64;
        let read = answered.reads.get(patient).copied().unwrap_or(0);
        assert!(
            views >= read,
            "patient {patient}: {read} reads answered, {views} view events kept"
        );
        let booked = answered.bookings.get(patient).cloned().unwrap_or_default();
        let created = audit_rows(&base, &cookie, patient, "create").await;
        for id in &booked {
            let resp = client()
                .get(format!("{base}/api/appointments/{id}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "answered booking {id} was lost");
        }
        let appointment_events = created
            .iter()
            .filter(|r| r.get(5) == Some("appointment"))
            .count();
        assert!(
            appointment_events >= booked.len(),
            "patient {patient}: {} bookings answered, {appointment_events} create events kept",
            booked.len()
        );
    }
    drop(server);
    let mut verify = vec!["audit", "verify"];
    verify.extend(backend_args.iter().map(String::as_str));
    let (ok, out, err) = crate::support::run(&verify);
    assert!(ok, "{out}{err}");
    assert!(out.contains("audit trail intact"), "{out}");
    eprintln!(
        "crash test: 3 SIGKILL cycles, {total_reads} answered reads and {total_bookings} answered bookings, every one audited"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
