//! PHI never reaches the logs or the error pages: a scenario full of
//! sentinel values runs against a server logging at debug level, and
//! neither its log nor any error page it served contains one of them.

use reqwest::StatusCode;

use crate::support::{ADMIN_EMAIL, FORM_CSRF, admin_password, client, init, sign_in, start, temp};

const SENTINELS: &[&str] = &[
    "ZZSENTINELNAME",
    "zzsentinel.patient@example.org",
    "ZZSENTINELDIAGNOSIS",
    "ZZSENTINELRECIPIENT",
    "ZZSENTINELPASSWORD",
    "ZZSENTINELLOCATION",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinels_stay_out_of_logs_and_error_pages() {
    let dir = temp("phi");
    let data = dir.join("data");
    let password = admin_password(&init(&data));
    let server = start(
        &[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
        &[("RUST_LOG", "debug")],
        1,
    )
    .await;
    let base = server.urls[0].clone();
    let cookie = sign_in(&base, ADMIN_EMAIL, &password).await;
    let http = client();
    let mut error_pages = Vec::new();
    let form = |path: &str, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", FORM_CSRF.to_string())];
        all.extend(fields);
        http.post(format!("{base}{path}"))
            .header("cookie", &cookie)
            .form(&all)
    };

    // Records carrying sentinels, written and read back.
    let resp = http
        .post(format!("{base}/api/locations"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({
            "name": "ZZSENTINELLOCATION", "time_zone": "America/Chicago", "address_line1": "1 Main St",
            "city": "Springfield", "state": "IL", "zip": "62701", "specialties": ["dermatology"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = form(
        "/admin/users",
        vec![
            ("email", "zzsentinel.patient@example.org".into()),
            ("display_name", "ZZSENTINELNAME".into()),
            ("role", "physician".into()),
            ("all_locations", "1".into()),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // The new physician accepts the invitation and signs in (recording
    // disclosures is a clinician's or the privacy officer's job, not the admin's).
    let page = resp.text().await.unwrap();
    let start_at = page.find("/invite/").unwrap();
    let invite = page[start_at..start_at + 8 + 48].to_string();
    let doc_password = "a long sentinel free passphrase";
    let resp = http
        .post(format!("{base}{invite}"))
        .header("cookie", format!("kerato_csrf={FORM_CSRF}"))
        .form(&[("csrf", FORM_CSRF), ("new_password", doc_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc = sign_in(&base, "zzsentinel.patient@example.org", doc_password).await;
    let doc_form = |path: &str, fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", FORM_CSRF.to_string())];
        all.extend(fields);
        http.post(format!("{base}{path}"))
            .header("cookie", &doc)
            .form(&all)
    };
    let patient = "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f";
    let resp = doc_form(
        "/disclosures",
        vec![
            ("patient", patient.into()),
            ("disclosed_on", "2026-01-15".into()),
            ("recipient", "ZZSENTINELRECIPIENT".into()),
            ("purpose", "treatment".into()),
            ("description", "biopsy result ZZSENTINELDIAGNOSIS".into()),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page = doc_form("/disclosures/accounting", vec![("lookup", patient.into())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("ZZSENTINELRECIPIENT"),
        "the accounting must show the disclosure"
    );

    // Failures carrying sentinels: a wrong sign-in, a bad form, a bad body.
    let resp = http
        .post(format!("{base}/login"))
        .header("cookie", format!("kerato_csrf={FORM_CSRF}"))
        .form(&[
            ("csrf", FORM_CSRF),
            ("email", "zzsentinel.patient@example.org"),
            ("password", "ZZSENTINELPASSWORD"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = http
        .post(format!("{base}/api/locations"))
        .header("cookie", &cookie)
        .header("content-type", "application/json")
        .body("{\"name\": \"ZZSENTINELNAME\", ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    error_pages.push(resp.text().await.unwrap());
    for path in [
        "/no/such/page",
        "/api/locations/0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f",
        "/admin/users/not-an-id",
    ] {
        let resp = http
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{path}");
        error_pages.push(resp.text().await.unwrap());
    }

    // Give the log pipe a moment to drain, then read what the server wrote.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = server.stderr.lock().unwrap().clone();
    drop(server);
    assert!(
        logs.lines().count() > 5,
        "the scenario produced almost no logs: {logs}"
    );
    assert!(
        logs.contains("DEBUG") || logs.contains("WARN"),
        "logging was not on: {logs}"
    );
    for sentinel in SENTINELS {
        assert!(
            !logs.contains(sentinel),
            "{sentinel} reached the log:\n{logs}"
        );
        for page in &error_pages {
            assert!(
                !page.contains(sentinel),
                "{sentinel} reached an error page: {page}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
