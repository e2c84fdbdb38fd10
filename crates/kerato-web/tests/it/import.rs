//! Imports over HTTP: the administration page's upload (multipart with
//! the CSRF field, its own size limit), the job page that polls until the
//! report, running a dry run for real, and the JSON API.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::support::{self, ADMIN, BOUNDARY, CSRF, TestApp, Who, spawn_app};

const FILE: &str = "id,legal_first_name,legal_last_name,date_of_birth,mobile_phone\r\n\
    1,Ann,Lee,04/01/1980,(217) 555-0123\r\n\
    2,Bo,,1990-13-01,555\r\n\
    3,Cy,\"Ng, Jr\",1971-02-03,\r\n";

/// A multipart body: text fields, then the CSV as `file`.
fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> Vec<u8> {
    support::multipart(fields, ("file", "p.csv", "text/csv"), file)
}

async fn upload(t: &TestApp, who: Who, body: Vec<u8>) -> reqwest::Response {
    t.req(Method::POST, "/admin/import", who)
        .await
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The job page once the job is no longer running.
async fn finished_page(t: &TestApp, path: &str) -> String {
    for _ in 0..400 {
        let html = t
            .req(Method::GET, path, ADMIN)
            .await
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !html.contains("hx-trigger=\"every 1s\"") {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

async fn patients(t: &TestApp) -> usize {
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    t.app.search_patients(&admin, "lee").await.unwrap().len()
        + t.app.search_patients(&admin, "ng").await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_checks_a_file_shows_its_report_then_imports_it() {
    let t = spawn_app().await;
    let page = t
        .req(Method::GET, "/admin/import", ADMIN)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    assert!(
        html.contains("pc_apptstatus"),
        "the presets' columns are shown"
    );

    // Without the CSRF field the upload is refused.
    let resp = upload(
        &t,
        ADMIN,
        multipart(
            &[("kind", "patients"), ("preset", "generic")],
            Some(FILE.as_bytes()),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let resp = upload(
        &t,
        ADMIN,
        multipart(
            &[
                ("csrf", CSRF),
                ("kind", "patients"),
                ("preset", "generic"),
                ("mapping", ""),
                ("action", "dry_run"),
            ],
            Some(FILE.as_bytes()),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let job = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(job.starts_with("/admin/import/jobs/"), "{job}");
    let html = finished_page(&t, &job).await;
    assert!(html.contains("Would be created</th><td>2"), "{html}");
    assert!(html.contains("id=\"import-refused\""), "{html}");
    assert!(
        html.contains("<td>3</td><td>legal_last_name</td>"),
        "{html}"
    );
    assert!(html.contains("is not a date"), "{html}");
    assert_eq!(patients(&t).await, 0, "a dry run writes nothing");
    assert!(html.contains(&format!("action=\"{job}/run\"")));

    let resp = t.form(&format!("{job}/run"), ADMIN, &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let real = resp.headers()["location"].to_str().unwrap().to_string();
    assert_ne!(real, job);
    let html = finished_page(&t, &real).await;
    assert!(html.contains("Created</th><td>2"), "{html}");
    assert_eq!(patients(&t).await, 2);
    // The list shows both.
    let html = t
        .req(Method::GET, "/admin/import", ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Dry run") && html.contains("done: 2 created"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_with_the_reason() {
    let t = spawn_app().await;
    let fields = [("csrf", CSRF), ("kind", "patients"), ("preset", "generic")];
    let resp = upload(&t, ADMIN, multipart(&fields, None)).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("choose the CSV file"));
    let resp = upload(
        &t,
        ADMIN,
        multipart(&fields, Some(b"id,legal_first_name\r\n1,Ann\r\n")),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("no column") && html.contains("legal_last_name"),
        "{html}"
    );
    let resp = upload(
        &t,
        ADMIN,
        multipart(
            &[
                ("csrf", CSRF),
                ("kind", "patients"),
                ("preset", "generic"),
                ("mapping", "[columns]\nfrist_name = \"a\"\n"),
            ],
            Some(FILE.as_bytes()),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("columns.frist_name"));
    // Past the route's own limit. The server may answer before it has read
    // the whole body and close the connection under the client, which then
    // sees no answer at all; a few tries get the answer.
    let big = multipart(&fields, Some(&vec![b'a'; kerato_web_limit() + 1]));
    let mut status = None;
    for _ in 0..5 {
        let sent = t
            .req(Method::POST, "/admin/import", ADMIN)
            .await
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(big.clone())
            .send()
            .await;
        if let Ok(resp) = sent {
            status = Some(resp.status());
            break;
        }
    }
    assert_eq!(status, Some(StatusCode::PAYLOAD_TOO_LARGE));
    // The front desk may not import.
    let resp = upload(
        &t,
        Who::Role(kerato_domain::identity::Role::FrontDesk),
        multipart(&fields, Some(FILE.as_bytes())),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(patients(&t).await, 0);
}

fn kerato_web_limit() -> usize {
    32 * 1024 * 1024 + kerato_web::MAX_BODY_BYTES
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_starts_an_import_and_its_location_reports_it() {
    let t = spawn_app().await;
    let resp = t
        .req(Method::POST, "/api/imports", ADMIN)
        .await
        .json(&serde_json::json!({ "kind": "patients", "preset": "generic", "dry_run": false, "csv": FILE }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let started: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/imports/{}", started["id"].as_str().unwrap())
    );
    let mut job = serde_json::Value::Null;
    for _ in 0..400 {
        job = t
            .req(Method::GET, &location, ADMIN)
            .await
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["state"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(job["state"], "finished", "{job}");
    assert_eq!(job["report"]["created"], 2);
    assert_eq!(job["report"]["refused"][0]["row"], 3);
    assert_eq!(patients(&t).await, 2);

    // A mapping for the wrong kind is named.
    let resp = t
        .req(Method::POST, "/api/imports", ADMIN)
        .await
        .json(&serde_json::json!({ "kind": "appointments", "mapping": "kind = \"patients\"\nsource = \"x\"\n[columns]\nlegal_first_name = \"a\"\nlegal_last_name = \"b\"\ndate_of_birth = \"c\"\n", "csv": FILE }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = resp.json().await.unwrap();
    assert!(
        problem.to_string().contains("the mapping is for patients"),
        "{problem}"
    );
    // Another practice's administrator cannot see the job.
    let resp = t
        .req(Method::GET, &location, Who::OtherOrgAdmin)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
