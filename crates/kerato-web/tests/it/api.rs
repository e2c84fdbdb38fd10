//! The JSON API: the happy path, and every kind of bad input answered with a
//! 4xx that names the field, with nothing written.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, TestApp, location_json, spawn_app};

async fn post_raw(
    t: &TestApp,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let resp = t
        .req(Method::POST, "/api/locations", ADMIN)
        .await
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "API errors are JSON"
    );
    (status, resp.json().await.unwrap())
}

async fn post(t: &TestApp, body: &Value) -> (StatusCode, Value) {
    post_raw(t, "application/json", body.to_string()).await
}

fn field_message(body: &Value, field: &str) -> String {
    body["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["field"] == field))
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no error for field {field} in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_update_list() {
    let t = spawn_app().await;
    let (status, created) = post(&t, &location_json("West")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["specialties"], json!(["dermatology", "eye_care"]));

    let got: Value = t
        .req(Method::GET, &format!("/api/locations/{id}"), ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, created);

    t.clock.advance_secs(5);
    let mut edit = location_json("West Clinic");
    edit["version"] = json!(1);
    let resp = t
        .req(Method::PUT, &format!("/api/locations/{id}"), ADMIN)
        .await
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let updated: Value = resp.json().await.unwrap();
    assert_eq!(
        (updated["name"].as_str(), updated["version"].as_i64()),
        (Some("West Clinic"), Some(2))
    );
    assert_ne!(updated["updated_at"], created["updated_at"]);

    let list: Value = t
        .req(Method::GET, "/api/locations", ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "North, South and the new one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_version_is_a_409_and_changes_nothing() {
    let t = spawn_app().await;
    let (_, created) = post(&t, &location_json("West")).await;
    let id = created["id"].as_str().unwrap();
    let url = format!("/api/locations/{id}");
    let mut first = location_json("First");
    first["version"] = json!(1);
    assert_eq!(
        t.req(Method::PUT, &url, ADMIN)
            .await
            .json(&first)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let mut second = location_json("Second");
    second["version"] = json!(1);
    let resp = t
        .req(Method::PUT, &url, ADMIN)
        .await
        .json(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("reload"),
        "{body}"
    );
    let now: Value = t
        .req(Method::GET, &url, ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["name"], "First");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_are_named_and_nothing_is_written() {
    let t = spawn_app().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("time_zone", json!("Mars/Olympus"), "IANA"),
        ("time_zone", json!("EST"), "IANA"),
        ("name", json!("   "), "required"),
        ("name", json!("n".repeat(121)), "limit is 120"),
        ("address_line1", json!("a".repeat(5000)), "limit is 120"),
        ("state", json!("XX"), "USPS"),
        ("zip", json!("ABCDE"), "5 digits"),
        ("specialties", json!([]), "at least one"),
        ("specialties", json!(["podiatry"]), "podiatry"),
    ];
    for (field, value, expected) in cases {
        let mut body = location_json("Bad");
        body[field] = value.clone();
        let (status, answer) = post(&t, &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {answer}"
        );
        assert_eq!(answer["error"], "validation");
        let message = field_message(&answer, field);
        assert!(message.contains(expected), "{field}: {message}");
    }
    assert_eq!(t.location_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_clear_errors() {
    let t = spawn_app().await;

    let (status, body) = post_raw(&t, "application/json", "{\"name\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );

    let mut unknown = location_json("X");
    unknown["colour"] = json!("blue");
    let (status, body) = post(&t, &unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "colour").contains("unknown field"),
        "{body}"
    );

    let mut missing = location_json("X");
    missing.as_object_mut().unwrap().remove("city");
    let (status, body) = post(&t, &missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "city").contains("missing field"),
        "{body}"
    );

    let mut wrong_type = location_json("X");
    wrong_type["zip"] = json!(62701);
    let (status, body) = post(&t, &wrong_type).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "zip").contains("invalid type"),
        "{body}"
    );

    let (status, body) = post_raw(&t, "text/plain", location_json("X").to_string()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("application/json"),
        "{body}"
    );

    let mut huge = location_json("X");
    huge["address_line2"] = json!("x".repeat(100 * 1024));
    let (status, body) = post(&t, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["message"].as_str().unwrap().contains("64 KiB"),
        "{body}"
    );

    let mut with_version = location_json("X");
    with_version["version"] = json!(3);
    let (status, body) = post(&t, &with_version).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field_message(&body, "version").contains("leave version out"),
        "{body}"
    );

    assert_eq!(
        t.location_count().await,
        2,
        "a rejected request wrote something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_names_conflict() {
    let t = spawn_app().await;
    assert_eq!(
        post(&t, &location_json("West")).await.0,
        StatusCode::CREATED
    );
    let (status, body) = post(&t, &location_json("west")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["message"].as_str().unwrap().contains("already exists"));
    assert_eq!(t.location_count().await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_are_not_uuids_are_404_not_500() {
    let t = spawn_app().await;
    for path in [
        "/api/locations/not-a-uuid",
        "/api/locations/0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f",
    ] {
        let resp = t.req(Method::GET, path, ADMIN).await.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organisation_can_be_renamed() {
    let t = spawn_app().await;
    let resp = t
        .req(Method::PUT, "/api/organisation", ADMIN)
        .await
        .json(&json!({"name": "Lakeside Group"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let got: Value = t
        .req(Method::GET, "/api/organisation", ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Lakeside Group");
    let resp = t
        .req(Method::PUT, "/api/organisation", ADMIN)
        .await
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness() {
    let t = spawn_app().await;
    let h = t
        .req(Method::GET, "/healthz", ADMIN)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        (h.status(), h.text().await.unwrap().as_str()),
        (StatusCode::OK, "ok")
    );
    let r = t
        .req(Method::GET, "/readyz", ADMIN)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status(), r.text().await.unwrap().as_str()),
        (StatusCode::OK, "ready")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_under_fhir_are_operation_outcomes() {
    let t = spawn_app().await;
    let resp = t
        .req(Method::GET, "/fhir/Patient/123", ADMIN)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.headers()["content-type"], "application/fhir+json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["resourceType"], "OperationOutcome");
    assert_eq!(body["issue"][0]["severity"], "error");
    assert_eq!(body["issue"][0]["code"], "not-found");
}
