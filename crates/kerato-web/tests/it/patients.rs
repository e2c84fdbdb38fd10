//! The patient pages and API as the front desk uses them.

use kerato_domain::identity::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, Who, spawn_app};

const DESK: Who = Who::Role(Role::FrontDesk);

fn registration<'a>(first: &'a str, last: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("legal_first_name", first),
        ("legal_last_name", last),
        ("date_of_birth", "04/15/1980"),
        ("mobile_phone", "(217) 555-0123"),
        ("reminder_channel", "sms"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_find_with_a_typo_open_and_edit() {
    let t = spawn_app().await;
    let resp = t
        .form("/patients", DESK, &registration("Zoë", "Müller-O'Neil"))
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let chart_url = resp.headers()["location"].to_str().unwrap().to_string();
    let chart = t
        .req(Method::GET, &chart_url, DESK)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chart.contains("Neil, Zoë</h1>"), "{chart}");
    assert!(
        chart.contains("MRN 0000001")
            && chart.contains("04/15/1980")
            && chart.contains("(217) 555-0123")
    );

    // The same person again is caught; confirming creates the second chart.
    let resp = t
        .form("/patients", DESK, &registration("zoe", "MULLER-O'NEIL"))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let page = resp.text().await.unwrap();
    assert!(page.contains("MRN 0000001") && page.contains("allow_duplicate"));

    // As-you-type search, by POST: one typo and no accents still find her.
    let resp = t.form("/patients/search", DESK, &[("q", "mueller")]).await;
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("0000001"),
        "a typo'd name did not match: {html}"
    );
    let resp = t
        .form("/patients/search", DESK, &[("q", "nobody-like-this")])
        .await;
    assert!(resp.text().await.unwrap().contains("No patient matches"));

    // Edit, then the chart shows the change.
    let id = chart_url.trim_start_matches("/patients/");
    let edit = t
        .req(Method::GET, &format!("/patients/{id}/edit"), DESK)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(edit.contains("name=\"version\" value=\"1\""));
    let mut fields = registration("Zoë", "Müller-O'Neil");
    fields.push(("preferred_name", "Zee"));
    fields.push(("version", "1"));
    let resp = t.form(&format!("/patients/{id}"), DESK, &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let chart = t
        .req(Method::GET, &chart_url, DESK)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chart.contains("(Zee)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_name_their_fields_and_write_nothing() {
    let t = spawn_app().await;
    let resp = t
        .form(
            "/patients",
            DESK,
            &[
                ("legal_first_name", ""),
                ("legal_last_name", "Smith"),
                ("date_of_birth", "02/30/2020"),
                ("mobile_phone", "12345"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    for id in [
        "legal_first_name-error",
        "date_of_birth-error",
        "mobile_phone-error",
    ] {
        assert!(html.contains(id), "{id} missing");
    }
    let body = json!({"patient": {"legal_first_name": "A", "legal_last_name": "B", "date_of_birth": "2090-01-01"}});
    let resp = t
        .req(Method::POST, "/api/patients", DESK)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["fields"][0]["field"], "date_of_birth");
    let found: Value = t
        .req(Method::POST, "/api/patients/search", DESK)
        .await
        .json(&json!({"query": "b"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found, json!({"patients": [], "next_cursor": null}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_registers_searches_and_updates() {
    let t = spawn_app().await;
    let body = json!({"patient": {"legal_first_name": "Jo", "legal_last_name": "Smith", "date_of_birth": "1975-07-04", "email": "jo@example.com"}});
    let resp = t
        .req(Method::POST, "/api/patients", DESK)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["mrn"], "0000001");
    let again = t
        .req(Method::POST, "/api/patients", DESK)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let found: Value = t
        .req(Method::POST, "/api/patients/search", DESK)
        .await
        .json(&json!({"query": "smiht"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["patients"][0]["id"], created["id"]);
    let id = created["id"].as_str().unwrap();
    let update = json!({"version": 1, "patient": {"legal_first_name": "Joanna", "legal_last_name": "Smith", "date_of_birth": "1975-07-04"}});
    let resp = t
        .req(Method::PUT, &format!("/api/patients/{id}"), DESK)
        .await
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = t
        .req(Method::PUT, &format!("/api/patients/{id}"), DESK)
        .await
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "a stale version must not overwrite"
    );
    // Another organisation cannot read it.
    let resp = t
        .req(
            Method::GET,
            &format!("/api/patients/{id}"),
            Who::OtherOrgAdmin,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_is_merged_from_the_chart() {
    let t = spawn_app().await;
    let keep = t
        .form("/patients", DESK, &registration("Ana", "Lopez"))
        .await;
    let keep_url = keep.headers()["location"].to_str().unwrap().to_string();
    let mut dup = registration("Anna", "Lopez");
    dup.push(("allow_duplicate", "1"));
    let dup = t.form("/patients", DESK, &dup).await;
    assert_eq!(dup.status(), StatusCode::SEE_OTHER);
    let dup_url = dup.headers()["location"].to_str().unwrap().to_string();
    let resp = t
        .form(&format!("{keep_url}/merge"), DESK, &[("mrn", "2")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("was merged into this one")
    );
    let dup_page = t
        .req(Method::GET, &dup_url, DESK)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dup_page.contains("was merged into another") && dup_page.contains(&keep_url));
    // Another organisation cannot merge, and learns nothing.
    let resp = t
        .form(
            &format!("{keep_url}/merge"),
            Who::OtherOrgAdmin,
            &[("mrn", "2")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insurance_is_added_on_the_chart() {
    let t = spawn_app().await;
    let resp = t.form("/patients", DESK, &registration("Kai", "Lee")).await;
    let chart = resp.headers()["location"].to_str().unwrap().to_string();
    let fields = [
        ("kind", "vision"),
        ("priority", "1"),
        ("payer", "VSP Vision Care"),
        ("member_id", "vsp-77"),
        ("subscriber_relationship", "self"),
        ("effective_from", "01/01/2026"),
    ];
    let resp = t.form(&format!("{chart}/coverages"), DESK, &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = t
        .req(Method::GET, &chart, DESK)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("VSP Vision Care") && page.contains("VSP-77"),
        "{page}"
    );
    let resp = t
        .form(
            &format!("{chart}/coverages"),
            DESK,
            &[("kind", "vision"), ("priority", "9")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("priority is 1 (primary)")
    );
}

async fn api_search(t: &TestApp, body: Value) -> (StatusCode, Value) {
    let resp = t
        .req(Method::POST, "/api/patients/search", DESK)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json::<Value>().await.unwrap())
}

/// The API's search pages: a page size, a cursor that leads on to the
/// next page, and clear refusals of a bad size or an edited cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_search_pages_with_a_cursor() {
    let t = spawn_app().await;
    for first in ["Ann", "Bea", "Cy", "Di", "Ed"] {
        let body = json!({"patient": {"legal_first_name": first, "legal_last_name": "Okafor", "date_of_birth": "1980-01-01"}, "allow_duplicate": true});
        let resp = t
            .req(Method::POST, "/api/patients", DESK)
            .await
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let search = |body: Value| api_search(&t, body);
    let mut names = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let (status, page) =
            search(json!({"query": "okafor", "page_size": 2, "cursor": cursor})).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for p in page["patients"].as_array().unwrap() {
            names.push(p["legal_first_name"].as_str().unwrap().to_string());
        }
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(names, ["Ann", "Bea", "Cy", "Di", "Ed"]);
    // Without a size, one page of up to 25.
    let (_, all) = search(json!({"query": "1980-01-01"})).await;
    assert_eq!(all["patients"].as_array().unwrap().len(), 5);
    assert!(all["next_cursor"].is_null());

    let (status, problem) = search(json!({"query": "okafor", "page_size": 101})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["fields"][0]["field"], "page_size");
    assert!(
        problem["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 to 100")
    );
    let (_, first) = search(json!({"query": "okafor", "page_size": 1})).await;
    let good = first["next_cursor"].as_str().unwrap().to_string();
    let mut tampered = good.clone().into_bytes();
    tampered[5] = if tampered[5] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (query, cursor) in [
        ("okafor", tampered.as_str()),
        ("okaf", good.as_str()),
        ("okafor", "nonsense"),
    ] {
        let (status, problem) = search(json!({"query": query, "cursor": cursor})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["fields"][0]["field"], "cursor");
    }
    // Another practice cannot page on from this practice's cursor.
    let resp = t
        .req(Method::POST, "/api/patients/search", Who::OtherOrgAdmin)
        .await
        .json(&json!({"query": "okafor", "cursor": good}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
