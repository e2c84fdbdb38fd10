//! What a booking script reads over the API: an appointment back, the
//! visit types, rooms and devices, closures and a day's schedule; each
//! parameter checked by name, another practice's IDs not found, and every
//! `Location` the suite receives followed (see `support`).

use std::collections::BTreeSet;

use jiff::civil::date;
use kerato_domain::identity::Role;
use kerato_domain::providers::ProviderInput;
use kerato_domain::scheduling::ResourceKind;
use kerato_store::audit;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, TestApp, Who, spawn_app};

const DESK: Who = Who::Role(Role::FrontDesk);

/// Dr. Rivera works Monday mornings at location 1 and afternoons at 2; an OCT visit needs an exam
/// room and an OCT; location 1 has both, location 2 a room; location 1 is
/// closed 24 to 26 December and Dr. Rivera is off on 2 June.
struct Practice {
    provider: String,
    oct_visit: String,
    room: String,
    oct: String,
    patient: String,
}

async fn practice(t: &TestApp) -> Practice {
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    let provider = t
        .app
        .create_provider(
            &admin,
            &ProviderInput::new("Dr. Rivera", &[t.l1.id, t.l2.id])
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let oct_visit = t
        .app
        .define_appointment_type(
            &admin,
            &kerato_domain::scheduling::TypeInput {
                name: "OCT visit".into(),
                duration_minutes: 40,
                specialty: None,
                colour: Some("#aa3300".into()),
                new_patient: true,
                resources: BTreeSet::from([ResourceKind::ExamRoom, ResourceKind::Oct]),
            },
        )
        .await
        .unwrap();
    let room = t
        .app
        .create_resource(&admin, t.l1.id, ResourceKind::ExamRoom, "Room 1")
        .await
        .unwrap();
    let oct = t
        .app
        .create_resource(&admin, t.l1.id, ResourceKind::Oct, "Cirrus")
        .await
        .unwrap();
    t.app
        .create_resource(&admin, t.l2.id, ResourceKind::ExamRoom, "South room")
        .await
        .unwrap();
    for (loc, start, end) in [(t.l1.id, "08:00", "12:00"), (t.l2.id, "13:00", "17:00")] {
        let mondays = crate::support::mondays(loc, start, end);
        t.app
            .add_hours(
                &admin,
                provider.id,
                &kerato_domain::input::ParseInput::parse(mondays).unwrap(),
            )
            .await
            .unwrap();
    }
    t.app
        .close_days(
            &admin,
            None,
            Some(t.l1.id),
            date(2026, 12, 24),
            date(2026, 12, 26),
            "Holidays",
        )
        .await
        .unwrap();
    t.app
        .close_days(
            &admin,
            Some(provider.id),
            None,
            date(2026, 6, 2),
            date(2026, 6, 2),
            "Conference",
        )
        .await
        .unwrap();
    let patient = crate::support::ria_shah(t, &admin).await;
    Practice {
        provider: provider.id.to_string(),
        oct_visit: oct_visit.id.to_string(),
        room: room.id.to_string(),
        oct: oct.id.to_string(),
        patient: patient.id.to_string(),
    }
}

async fn get(t: &TestApp, path: &str, who: Who) -> (StatusCode, Value) {
    let resp = t.req(Method::GET, path, who).await.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// The one field a 422 names.
fn field(problem: &Value) -> &str {
    problem["fields"][0]["field"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_reads_what_it_needs_books_and_reads_the_booking_back() {
    let t = spawn_app().await;
    let p = practice(&t).await;
    let (l1, l2) = (t.l1.id.to_string(), t.l2.id.to_string());

    let (status, types) = get(&t, "/api/visit-types", DESK).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        types,
        json!([{"id": p.oct_visit, "name": "OCT visit", "duration_minutes": 40, "specialty": null,
            "colour": "#aa3300", "new_patient": true, "resource_kinds": ["exam_room", "oct"]}])
    );

    let (status, here) = get(&t, &format!("/api/resources?location_id={l1}"), DESK).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = here
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Room 1", "Cirrus"]);
    assert_eq!(here[1]["kind"], "oct");
    assert_eq!(here[1]["location_id"], l1);
    let (_, everywhere) = get(&t, "/api/resources", DESK).await;
    assert_eq!(everywhere.as_array().unwrap().len(), 3);

    // The holiday, by the location's own days and as instants.
    let (status, closed) = get(
        &t,
        &format!("/api/closures?from=2026-12-01&to=2026-12-31&location_id={l1}"),
        DESK,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        closed,
        json!([{"id": closed[0]["id"], "kind": "holiday", "provider_id": null, "location_id": l1,
            "reason": "Holidays", "starts_at": "2026-12-24T06:00:00Z", "ends_at": "2026-12-27T06:00:00Z",
            "time_zone": "America/Chicago", "first_day": "2026-12-24", "last_day": "2026-12-26"}])
    );
    // The last day counts; the day after does not.
    let (_, edge) = get(&t, "/api/closures?from=2026-12-26&to=2026-12-26", DESK).await;
    assert_eq!(edge.as_array().unwrap().len(), 1);
    let (_, after) = get(&t, "/api/closures?from=2026-12-27&to=2026-12-31", DESK).await;
    assert_eq!(after, json!([]));
    // The provider's time off wherever they work shows at both locations
    // and for them; location 2 has no holiday.
    let june = "/api/closures?from=2026-06-01&to=2026-06-07";
    let (_, off) = get(&t, &format!("{june}&location_id={l2}"), DESK).await;
    assert_eq!(off.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            &off[0]["kind"],
            &off[0]["provider_id"],
            &off[0]["first_day"]
        ),
        (&json!("time_off"), &json!(p.provider), &json!("2026-06-02"))
    );
    let (_, mine) = get(
        &t,
        &format!(
            "/api/closures?from=2026-01-01&to=2026-12-31&provider_id={}",
            p.provider
        ),
        DESK,
    )
    .await;
    let kinds: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["time_off", "holiday"],
        "their time off, and the holiday where they work"
    );

    // Book; the booking's Location is followed by the test client, and
    // reading it back gives what the booking answered.
    let resp = t
        .req(Method::POST, "/api/appointments", DESK)
        .await
        .json(
            &json!({"provider_id": p.provider, "patient_id": p.patient, "location_id": l1,
            "appointment_type_id": p.oct_visit, "date": "2026-06-01", "time": "10:00"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let booked: Value = resp.json().await.unwrap();
    let (status, again) = get(&t, &location, DESK).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, booked);
    assert!(t.followed.count.load(std::sync::atomic::Ordering::Relaxed) >= 1);

    // The day, as JSON.
    let (status, day) = get(
        &t,
        &format!("/api/schedule?location_id={l1}&date=2026-06-01"),
        DESK,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&day["location_id"], &day["date"], &day["time_zone"]),
        (&json!(l1), &json!("2026-06-01"), &json!("America/Chicago"))
    );
    let a = &day["appointments"][0];
    assert_eq!(day["appointments"].as_array().unwrap().len(), 1);
    assert_eq!(a["id"], booked["id"]);
    assert_eq!(
        (
            &a["starts_at"],
            &a["ends_at"],
            &a["start_time"],
            &a["end_time"]
        ),
        (
            &json!("2026-06-01T15:00:00Z"),
            &json!("2026-06-01T15:40:00Z"),
            &json!("10:00"),
            &json!("10:40")
        )
    );
    assert_eq!(
        (&a["patient_id"], &a["patient_name"], &a["provider_name"]),
        (&json!(p.patient), &json!("Shah, Ria"), &json!("Dr. Rivera"))
    );
    assert_eq!(
        (
            &a["appointment_type_name"],
            &a["status"],
            &a["waiting_minutes"]
        ),
        (&json!("OCT visit"), &json!("booked"), &Value::Null)
    );
    let held: BTreeSet<&str> = a["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(held, BTreeSet::from([p.room.as_str(), p.oct.as_str()]));
    let (_, other_day) = get(
        &t,
        &format!("/api/schedule?location_id={l2}&date=2026-06-01"),
        DESK,
    )
    .await;
    assert_eq!(other_day["appointments"], json!([]));

    // The schedule names patients: its read is audited with the location,
    // and reading the appointment is audited as a view of the patient's.
    let mut tx = t.app.store().read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 100_000).await.unwrap();
    let desk = t.user(DESK).id.to_string();
    assert!(events.iter().any(|e| {
        e.event.category == "schedule"
            && e.event.action.as_str() == "query"
            && e.event.user_id.as_deref() == Some(desk.as_str())
    }));
    assert!(events.iter().any(|e| {
        e.event.category == "appointment"
            && e.event.action.as_str() == "view"
            && e.event.patient_id.as_deref() == Some(p.patient.as_str())
            && e.event.resource_id.as_ref() == booked["id"].as_str().map(str::to_string).as_ref()
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_parameter_is_named_with_how_to_fix_it() {
    let t = spawn_app().await;
    let l1 = t.l1.id.to_string();
    let cases: [(&str, &str, &str); 10] = [
        ("/api/schedule?date=2026-06-01", "location_id", "required"),
        (
            "/api/schedule?location_id=north&date=2026-06-01",
            "location_id",
            "GET /api/locations",
        ),
        (
            "/api/schedule?location_id={l1}&date=06/01/2026",
            "date",
            "YYYY-MM-DD",
        ),
        ("/api/schedule?location_id={l1}", "date", "required"),
        (
            "/api/schedule?location_id={l1}&date=2026-06-01&day=2026-06-02",
            "day",
            "unknown",
        ),
        (
            "/api/schedule?location_id={l1}&location_id={l1}&date=2026-06-01",
            "location_id",
            "once",
        ),
        ("/api/closures?to=2026-06-01", "from", "required"),
        (
            "/api/closures?from=2026-06-02&to=2026-06-01",
            "to",
            "before",
        ),
        (
            "/api/closures?from=2026-06-01&to=2026-06-02&provider_id=x",
            "provider_id",
            "GET /api/providers",
        ),
        (
            "/api/resources?location_id=1",
            "location_id",
            "GET /api/locations",
        ),
    ];
    for (path, name, says) in cases {
        let path = path.replace("{l1}", &l1);
        let (status, problem) = get(&t, &path, DESK).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {problem}"
        );
        assert_eq!(field(&problem), name, "{path}: {problem}");
        let message = problem["fields"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{path}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointment_and_a_day_are_location_scoped_as_their_pages_are() {
    let t = spawn_app().await;
    let p = practice(&t).await;
    let l2 = t.l2.id.to_string();
    let resp = t
        .req(Method::POST, "/api/appointments", DESK)
        .await
        .json(
            &json!({"provider_id": p.provider, "patient_id": p.patient, "location_id": l2,
            "appointment_type_id": p.oct_visit, "date": "2026-06-08", "time": "14:00",
            "resource_ids": []}),
        )
        .send()
        .await
        .unwrap();
    // Location 2 has no OCT: the booking says so.
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    let plain = t
        .app
        .create_appointment_type(&admin, "Follow-up", 20)
        .await
        .unwrap();
    let booked: Value = t
        .req(Method::POST, "/api/appointments", DESK)
        .await
        .json(
            &json!({"provider_id": p.provider, "patient_id": p.patient, "location_id": l2,
            "appointment_type_id": plain.id.to_string(), "date": "2026-06-08", "time": "14:00"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();
    let (status, _) = get(&t, &format!("/api/appointments/{id}"), Who::DeskAtL1).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the front desk of location 1 only"
    );
    let (status, _) = get(
        &t,
        &format!("/api/schedule?location_id={l2}&date=2026-06-08"),
        Who::DeskAtL1,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, day) = get(
        &t,
        &format!("/api/schedule?location_id={}&date=2026-06-08", t.l1.id),
        Who::DeskAtL1,
    )
    .await;
    assert_eq!((status, &day["appointments"]), (StatusCode::OK, &json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_practices_ids_are_not_found() {
    let t = spawn_app().await;
    let p = practice(&t).await;
    let l1 = t.l1.id.to_string();
    let booked: Value = t
        .req(Method::POST, "/api/appointments", DESK)
        .await
        .json(
            &json!({"provider_id": p.provider, "patient_id": p.patient, "location_id": l1,
            "appointment_type_id": p.oct_visit, "date": "2026-06-01", "time": "11:00"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();
    let other = Who::OtherOrgAdmin;
    let theirs = [
        format!("/api/appointments/{id}"),
        format!("/api/schedule?location_id={l1}&date=2026-06-01"),
        format!("/api/resources?location_id={l1}"),
        format!("/api/closures?from=2026-12-01&to=2026-12-31&location_id={l1}"),
        format!(
            "/api/closures?from=2026-06-01&to=2026-06-30&provider_id={}",
            p.provider
        ),
    ];
    for path in &theirs {
        let (status, problem) = get(&t, path, other).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {problem}");
    }
    // Their own lists hold nothing of this practice's.
    let (_, types) = get(&t, "/api/visit-types", other).await;
    assert_eq!(types, json!([]));
    let (_, rooms) = get(&t, "/api/resources", other).await;
    assert_eq!(rooms, json!([]));
    let (_, closed) = get(&t, "/api/closures?from=2026-01-01&to=2026-12-31", other).await;
    assert_eq!(closed, json!([]));
    // An unknown ID, or one that is not an ID, is not found either.
    let unknown = "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f";
    for path in [
        format!("/api/appointments/{unknown}"),
        "/api/appointments/not-an-id".to_string(),
        format!("/api/schedule?location_id={unknown}&date=2026-06-01"),
    ] {
        let (status, _) = get(&t, &path, DESK).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// The check behind every test: a `Location` that leads nowhere is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_nobody_serves_is_caught() {
    use axum::response::IntoResponse;
    use tower::ServiceExt;
    let followed = std::sync::Arc::new(crate::support::Followed::default());
    let router = axum::Router::new()
        .route("/here", axum::routing::get(|| async { "here" }))
        .route(
            "/good",
            axum::routing::post(|| async {
                (StatusCode::CREATED, [("location", "/here")]).into_response()
            }),
        )
        .route(
            "/bad",
            axum::routing::post(|| async {
                (StatusCode::CREATED, [("location", "/nowhere")]).into_response()
            }),
        );
    let router = crate::support::follow_every_location(router, &followed);
    for path in ["/good", "/bad"] {
        let req = axum::http::Request::post(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    assert_eq!(followed.count.load(std::sync::atomic::Ordering::Relaxed), 2);
    let failures = followed.failures.lock().unwrap();
    assert_eq!(
        *failures,
        ["POST /bad sent Location /nowhere: GET /nowhere answered 404 Not Found"]
    );
}
