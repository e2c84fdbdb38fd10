//! Resources, breaks and closures, find-next-available across providers,
//! recurring series and the waitlist.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time, Weekday};
use kerato_app::AppError;
use kerato_domain::ids::{LocationId, PatientId, RecallTypeId};
use kerato_domain::input::ParseInput;
use kerato_domain::patients::PatientInput;
use kerato_domain::providers::Provider;
use kerato_domain::providers::hours::{DayHoursInput, HoursInput};
use kerato_domain::recalls::{Outreach, OutreachRequest, RecallInput, RecallRequest};
use kerato_domain::scheduling::TypeInput;
use kerato_domain::scheduling::{BookingRequest, SlotQuery};
use kerato_domain::scheduling::{Break, ResourceKind, VisitStatus};
use kerato_domain::tenancy::{LocationInput, Specialty};
use kerato_domain::time::Clock;
use kerato_domain::waitlist::{WaitlistRequest, WaitlistStatus};

use crate::{World, world};

fn at(h: i8, m: i8) -> Time {
    Time::new(h, m, 0, 0).unwrap()
}

async fn location(w: &World, name: &str) -> LocationId {
    w.app
        .create_location(
            &w.admin,
            &LocationInput {
                ..crate::location_input(name)
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap()
        .id
}

/// A provider working 08:00–12:00 every day at `loc`.
async fn provider(
    w: &World,
    name: &str,
    loc: LocationId,
    specialty: Option<Specialty>,
) -> Provider {
    crate::provider_all_week(w, name, loc, specialty, "08:00", "12:00").await
}

async fn patient(w: &World, last: &str, email: Option<&str>) -> String {
    w.app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Pat".into(),
                    legal_last_name: last.into(),
                    date_of_birth: "1970-01-01".into(),
                    email: email.map(Into::into),
                    reminder_channel: email.map(|_| "email".into()),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id
        .to_string()
}

async fn appointments(w: &World) -> i64 {
    let mut tx = w.app.store().read().await.unwrap();
    kerato_store::scheduling::count_appointments(&mut tx, w.admin.actor.organisation_id)
        .await
        .unwrap()
}

fn validation(err: &AppError) -> String {
    match err {
        AppError::Validation(e) => format!("{}: {}", e.errors[0].field, e.errors[0].message),
        other => panic!("not a validation error: {other}"),
    }
}

const MONDAY: &str = "2027-06-07";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_never_double_booked_and_must_be_at_the_location() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let annex = location(&w, "Annex").await;
    let a = provider(&w, "Dr. Sato", main, None).await;
    let b = provider(&w, "Dr. Patel", main, None).await;
    let oct = w
        .app
        .create_resource(&w.admin, main, ResourceKind::Oct, "OCT 1")
        .await
        .unwrap();
    let far = w
        .app
        .create_resource(&w.admin, annex, ResourceKind::ExamRoom, "Annex room 1")
        .await
        .unwrap();
    let kind = w
        .app
        .define_appointment_type(
            &w.admin,
            &TypeInput {
                name: "Glaucoma follow-up".into(),
                duration_minutes: 30,
                specialty: None,
                colour: Some("#AA3300".into()),
                new_patient: false,
                resources: BTreeSet::from([ResourceKind::Oct]),
            },
        )
        .await
        .unwrap();
    assert_eq!(kind.colour, "#aa3300");
    let p1 = patient(&w, "One", None).await;
    let p2 = patient(&w, "Two", None).await;
    let req = |provider: &Provider, patient: &str| BookingRequest {
        provider_id: provider.id.to_string(),
        patient_id: patient.into(),
        location_id: main.to_string(),
        appointment_type_id: kind.id.to_string(),
        date: MONDAY.into(),
        time: "09:00".into(),
        ..Default::default()
    };
    crate::book(&w.app, &w.admin, &req(&a, &p1)).await.unwrap();
    // Another provider, the same time: the only OCT is taken.
    let err = crate::book(&w.app, &w.admin, &req(&b, &p2))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("every oct at Main is in use")),
        "{err}"
    );
    // A resource of another location: a clear 4xx, nothing written.
    let before = appointments(&w).await;
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            time: "10:00".into(),
            resource_ids: vec![far.id.to_string()],
            ..req(&b, &p2)
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        validation(&err),
        "resource_ids: Annex room 1 is not at Main; choose one there"
    );
    assert_eq!(appointments(&w).await, before);
    // Find next available moves past the OCT's busy half hour.
    let offers = w
        .app
        .find_slots(
            &w.admin,
            &SlotQuery {
                appointment_type: Some(kind.id),
                provider: Some(b.id),
                location: Some(main),
                from: Some(Date::new(2027, 6, 7).unwrap()),
                limit: 3,
            },
        )
        .await
        .unwrap();
    let times: Vec<_> = offers
        .iter()
        .map(|o| o.time.strftime("%H:%M").to_string())
        .collect();
    assert_eq!(times, ["08:00", "08:15", "08:30"], "09:00 is the OCT's");
    let offers = w
        .app
        .find_slots(
            &w.admin,
            &SlotQuery {
                appointment_type: Some(kind.id),
                provider: Some(b.id),
                location: Some(main),
                from: Some(Date::new(2027, 6, 7).unwrap()),
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert!(
        offers
            .iter()
            .all(|o| !(o.date.to_string() == MONDAY && o.time >= at(8, 45) && o.time < at(9, 30)))
    );
    // With the device explicitly chosen and the slot taken, the device is named.
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            resource_ids: vec![oct.id.to_string()],
            ..req(&b, &p2)
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("OCT 1 is in use")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lunch_and_holidays_close_the_schedule_and_the_search_skips_them() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let p = provider(&w, "Dr. Okafor", main, None).await;
    let kind = w
        .app
        .create_appointment_type(&w.admin, "Skin check", 30)
        .await
        .unwrap();
    let pat = patient(&w, "Lunch", None).await;
    w.app
        .add_break(
            &w.admin,
            p.id,
            Break {
                weekday: Weekday::Monday,
                start: at(8, 0),
                end: at(11, 0),
                label: "Lunch".into(),
            },
        )
        .await
        .unwrap();
    let req = BookingRequest {
        provider_id: p.id.to_string(),
        patient_id: pat.clone(),
        location_id: main.to_string(),
        appointment_type_id: kind.id.to_string(),
        date: MONDAY.into(),
        time: "10:45".into(),
        ..Default::default()
    };
    let err = crate::book(&w.app, &w.admin, &req).await.unwrap_err();
    assert_eq!(
        validation(&err),
        "time: Dr. Okafor is not available then (Lunch)"
    );
    // The practice closes Tuesday for a holiday.
    w.app
        .close_days(
            &w.admin,
            None,
            Some(main),
            Date::new(2027, 6, 8).unwrap(),
            Date::new(2027, 6, 8).unwrap(),
            "Staff training day",
        )
        .await
        .unwrap();
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-06-08".into(),
            time: "09:00".into(),
            ..req.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(validation(&err).contains("Staff training day"), "{err}");
    assert_eq!(appointments(&w).await, 0, "nothing written");
    let offers = w
        .app
        .find_slots(
            &w.admin,
            &SlotQuery {
                appointment_type: Some(kind.id),
                from: Some(Date::new(2027, 6, 7).unwrap()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let first = &offers[0];
    assert_eq!(
        (first.date.to_string(), first.time),
        (MONDAY.to_string(), at(11, 0))
    );
    assert!(
        offers.iter().all(|o| o.date.to_string() != "2027-06-08"),
        "the holiday is skipped"
    );
    assert_eq!(
        offers[3].date.to_string(),
        "2027-06-09",
        "Monday 11:00–12:00 holds 3; then Wednesday"
    );
    // Time off for the provider, wherever they work.
    w.app
        .close_days(
            &w.admin,
            Some(p.id),
            None,
            Date::new(2027, 6, 9).unwrap(),
            Date::new(2027, 6, 10).unwrap(),
            "Conference",
        )
        .await
        .unwrap();
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            date: "2027-06-10".into(),
            time: "09:00".into(),
            ..req.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(validation(&err).contains("Conference"), "{err}");
    let err = w
        .app
        .close_days(
            &w.admin,
            None,
            None,
            Date::new(2027, 6, 9).unwrap(),
            Date::new(2027, 6, 8).unwrap(),
            "x",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_available_looks_across_providers_and_honours_specialty() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let derm = provider(&w, "Dr. Derm", main, Some(Specialty::Dermatology)).await;
    let eye = provider(&w, "Dr. Eye", main, Some(Specialty::EyeCare)).await;
    let kind = w
        .app
        .define_appointment_type(
            &w.admin,
            &TypeInput {
                name: "Full-skin check".into(),
                duration_minutes: 240,
                specialty: Some(Specialty::Dermatology),
                colour: None,
                new_patient: true,
                resources: BTreeSet::new(),
            },
        )
        .await
        .unwrap();
    let pat = patient(&w, "Spec", None).await;
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            provider_id: eye.id.to_string(),
            patient_id: pat.clone(),
            location_id: main.to_string(),
            appointment_type_id: kind.id.to_string(),
            date: MONDAY.into(),
            time: "08:00".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        validation(&err).contains("does not practise dermatology"),
        "{err}"
    );
    let q = SlotQuery {
        appointment_type: Some(kind.id),
        from: Some(Date::new(2027, 6, 7).unwrap()),
        limit: 2,
        ..Default::default()
    };
    let offers = w.app.find_slots(&w.admin, &q).await.unwrap();
    assert!(
        offers.iter().all(|o| o.provider_id == derm.id),
        "only the dermatologist"
    );
    // Fill Monday for the dermatologist: the search moves to Tuesday.
    crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            provider_id: derm.id.to_string(),
            patient_id: pat.clone(),
            location_id: main.to_string(),
            appointment_type_id: kind.id.to_string(),
            date: MONDAY.into(),
            time: "08:00".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let offers = w.app.find_slots(&w.admin, &q).await.unwrap();
    assert_eq!(offers[0].date.to_string(), "2027-06-08");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_books_every_date_or_none() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let p = provider(&w, "Dr. Light", main, None).await;
    w.app
        .create_resource(&w.admin, main, ResourceKind::PhototherapyBooth, "Booth")
        .await
        .unwrap();
    let kind = w
        .app
        .define_appointment_type(
            &w.admin,
            &TypeInput {
                name: "Phototherapy".into(),
                duration_minutes: 15,
                specialty: None,
                colour: None,
                new_patient: false,
                resources: BTreeSet::from([ResourceKind::PhototherapyBooth]),
            },
        )
        .await
        .unwrap();
    let pat = patient(&w, "Series", None).await;
    let other = patient(&w, "Other", None).await;
    let req = BookingRequest {
        provider_id: p.id.to_string(),
        patient_id: pat.clone(),
        location_id: main.to_string(),
        appointment_type_id: kind.id.to_string(),
        date: MONDAY.into(),
        time: "08:30".into(),
        ..Default::default()
    };
    // Someone else holds the booth on the second Wednesday.
    crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            patient_id: other,
            date: "2027-06-16".into(),
            ..req.clone()
        },
    )
    .await
    .unwrap();
    let err = crate::book_series(&w.app, &w.admin, &req, "mon,wed,fri", 8)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.starts_with("1 of 24 dates cannot be booked, so none was: 2027-06-16")),
        "{err}"
    );
    assert_eq!(
        appointments(&w).await,
        1,
        "nothing of the series was written"
    );
    let series = crate::book_series(
        &w.app,
        &w.admin,
        &BookingRequest {
            time: "09:00".into(),
            ..req.clone()
        },
        "mon,wed,fri",
        8,
    )
    .await
    .unwrap();
    assert_eq!(series.len(), 24);
    let id = series[0].series_id.expect("a series ID");
    assert!(series.iter().all(|a| a.series_id == Some(id)));
    assert_eq!(
        series.last().unwrap().starts_at.to_string(),
        "2027-07-30T13:00:00Z"
    );
    assert_eq!(appointments(&w).await, 25);
    // The patient stops after three weeks: the rest is cancelled at once.
    let err = w
        .app
        .cancel_series(&w.admin, series[9].id, " ")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Validation(_)));
    assert_eq!(
        w.app
            .cancel_series(&w.admin, series[9].id, "stopping treatment")
            .await
            .unwrap(),
        15
    );
    let kept = w.app.appointment(&w.admin, series[8].id).await.unwrap();
    assert_eq!(kept.status, VisitStatus::Booked);
    let gone = w.app.appointment(&w.admin, series[23].id).await.unwrap();
    assert_eq!(gone.status, VisitStatus::Cancelled);
    let err = crate::book_series(&w.app, &w.admin, &req, "someday", 8)
        .await
        .unwrap_err();
    assert!(validation(&err).contains("not a weekday"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_offers_the_slot_to_the_waitlist_and_the_offer_books() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let p = provider(&w, "Dr. Okafor", main, None).await;
    let kind = w
        .app
        .create_appointment_type(&w.admin, "Skin check", 30)
        .await
        .unwrap();
    let first = patient(&w, "First", None).await;
    let waiting = patient(&w, "Waiting", Some("waiting@example.com")).await;
    let too_late = patient(&w, "Later", Some("later@example.com")).await;
    let a = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            provider_id: p.id.to_string(),
            patient_id: first,
            location_id: main.to_string(),
            appointment_type_id: kind.id.to_string(),
            date: MONDAY.into(),
            time: "09:00".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // One wants any day in June of next month only; the other only later.
    let later = crate::add_to_waitlist(
        &w.app,
        &w.admin,
        &WaitlistRequest {
            patient_id: too_late,
            appointment_type_id: kind.id.to_string(),
            earliest_date: "2027-07-01".into(),
            latest_date: "2027-07-31".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let entry = crate::add_to_waitlist(
        &w.app,
        &w.admin,
        &WaitlistRequest {
            patient_id: waiting,
            appointment_type_id: kind.id.to_string(),
            provider_id: Some(p.id.to_string()),
            earliest_date: "2027-06-01".into(),
            latest_date: "2027-06-30".into(),
            note: "prefers mornings".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let err = crate::add_to_waitlist(
        &w.app,
        &w.admin,
        &WaitlistRequest {
            patient_id: "nope".into(),
            appointment_type_id: kind.id.to_string(),
            earliest_date: "2027-06-30".into(),
            latest_date: "2027-06-01".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, AppError::Validation(v) if v.errors.len() == 2),
        "{err}"
    );
    w.app
        .set_visit_status(
            &w.admin,
            a.id,
            VisitStatus::Cancelled,
            Some("patient is travelling"),
        )
        .await
        .unwrap();
    let lines = w.app.waitlist(&w.admin).await.unwrap();
    let offered = lines.iter().find(|l| l.entry.id == entry.id).unwrap();
    assert_eq!(offered.entry.status, WaitlistStatus::Offered);
    assert_eq!(offered.entry.offer.as_ref().unwrap().starts_at, a.starts_at);
    let untouched = lines.iter().find(|l| l.entry.id == later.id).unwrap();
    assert_eq!(
        untouched.entry.status,
        WaitlistStatus::Waiting,
        "July does not suit a June slot"
    );
    let mut tx = w.app.store().read().await.unwrap();
    let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
    drop(tx);
    assert_eq!(
        queued,
        [(
            "waiting@example.com".to_string(),
            "An earlier appointment is available".to_string()
        )]
    );
    let booked = w.app.accept_offer(&w.admin, entry.id).await.unwrap();
    assert_eq!(booked.starts_at, a.starts_at);
    let lines = w.app.waitlist(&w.admin).await.unwrap();
    assert!(
        lines.iter().all(|l| l.entry.id != entry.id),
        "the entry is closed"
    );
    let err = w.app.accept_offer(&w.admin, later.id).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)));
    w.app
        .remove_from_waitlist(&w.admin, later.id)
        .await
        .unwrap();
    assert!(w.app.waitlist(&w.admin).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recalls_make_a_due_list_and_a_notice_never_names_the_condition() {
    let w = world().await;
    location(&w, "Main").await;
    let types = w.app.install_default_recall_types(&w.admin).await.unwrap();
    assert_eq!(types.len(), 7);
    assert_eq!(
        w.app
            .install_default_recall_types(&w.admin)
            .await
            .unwrap()
            .len(),
        7,
        "idempotent"
    );
    let glaucoma = types
        .iter()
        .find(|t| t.name.starts_with("Glaucoma"))
        .unwrap();
    let skin = types
        .iter()
        .find(|t| t.name == "Full-skin check (12-month)")
        .unwrap();
    let emailed = patient(&w, "Emailed", Some("due@example.com"))
        .await
        .parse()
        .unwrap();
    let phoned = patient(&w, "Phoned", None).await.parse().unwrap();
    let recall = |patient: &PatientId, kind: &RecallTypeId, due: &str| {
        RecallInput::parse(RecallRequest {
            patient_id: patient.to_string(),
            recall_type_id: kind.to_string(),
            due_date: due.into(),
        })
    };
    // The test clock is 2026-05-28 in New York.
    let g = w
        .app
        .add_recall(&w.admin, &recall(&emailed, &glaucoma.id, "").unwrap())
        .await
        .unwrap();
    assert_eq!(
        g.due_date.to_string(),
        "2026-08-28",
        "three months from today"
    );
    let s = w
        .app
        .add_recall(&w.admin, &recall(&phoned, &skin.id, "2026-06-15").unwrap())
        .await
        .unwrap();
    let err = recall(&phoned, &skin.id, "15/06/2026").unwrap_err();
    assert_eq!(err.errors[0].field, "due_date", "{err}");
    let june = Date::new(2026, 6, 30).unwrap();
    let due = w.app.due_recalls(&w.admin, june, None).await.unwrap();
    assert_eq!(due.iter().map(|d| d.recall.id).collect::<Vec<_>>(), [s.id]);
    let autumn = Date::new(2026, 9, 30).unwrap();
    let due = w.app.due_recalls(&w.admin, autumn, None).await.unwrap();
    assert_eq!(due.len(), 2);
    let only = w
        .app
        .due_recalls(&w.admin, autumn, Some(glaucoma.id))
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    // Notices go to whoever chose a written channel; the other waits for a call.
    assert_eq!(
        w.app.send_recall_notices(&w.admin, autumn).await.unwrap(),
        1
    );
    assert_eq!(
        w.app.send_recall_notices(&w.admin, autumn).await.unwrap(),
        0,
        "once"
    );
    let mut tx = w.app.store().read().await.unwrap();
    let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
    drop(tx);
    assert_eq!(
        queued,
        [(
            "due@example.com".to_string(),
            "Time to book your visit".to_string()
        )]
    );
    let bodies = {
        let mut tx = w.app.store().write().await.unwrap();
        let m = kerato_store::outbox::claim_next(&mut tx, "email", w.clock.now(), 1)
            .await
            .unwrap()
            .unwrap();
        m.body
    };
    assert!(!bodies.to_lowercase().contains("glaucoma"), "{bodies}");
    let r = w
        .app
        .record_recall_outreach(&w.admin, s.id, Outreach::LeftVoicemail)
        .await
        .unwrap();
    assert_eq!(
        (r.outreach.as_str(), r.outreach_attempts),
        ("left_voicemail", 1)
    );
    assert!(
        w.app
            .record_recall_outreach(&w.admin, s.id, Outreach::None)
            .await
            .is_err()
    );
    // What a form sends is read once, and an unknown outcome never gets that far.
    assert!(
        Outreach::parse(OutreachRequest {
            outcome: "shouted".into()
        })
        .is_err()
    );
    let next = w
        .app
        .complete_recall(&w.admin, s.id, Date::new(2026, 6, 20).unwrap())
        .await
        .unwrap();
    assert_eq!(next.due_date.to_string(), "2027-06-20");
    let due = w.app.due_recalls(&w.admin, autumn, None).await.unwrap();
    assert!(
        due.iter().all(|d| d.recall.id != s.id),
        "done recalls leave the list"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minor_has_a_guarantor_who_is_someone_else() {
    use kerato_domain::guarantors::{Guarantor, GuarantorInput, Relationship};
    use kerato_domain::input::ParseInput;
    let w = world().await;
    let child = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Kid".into(),
                    legal_last_name: "Young".into(),
                    date_of_birth: "2015-04-01".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    assert_eq!(w.app.guarantor(&w.admin, child).await.unwrap(), None);
    let err = w
        .app
        .set_guarantor(
            &w.admin,
            child,
            &Guarantor::parse(GuarantorInput {
                relationship: "self".into(),
                ..Default::default()
            })
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        validation(&err).starts_with("relationship: the patient is under 18"),
        "{err}"
    );
    assert_eq!(
        w.app.guarantor(&w.admin, child).await.unwrap(),
        None,
        "nothing written"
    );
    let parent = GuarantorInput {
        relationship: "parent".into(),
        name: "Pat Young".into(),
        phone: "217-555-0199".into(),
        address: "4 Oak Ave, Albany, NY 12207".into(),
    };
    let parent = Guarantor::parse(parent).unwrap();
    w.app.set_guarantor(&w.admin, child, &parent).await.unwrap();
    match w.app.guarantor(&w.admin, child).await.unwrap() {
        Some(Guarantor::Other {
            relationship,
            name,
            phone,
            ..
        }) => {
            assert_eq!(
                (relationship, name.as_str(), phone.e164()),
                (Relationship::Parent, "Pat Young", "+12175550199")
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Bookings that arrive together are committed together on SQLite: a
/// refused one undoes only itself, and each kept one is audited once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bookings_keep_the_good_and_refuse_the_clashes() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let p = provider(&w, "Dr. Busy", main, None).await;
    let kind = w
        .app
        .create_appointment_type(&w.admin, "Skin check", 30)
        .await
        .unwrap();
    let pat = patient(&w, "Batch", None).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        // Twenty slots, each asked for twice.
        let minutes = 8 * 60 + (i % 20) * 10;
        let req = BookingRequest {
            provider_id: p.id.to_string(),
            patient_id: pat.clone(),
            location_id: main.to_string(),
            appointment_type_id: kind.id.to_string(),
            date: MONDAY.into(),
            time: format!("{:02}:{:02}", minutes / 60, minutes % 60),
            duration_minutes: Some(10),
            ..Default::default()
        };
        let (app, admin) = (w.app.clone(), w.admin.clone());
        tasks.push(tokio::spawn(async move {
            crate::book(&app, &admin, &req).await
        }));
    }
    let (mut booked, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => booked += 1,
            Err(AppError::Conflict(m)) => {
                assert!(m.contains("already booked"), "{m}");
                refused += 1;
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!((booked, refused), (20, 20));
    assert_eq!(appointments(&w).await, 20);
    let mut tx = w.app.store().read().await.unwrap();
    let created = kerato_store::audit::events_after(&mut tx, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.category == "appointment" && e.event.action.as_str() == "create")
        .count();
    assert_eq!(
        created, 20,
        "one audit event per kept booking, none for the refused"
    );
}

async fn reference_version(w: &World) -> i64 {
    let mut tx = w.app.store().read().await.unwrap();
    kerato_store::scheduling::reference_version(&mut tx)
        .await
        .unwrap()
}

/// Bookings keep the set-up in memory between them; a change to it must
/// still apply to the very next booking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_up_change_applies_to_the_next_booking() {
    let w = world().await;
    let main = location(&w, "Main").await;
    let p = provider(&w, "Dr. Okafor", main, None).await;
    let kind = w
        .app
        .create_appointment_type(&w.admin, "Skin check", 30)
        .await
        .unwrap();
    let pat = patient(&w, "Setup", None).await;
    let req = BookingRequest {
        provider_id: p.id.to_string(),
        patient_id: pat,
        location_id: main.to_string(),
        appointment_type_id: kind.id.to_string(),
        date: MONDAY.into(),
        time: "08:00".into(),
        ..Default::default()
    };
    let before = reference_version(&w).await;
    crate::book(&w.app, &w.admin, &req).await.unwrap();
    assert_eq!(
        reference_version(&w).await,
        before,
        "a booking (and its provider lock) is not a set-up change"
    );
    // A break added after the first booking closes its hour at once.
    w.app
        .add_break(
            &w.admin,
            p.id,
            Break {
                weekday: Weekday::Monday,
                start: at(10, 0),
                end: at(11, 0),
                label: "Team huddle".into(),
            },
        )
        .await
        .unwrap();
    assert!(reference_version(&w).await > before);
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            time: "10:00".into(),
            ..req.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        validation(&err),
        "time: Dr. Okafor is not available then (Team huddle)"
    );
    // An afternoon window added now opens its hour at once.
    let outside = BookingRequest {
        time: "13:00".into(),
        ..req.clone()
    };
    let err = crate::book(&w.app, &w.admin, &outside).await.unwrap_err();
    assert!(validation(&err).contains("does not see patients"), "{err}");
    w.app
        .add_hours(
            &w.admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(HoursInput {
                location_id: main.to_string(),
                effective_from: "2000-01-03".into(),
                effective_until: None,
                repeats: None,
                days: vec![DayHoursInput {
                    weekday: "monday".into(),
                    start: "13:00".into(),
                    end: "14:00".into(),
                    overbook: false,
                }],
            })
            .unwrap(),
        )
        .await
        .unwrap();
    crate::book(&w.app, &w.admin, &outside).await.unwrap();
    // A second location for the provider is bookable at once too.
    let annex = location(&w, "Annex").await;
    let err = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            location_id: annex.to_string(),
            time: "09:00".into(),
            ..req.clone()
        },
    )
    .await
    .unwrap_err();
    assert!(validation(&err).contains("does not work at Annex"), "{err}");
    assert_eq!(appointments(&w).await, 2);
}
