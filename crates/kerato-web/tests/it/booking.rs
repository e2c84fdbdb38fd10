//! 50 requests for the same slot at once: exactly one books it.

use kerato_domain::identity::Role;
use kerato_domain::scheduling::VisitStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{ADMIN, Who, spawn_app};

/// A provider working Mondays 08:00 to 17:00 at location 1.
async fn monday_provider(
    t: &crate::support::TestApp,
    admin: &kerato_app::Caller,
    name: &str,
) -> kerato_domain::providers::Provider {
    use kerato_domain::providers::ProviderInput;
    let p = t
        .app
        .create_provider(
            admin,
            &ProviderInput::new(name, &[t.l1.id]).validate().unwrap(),
        )
        .await
        .unwrap();
    let monday = crate::support::mondays(t.l1.id, "08:00", "17:00");
    t.app
        .add_hours(
            admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(monday).unwrap(),
        )
        .await
        .unwrap();
    p
}

/// A provider with Monday hours at location 1, a 30-minute visit type and a
/// patient, set up by the administrator.
async fn practice(
    t: &crate::support::TestApp,
) -> (
    kerato_app::Caller,
    kerato_domain::providers::Provider,
    kerato_domain::scheduling::AppointmentType,
    kerato_domain::patients::Patient,
) {
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    let provider = monday_provider(t, &admin, "Dr. Rivera").await;
    let kind = t
        .app
        .create_appointment_type(&admin, "Eye exam", 30)
        .await
        .unwrap();
    let patient = crate::support::ria_shah(t, &admin).await;
    (admin, provider, kind, patient)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_bookings_of_one_slot_make_one_appointment() {
    let t = spawn_app().await;
    let (admin, provider, kind, patient) = practice(&t).await;
    let body = json!({
        "provider_id": provider.id.to_string(),
        "patient_id": patient.id.to_string(),
        "location_id": t.l1.id.to_string(),
        "appointment_type_id": kind.id.to_string(),
        "date": "2026-06-01",
        "time": "10:00",
    });
    let mut requests = Vec::new();
    for _ in 0..50 {
        requests.push(
            t.req(
                Method::POST,
                "/api/appointments",
                Who::Role(Role::FrontDesk),
            )
            .await
            .json(&body),
        );
    }
    let handles: Vec<_> = requests
        .into_iter()
        .map(|r| tokio::spawn(async move { r.send().await }))
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    for h in handles {
        let resp = h.await.unwrap().unwrap();
        match resp.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                let v: serde_json::Value = resp.json().await.unwrap();
                assert!(
                    v["message"].as_str().unwrap().contains("already booked"),
                    "{v}"
                );
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", resp.text().await.unwrap()),
        }
    }
    assert_eq!((created, conflicts), (1, 49));
    let mut tx = t.app.store().read().await.unwrap();
    assert_eq!(
        kerato_store::scheduling::count_appointments(&mut tx, admin.actor.organisation_id)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_page_moves_a_patient_through_the_visit() {
    let t = spawn_app().await;
    let (_, provider, kind, patient) = practice(&t).await;
    let next: serde_json::Value = t
        .req(Method::POST, "/api/appointments/next-available", Who::Role(Role::FrontDesk))
        .await
        .json(&json!({"provider_id": provider.id.to_string(), "location_id": t.l1.id.to_string(), "appointment_type_id": kind.id.to_string()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["starts_at"], "2026-06-01T13:00:00Z",
        "Monday 08:00 in Chicago"
    );
    let booked: serde_json::Value = t
        .req(Method::POST, "/api/appointments", Who::Role(Role::FrontDesk))
        .await
        .json(&json!({"provider_id": provider.id.to_string(), "patient_id": patient.id.to_string(), "location_id": t.l1.id.to_string(), "appointment_type_id": kind.id.to_string(), "date": "2026-06-01", "time": "08:00"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = booked["id"].as_str().unwrap();
    let day = format!("/schedule?location={}&date=2026-06-01", t.l1.id);
    let page = t
        .req(Method::GET, &day, Who::Role(Role::FrontDesk))
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("08:00") && page.contains("Shah, Ria") && page.contains("Scheduled"),
        "{page}"
    );
    let resp = t
        .form(
            &format!("/appointments/{id}/status"),
            Who::Role(Role::FrontDesk),
            &[("status", "arrived"), ("back", day.as_str())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"].to_str().unwrap(), day);
    t.clock.advance_secs(12 * 60);
    let page = t
        .req(Method::GET, &day, Who::Role(Role::FrontDesk))
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Arrived") && page.contains("12 min"),
        "{page}"
    );
    let resp = t
        .req(
            Method::POST,
            &format!("/api/appointments/{id}/status"),
            Who::Role(Role::Technician),
        )
        .await
        .json(&json!({"status": "no_show"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "an arrived patient is not a no-show"
    );
}

/// Two providers, one OCT: 50 requests at once for the same time, half for
/// each provider, make exactly one appointment, because the device is
/// locked as well as the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_bookings_of_one_device_across_providers_make_one_appointment() {
    use kerato_domain::scheduling::ResourceKind;
    let t = spawn_app().await;
    let (admin, first, _, patient) = practice(&t).await;
    let second = monday_provider(&t, &admin, "Dr. Okafor").await;
    t.app
        .create_resource(&admin, t.l1.id, ResourceKind::Oct, "OCT")
        .await
        .unwrap();
    let kind = t
        .app
        .define_appointment_type(
            &admin,
            &kerato_domain::scheduling::TypeInput {
                name: "OCT scan".into(),
                duration_minutes: 15,
                specialty: None,
                colour: None,
                new_patient: false,
                resources: [ResourceKind::Oct].into_iter().collect(),
            },
        )
        .await
        .unwrap();
    let mut requests = Vec::new();
    for i in 0..50 {
        let provider = if i % 2 == 0 { first.id } else { second.id };
        let body = json!({
            "provider_id": provider.to_string(),
            "patient_id": patient.id.to_string(),
            "location_id": t.l1.id.to_string(),
            "appointment_type_id": kind.id.to_string(),
            "date": "2026-06-01",
            "time": "10:00",
        });
        requests.push(
            t.req(
                Method::POST,
                "/api/appointments",
                Who::Role(Role::FrontDesk),
            )
            .await
            .json(&body),
        );
    }
    let handles: Vec<_> = requests
        .into_iter()
        .map(|r| tokio::spawn(async move { r.send().await }))
        .collect();
    let (mut created, mut conflicts) = (0, 0);
    for h in handles {
        let resp = h.await.unwrap().unwrap();
        match resp.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}: {}", resp.text().await.unwrap()),
        }
    }
    assert_eq!((created, conflicts), (1, 49));
}

/// Bad input on the set-up and waitlist forms is refused with the field
/// named, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_forms_refuse_bad_input() {
    let t = spawn_app().await;
    let (admin, provider, kind, patient) = practice(&t).await;
    let types = || async { t.app.booking_choices(&admin).await.unwrap().1.len() };
    let before = types().await;
    for (fields, needle) in [
        (
            vec![("name", "Scan"), ("duration_minutes", "ten")],
            "whole minutes",
        ),
        (
            vec![("name", "Scan"), ("duration_minutes", "0")],
            "5 to 480",
        ),
        (
            vec![
                ("name", "Scan"),
                ("duration_minutes", "15"),
                ("colour", "red"),
            ],
            "#rrggbb",
        ),
        (
            vec![
                ("name", "Scan"),
                ("duration_minutes", "15"),
                ("resources", "teleporter"),
            ],
            "resource kind",
        ),
    ] {
        let resp = t.form("/setup/types", ADMIN, &fields).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = resp.text().await.unwrap();
        assert!(body.contains(needle), "{needle}: {body}");
    }
    assert_eq!(types().await, before, "nothing written");
    let resp = t
        .form(
            "/waitlist",
            Who::Role(Role::FrontDesk),
            &[
                ("patient_id", &patient.id.to_string()),
                ("appointment_type_id", &kind.id.to_string()),
                ("provider_id", &provider.id.to_string()),
                ("earliest_date", "2026-07-01"),
                ("latest_date", "2026-06-01"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("comes before the earliest")
    );
    assert!(t.app.waitlist(&admin).await.unwrap().is_empty());
    // A form without its CSRF token is refused before anything runs.
    let resp = t
        .req(Method::POST, "/setup/closures", ADMIN)
        .await
        .form(&[("reason", "Holiday"), ("first", "2026-07-04")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(t.app.upcoming_closures(&admin).await.unwrap().is_empty());
}

/// The appointment page moves and cancels through forms; a cancellation
/// without a reason is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointment_is_moved_and_cancelled_from_its_page() {
    let t = spawn_app().await;
    let (admin, provider, kind, patient) = practice(&t).await;
    let a = t
        .app
        .book_appointment(
            &admin,
            &kerato_domain::scheduling::BookingInput {
                patient_id: patient.id,
                slot: kerato_domain::scheduling::SlotChoice {
                    provider_id: provider.id,
                    location_id: t.l1.id,
                    appointment_type_id: kind.id,
                    date: "2026-06-01".parse().unwrap(),
                    time: "10:00".parse().unwrap(),
                    repeated_hour: None,
                    duration_minutes: None,
                    resource_ids: Vec::new(),
                },
            },
        )
        .await
        .unwrap();
    let desk = Who::Role(Role::FrontDesk);
    let page = t
        .req(Method::GET, &format!("/appointments/{}", a.id), desk)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Monday June 1, 2026 at 10:00")
    );
    let moved = t
        .form(
            &format!("/appointments/{}/reschedule", a.id),
            desk,
            &[("date", "2026-06-01"), ("time", "11:30")],
        )
        .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let now = t.app.appointment(&admin, a.id).await.unwrap();
    assert_eq!(
        now.starts_at.to_string(),
        "2026-06-01T16:30:00Z",
        "11:30 in Chicago"
    );
    let refused = t
        .form(
            &format!("/appointments/{}/cancel", a.id),
            desk,
            &[("reason", "")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.app.appointment(&admin, a.id).await.unwrap().status,
        VisitStatus::Booked
    );
    let cancelled = t
        .form(
            &format!("/appointments/{}/cancel", a.id),
            desk,
            &[("reason", "patient called")],
        )
        .await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        t.app.appointment(&admin, a.id).await.unwrap().status,
        VisitStatus::Cancelled
    );
}

/// What the audit trail holds after `seq`: (action, category, patient).
async fn events_since(
    t: &crate::support::TestApp,
    seq: i64,
) -> Vec<(String, String, Option<String>)> {
    let mut tx = t.app.store().read().await.unwrap();
    kerato_store::audit::events_after(&mut tx, seq, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.event.action.as_str().to_string(),
                e.event.category,
                e.event.patient_id,
            )
        })
        .collect()
}

async fn last_seq(t: &crate::support::TestApp) -> i64 {
    let mut tx = t.app.store().read().await.unwrap();
    kerato_store::audit::events_after(&mut tx, 0, 1_000_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |e| e.seq)
}

/// A booking from the patient's booking form writes its own audit event
/// and nothing else: the form page it would show on a refusal (which reads
/// the patient's chart and the practice's choices) is not built when the
/// booking succeeds. A refused booking shows the form again, with why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_from_the_form_is_audited_once_and_reads_nothing_else() {
    let t = spawn_app().await;
    let (_, provider, kind, patient) = practice(&t).await;
    let desk = Who::Role(Role::FrontDesk);
    let cookie = format!(
        "kerato_csrf={}; kerato_session={}",
        crate::support::CSRF,
        t.session(desk).await.unwrap()
    );
    let (l1, provider, kind) = (
        t.l1.id.to_string(),
        provider.id.to_string(),
        kind.id.to_string(),
    );
    let submit = |time: &'static str| {
        let fields = [
            ("csrf", crate::support::CSRF),
            ("location_id", l1.as_str()),
            ("provider_id", provider.as_str()),
            ("appointment_type_id", kind.as_str()),
            ("date", "2026-06-01"),
            ("time", time),
            ("weekdays", ""),
            ("weeks", ""),
            ("action", "book"),
        ];
        t.client
            .post(t.url(&format!("/patients/{}/book", patient.id)))
            .header("cookie", cookie.clone())
            .form(&fields)
            .send()
    };
    let before = last_seq(&t).await;
    let booked = submit("10:00").await.unwrap();
    assert_eq!(booked.status(), StatusCode::SEE_OTHER);
    let location = booked.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("/schedule?location={l1}&date=2026-06-01"));
    // The test server follows the redirect before answering, so the
    // schedule page's own audited read comes after the booking's event.
    let pid = Some(patient.id.to_string());
    assert_eq!(
        events_since(&t, before).await,
        [
            ("create".to_string(), "appointment".to_string(), pid.clone()),
            ("query".to_string(), "schedule".to_string(), None),
        ]
    );

    // The same slot again is refused, and only then is the form built:
    // with the patient's name (an audited view of the chart) and the reason.
    let before = last_seq(&t).await;
    let refused = submit("10:00").await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let page = refused.text().await.unwrap();
    assert!(page.contains("already booked"), "{page}");
    assert!(
        page.contains("value=\"10:00\""),
        "the form keeps the time: {page}"
    );
    let events = events_since(&t, before).await;
    assert!(
        !events
            .iter()
            .any(|(action, category, _)| action == "create" && category == "appointment"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|(action, _, p)| action == "view" && *p == pid),
        "{events:?}"
    );

    // A form that does not parse names its problem on the form.
    let bad = submit("25:00").await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("HH:MM"));
}
