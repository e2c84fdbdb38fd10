//! Providers and their time over HTTP: the administrator's pages and the
//! JSON API a booking script reads.

use kerato_domain::identity::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, TestApp, Who, spawn_app};

const DESK: Who = Who::Role(Role::FrontDesk);

async fn send(
    t: &TestApp,
    method: Method,
    path: &str,
    who: Who,
    body: Option<&Value>,
) -> (StatusCode, Option<String>, Value) {
    let mut req = t.req(method, path, who).await;
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    (
        status,
        location,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn field(body: &Value, name: &str) -> String {
    body["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["field"] == name))
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no error for {name} in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_sets_up_a_provider_and_their_hours_and_a_booking_script_reads_them() {
    let t = spawn_app().await;
    let provider = json!({
        "name": "Ada Okafor",
        "credentials": "MD",
        "npi": "1245319599",
        "taxonomy_code": "207N00000X",
        "specialties": ["dermatology"],
        "location_ids": [t.l1.id.to_string()],
    });
    let (status, location, created) =
        send(&t, Method::POST, "/api/providers", ADMIN, Some(&provider)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/providers/{id}").as_str())
    );
    assert_eq!(created["display_name"], "Ada Okafor, MD");
    assert_eq!(created["taxonomy_label"], "Dermatology");
    assert_eq!(created["visit_type_ids"], Value::Null);
    // The front desk reads what a booking needs.
    let (status, _, got) = send(&t, Method::GET, &location.unwrap(), DESK, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);
    let (_, _, all) = send(&t, Method::GET, "/api/providers", DESK, None).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    // ... and sets nothing up.
    let (status, _, _) = send(&t, Method::POST, "/api/providers", DESK, Some(&provider)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let hours = json!({
        "location_id": t.l1.id.to_string(),
        "effective_from": "2026-06-01",
        "repeats": "every_other_week",
        "days": [{"weekday": "monday", "start": "08:00", "end": "12:00"},
                 {"weekday": "thu", "start": "13:00", "end": "17:30", "overbook": true}]
    });
    let path = format!("/api/providers/{id}/hours");
    let (status, location, template) = send(&t, Method::POST, &path, ADMIN, Some(&hours)).await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let location = location.unwrap();
    assert_eq!(
        location,
        format!("{path}/{}", template["id"].as_str().unwrap())
    );
    assert_eq!(
        template["days"][1],
        json!({"weekday": "thursday", "start": "13:00", "end": "17:30", "overbook": true})
    );
    let (status, _, got) = send(&t, Method::GET, &location, DESK, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, template);
    let (_, _, listed) = send(&t, Method::GET, &path, DESK, None).await;
    assert_eq!(listed, json!([template]));

    // A clash is refused with the day; a bad body names each field.
    let clash = json!({
        "location_id": t.l1.id.to_string(),
        "effective_from": "2026-06-01",
        "days": [{"weekday": "monday", "start": "11:00", "end": "14:00"}]
    });
    let (status, _, problem) = send(&t, Method::POST, &path, ADMIN, Some(&clash)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        field(&problem, "days").contains("first on 06/01/2026"),
        "{problem}"
    );
    let bad = json!({
        "location_id": "here",
        "effective_from": "June 1",
        "days": [{"weekday": "monday", "start": "8", "end": "12:00"}]
    });
    let (status, _, problem) = send(&t, Method::POST, &path, ADMIN, Some(&bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for name in ["location_id", "effective_from", "days[0].start"] {
        field(&problem, name);
    }
    let (status, _, _) = send(
        &t,
        Method::POST,
        &path,
        ADMIN,
        Some(&json!({"nonsense": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Replace, then remove; another provider's address for it is a 404.
    let mut weekly = hours.clone();
    weekly["repeats"] = json!("every_week");
    let (status, _, replaced) = send(&t, Method::PUT, &location, ADMIN, Some(&weekly)).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["repeats"], "every_week");
    let (_, _, other) = send(
        &t,
        Method::POST,
        "/api/providers",
        ADMIN,
        Some(&json!({"name": "Kenji Sato", "location_ids": [t.l1.id.to_string()]})),
    )
    .await;
    let wrong = format!(
        "/api/providers/{}/hours/{}",
        other["id"].as_str().unwrap(),
        template["id"].as_str().unwrap()
    );
    let (status, _, _) = send(&t, Method::GET, &wrong, ADMIN, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&t, Method::DELETE, &location, ADMIN, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = send(&t, Method::GET, &location, ADMIN, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Time off, and an edit with its version.
    let (status, _, off) = send(
        &t,
        Method::POST,
        &format!("/api/providers/{id}/time-off"),
        ADMIN,
        Some(&json!({"first": "2026-07-06", "last": "2026-07-10", "reason": "Vacation"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{off}");
    assert_eq!(off["reason"], "Vacation");
    let mut edit = provider.clone();
    edit["status"] = json!("inactive");
    let (status, _, problem) = send(
        &t,
        Method::PUT,
        &format!("/api/providers/{id}"),
        ADMIN,
        Some(&edit),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    field(&problem, "version");
    edit["version"] = created["version"].clone();
    let (status, _, saved) = send(
        &t,
        Method::PUT,
        &format!("/api/providers/{id}"),
        ADMIN,
        Some(&edit),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["status"], "inactive");
    let (status, _, _) = send(
        &t,
        Method::PUT,
        &format!("/api/providers/{id}"),
        ADMIN,
        Some(&edit),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Another practice's administrator finds nothing.
    let (status, _, _) = send(
        &t,
        Method::GET,
        &format!("/api/providers/{id}"),
        Who::OtherOrgAdmin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_adds_a_provider_and_their_hours_from_the_pages() {
    let t = spawn_app().await;
    let page = t
        .req(Method::GET, "/setup/providers", ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("nobody can be booked until one is added"),
        "{page}"
    );
    // A refused form comes back with the messages and what was typed.
    let l1 = t.l1.id.to_string();
    let resp = t
        .form(
            "/setup/providers",
            ADMIN,
            &[
                ("name", "Ada Okafor"),
                ("npi", "1234567890"),
                ("location_ids", &l1),
                ("visit_scope", "all"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("check digit is wrong"), "{html}");
    assert!(html.contains("value=\"Ada Okafor\""));
    let resp = t
        .form(
            "/setup/providers",
            ADMIN,
            &[
                ("name", "Ada Okafor"),
                ("credentials", "MD"),
                ("npi", "1245319599"),
                ("specialties", "dermatology"),
                ("location_ids", &l1),
                ("visit_scope", "all"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let at = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(at.starts_with("/setup/providers/"), "{at}");
    // Hours: Monday and Wednesday mornings, from a date.
    let hours = format!("{at}/hours");
    let resp = t
        .form(
            &hours,
            ADMIN,
            &[
                ("location_id", &l1),
                ("effective_from", "2026-06-01"),
                ("repeats", "every_week"),
                ("mon_start", "08:00"),
                ("mon_end", "12:00"),
                ("wed_start", "08:00"),
                ("wed_end", "12:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = t
        .req(Method::GET, &at, ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h1>Ada Okafor, MD</h1>"), "{page}");
    assert!(page.contains("Mon 08:00–12:00, Wed 08:00–12:00"), "{page}");
    assert!(page.contains("every week, from 06/01/2026"), "{page}");
    // A day with an end before its start is refused in the template's words.
    let resp = t
        .form(
            &hours,
            ADMIN,
            &[
                ("location_id", &l1),
                ("effective_from", "2026-06-01"),
                ("fri_start", "17:00"),
                ("fri_end", "08:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("end at 08:00 before they start at 17:00")
    );
    // Time off shows under the provider.
    let resp = t
        .form(
            &format!("{at}/time-off"),
            ADMIN,
            &[
                ("first", "2026-07-06"),
                ("last", "2026-07-10"),
                ("reason", "Vacation"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = t
        .req(Method::GET, &at, ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("07/06/2026 to 07/10/2026: Vacation (every location)"),
        "{page}"
    );
}
