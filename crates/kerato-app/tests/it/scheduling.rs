//! Booking rules: DST, template hours, other practices' IDs, the past and
//! bad durations, each refused with a clear error and nothing written.

use kerato_app::AppError;
use kerato_domain::patients::PatientInput;
use kerato_domain::scheduling::BookingRequest;
use kerato_domain::scheduling::RepeatedHour;
use kerato_domain::tenancy::LocationInput;

use crate::{World, world};

/// A practice open every morning and one patient to book: shared with the
/// telemetry tests, which count bookings.
pub(crate) struct Setup {
    pub(crate) req: BookingRequest,
}

pub(crate) async fn setup(w: &World, tz: &str) -> Setup {
    let loc = w
        .app
        .create_location(
            &w.admin,
            &LocationInput {
                time_zone: tz.into(),
                ..crate::location_input("Main")
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let provider = crate::provider_all_week(w, "Dr. Okafor", loc.id, None, "00:00", "12:00").await;
    let kind = w
        .app
        .create_appointment_type(&w.admin, "Skin check", 30)
        .await
        .unwrap();
    let patient = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Jo".into(),
                    legal_last_name: "Smith".into(),
                    date_of_birth: "1975-07-04".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    Setup {
        req: BookingRequest {
            provider_id: provider.id.to_string(),
            patient_id: patient.id.to_string(),
            location_id: loc.id.to_string(),
            appointment_type_id: kind.id.to_string(),
            date: "2027-06-07".into(),
            time: "09:00".into(),
            ..Default::default()
        },
    }
}

async fn count(w: &World) -> i64 {
    let mut tx = w.app.store().read().await.unwrap();
    kerato_store::scheduling::count_appointments(&mut tx, w.admin.actor.organisation_id)
        .await
        .unwrap()
}

fn field(err: &AppError) -> String {
    match err {
        AppError::Validation(e) => format!("{}: {}", e.errors[0].field, e.errors[0].message),
        other => panic!("not a validation error: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dst_days_in_new_york() {
    let w = world().await;
    let s = setup(&w, "America/New_York").await;
    // Spring forward, 2027-03-14: 01:30 exists, 02:30 does not.
    let a = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-03-14".into(),
            time: "01:30".into(),
            ..s.req.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(a.starts_at.to_string(), "2027-03-14T06:30:00Z");
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-03-14".into(),
            time: "02:30".into(),
            ..s.req.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(field(&err).contains("does not exist"), "{err}");
    // Fall back, 2027-11-07: 01:30 happens twice and must be chosen.
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-11-07".into(),
            time: "01:30".into(),
            ..s.req.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(field(&err).contains("happens twice"), "{err}");
    let first = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-11-07".into(),
            time: "01:30".into(),
            repeated_hour: Some(RepeatedHour::First),
            ..s.req.clone()
        },
    )
    .await
    .unwrap();
    let second = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-11-07".into(),
            time: "01:30".into(),
            repeated_hour: Some(RepeatedHour::Second),
            ..s.req.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(first.starts_at.to_string(), "2027-11-07T05:30:00Z");
    assert_eq!(second.starts_at.to_string(), "2027-11-07T06:30:00Z");
    assert_eq!(count(&w).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bookings_are_refused_and_write_nothing() {
    let w = world().await;
    let s = setup(&w, "America/Chicago").await;
    let other_loc = w
        .app
        .create_location(
            &w.admin,
            &crate::location_input("Branch").validate().unwrap(),
        )
        .await
        .unwrap();
    let (_, stranger) = w
        .app
        .unsafe_add_tenant(
            "Elsewhere",
            kerato_domain::tenancy::OrganisationKind::Practice,
            "x@else.example",
            "X",
            crate::PASSWORD,
        )
        .await
        .unwrap();
    let stranger = w.app.unsafe_caller_for(stranger.id).await.unwrap();
    let foreign_patient = w
        .app
        .register_patient(
            &stranger,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Al".into(),
                    legal_last_name: "Other".into(),
                    date_of_birth: "1980-01-01".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let cases: Vec<(BookingRequest, &str)> = vec![
        (
            BookingRequest {
                time: "13:00".into(),
                ..s.req.clone()
            },
            "does not see patients",
        ),
        (
            BookingRequest {
                time: "11:45".into(),
                ..s.req.clone()
            },
            "does not see patients",
        ),
        (
            BookingRequest {
                patient_id: foreign_patient.id.to_string(),
                ..s.req.clone()
            },
            "no such patient",
        ),
        (
            BookingRequest {
                location_id: other_loc.id.to_string(),
                ..s.req.clone()
            },
            "does not work at",
        ),
        (
            BookingRequest {
                date: "2020-01-06".into(),
                ..s.req.clone()
            },
            "has passed",
        ),
        (
            BookingRequest {
                duration_minutes: Some(0),
                ..s.req.clone()
            },
            "duration",
        ),
        (
            BookingRequest {
                duration_minutes: Some(-15),
                ..s.req.clone()
            },
            "duration",
        ),
        (
            BookingRequest {
                date: "2027-02-30".into(),
                ..s.req.clone()
            },
            "YYYY-MM-DD",
        ),
        (
            BookingRequest {
                time: "25:00".into(),
                ..s.req.clone()
            },
            "HH:MM",
        ),
        (
            BookingRequest {
                provider_id: "nope".into(),
                ..s.req.clone()
            },
            "not a valid ID",
        ),
    ];
    for (req, expected) in cases {
        let err = crate::book(&w.app, &w.admin, &req).await.unwrap_err();
        assert!(field(&err).contains(expected), "{expected}: {err}");
    }
    assert!(
        w.app
            .create_appointment_type(&w.admin, "Zero", 0)
            .await
            .is_err()
    );
    assert!(
        w.app
            .create_appointment_type(&w.admin, "Negative", -30)
            .await
            .is_err()
    );
    assert_eq!(count(&w).await, 0, "a refused booking wrote something");

    // The same slot twice: the second is a conflict; back-to-back is fine.
    crate::book(&w.app, &w.admin, &s.req).await.unwrap();
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            time: "09:15".into(),
            ..s.req.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err}");
    crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            time: "09:30".into(),
            ..s.req.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(count(&w).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visit_moves_through_the_flow_and_frees_or_keeps_its_slot() {
    use kerato_domain::scheduling::VisitStatus;
    let w = world().await;
    let s = setup(&w, "America/Chicago").await;
    let a = crate::book(&w.app, &w.admin, &s.req).await.unwrap();
    // Cancelling needs a reason; a cancelled slot is free again.
    let err = w
        .app
        .set_visit_status(&w.admin, a.id, VisitStatus::Cancelled, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)));
    w.app
        .set_visit_status(
            &w.admin,
            a.id,
            VisitStatus::Cancelled,
            Some("patient called"),
        )
        .await
        .unwrap();
    let b = crate::book(&w.app, &w.admin, &s.req).await.unwrap();
    // Reschedule within the window, then check in and see the patient.
    let moved = crate::reschedule(&w.app, &w.admin, b.id, "2027-06-07", "10:30", None)
        .await
        .unwrap();
    assert_eq!(moved.starts_at.to_string(), "2027-06-07T15:30:00Z");
    assert!(matches!(
        crate::reschedule(&w.app, &w.admin, b.id, "2027-06-07", "13:00", None).await,
        Err(AppError::Validation(_))
    ));
    w.app
        .set_visit_status(&w.admin, b.id, VisitStatus::Arrived, None)
        .await
        .unwrap();
    assert!(matches!(
        w.app
            .set_visit_status(&w.admin, b.id, VisitStatus::NoShow, None)
            .await,
        Err(AppError::Conflict(_))
    ));
    assert!(matches!(
        crate::reschedule(&w.app, &w.admin, b.id, "2027-06-08", "09:00", None).await,
        Err(AppError::Conflict(_))
    ));
    w.clock.advance_secs(7 * 60);
    let day = "2027-06-07".parse().unwrap();
    let loc: kerato_domain::ids::LocationId = s.req.location_id.parse().unwrap();
    let lines = w.app.day_schedule(&w.admin, loc, day).await.unwrap();
    let active: Vec<_> = lines
        .iter()
        .filter(|l| l.appointment.status == VisitStatus::Arrived)
        .collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].waiting_minutes, Some(7));
    assert_eq!(active[0].patient_name, "Smith, Jo");
    w.app
        .set_visit_status(&w.admin, b.id, VisitStatus::WithProvider, None)
        .await
        .unwrap();
    w.app
        .set_visit_status(&w.admin, b.id, VisitStatus::Done, None)
        .await
        .unwrap();
    assert_eq!(
        lines.len(),
        2,
        "the cancelled appointment stays on the day's list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_available_skips_what_is_taken() {
    let w = world().await;
    let s = setup(&w, "America/Chicago").await;
    let provider = s.req.provider_id.parse().unwrap();
    let loc = s.req.location_id.parse().unwrap();
    let kind = s.req.appointment_type_id.parse().unwrap();
    let first = w
        .app
        .next_available(&w.admin, provider, loc, kind)
        .await
        .unwrap()
        .unwrap();
    // The test clock stands at 2026-05-28 21:46 UTC (16:46 in Chicago), after
    // the day's window closed: the next slot is the next midnight.
    assert_eq!(first.to_string(), "2026-05-29T05:00:00Z");
    let book_at = |time: &str| BookingRequest {
        date: "2026-05-29".into(),
        time: time.into(),
        ..s.req.clone()
    };
    crate::book(&w.app, &w.admin, &book_at("00:00"))
        .await
        .unwrap();
    let second = w
        .app
        .next_available(&w.admin, provider, loc, kind)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.to_string(), "2026-05-29T05:30:00Z");
}
