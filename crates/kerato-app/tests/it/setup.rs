//! The first-run set-up, step by step through the use cases: it resumes
//! where the practice stands, its defaults are added once, and a test
//! message goes out through the settings saved.

use std::collections::BTreeSet;

use kerato_app::AppError;
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::policy::{PolicyInput, PolicyKind};
use kerato_domain::providers::ProviderInput;
use kerato_domain::providers::hours::HoursInput;
use kerato_domain::scheduling::BookingRequest;
use kerato_domain::setup::{
    Channel, MessagingInput, MessagingSettings, OpeningHoursInput, OpeningWeek, OpeningWeekInput,
    SetupStep, StepState, TestMessage,
};
use kerato_domain::tenancy::Specialty;
use kerato_http::testing::smtp_sink;

use crate::world;

fn states(p: &kerato_app::setup::SetupProgress) -> Vec<(SetupStep, StepState)> {
    p.steps.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_set_up_resumes_at_each_step_until_the_first_appointment() {
    let w = world().await;
    let progress = w.app.setup_progress(&w.admin).await.unwrap();
    assert_eq!(progress.next, Some(SetupStep::Practice));
    assert!(states(&progress).iter().all(|(_, s)| *s == StepState::Todo));

    // Practice: a location is not enough without its opening hours.
    let main = w
        .app
        .create_location(&w.admin, &crate::location_input("Main").validate().unwrap())
        .await
        .unwrap();
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::Practice)
    );
    let bad = OpeningWeek::parse(OpeningWeekInput {
        days: vec![OpeningHoursInput {
            weekday: "monday".into(),
            opens: "17:00".into(),
            closes: "08:00".into(),
        }],
    })
    .unwrap_err();
    assert!(bad.for_field("days[0].closes").is_some(), "{bad:?}");
    let week: Vec<OpeningHoursInput> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| OpeningHoursInput {
            weekday: (*d).into(),
            opens: "08:00".into(),
            closes: "17:00".into(),
        })
        .collect();
    w.app
        .set_opening_hours(
            &w.admin,
            main.id,
            &OpeningWeek::parse(OpeningWeekInput { days: week }).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        w.app.opening_hours(&w.admin, main.id).await.unwrap().len(),
        5
    );
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::Specialties)
    );

    // Specialties: the location is dermatology's, so its rooms come with
    // the visit types; a second run adds nothing.
    let derm = BTreeSet::from([Specialty::Dermatology]);
    let added = w
        .app
        .install_specialty_defaults(&w.admin, &derm)
        .await
        .unwrap();
    assert_eq!(
        (added.visit_types, added.resources, added.recall_types),
        (5, 4, 3)
    );
    let again = w
        .app
        .install_specialty_defaults(&w.admin, &derm)
        .await
        .unwrap();
    assert_eq!(
        (again.visit_types, again.resources, again.recall_types),
        (0, 0, 0)
    );
    // Eye care adds its visit types and recalls, but no room at a location
    // that does not practise it.
    let eyes = w
        .app
        .install_specialty_defaults(&w.admin, &BTreeSet::from([Specialty::EyeCare]))
        .await
        .unwrap();
    assert_eq!(
        (eyes.visit_types, eyes.resources, eyes.recall_types),
        (6, 0, 4)
    );
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::Providers)
    );

    // Providers: bookable once they have working hours.
    let p = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput {
                specialties: vec!["dermatology".into()],
                ..ProviderInput::new("Ada Okafor", &[main.id])
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::Providers)
    );
    w.app
        .add_hours(
            &w.admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(HoursInput::weekdays(
                main.id,
                jiff::civil::date(2026, 5, 25),
                "08:00",
                "17:00",
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::Staff)
    );

    // Staff may wait; the privacy notice may not.
    w.app
        .skip_setup_step(&w.admin, SetupStep::Staff)
        .await
        .unwrap();
    let refused = w
        .app
        .skip_setup_step(&w.admin, SetupStep::PrivacyNotice)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Validation(_)));
    let progress = w.app.setup_progress(&w.admin).await.unwrap();
    assert_eq!(progress.steps[3], (SetupStep::Staff, StepState::Skipped));
    assert_eq!(progress.next, Some(SetupStep::PrivacyNotice));
    let notice = PolicyInput {
        kind: PolicyKind::NoticeOfPrivacyPractices,
        effective_on: jiff::civil::date(2026, 5, 28),
        material: false,
        summary: "The practice's first notice.".into(),
        body: kerato_domain::setup::notice_of_privacy_practices(
            "Capital Derm",
            "9 Elm St, Albany, NY 12207",
            "(518) 555-0100",
            jiff::civil::date(2026, 5, 28),
        ),
    };
    w.app.publish_first_notice(&w.admin, &notice).await.unwrap();
    let second = w
        .app
        .publish_first_notice(&w.admin, &notice)
        .await
        .unwrap_err();
    assert!(matches!(second, AppError::Conflict(_)), "{second:?}");
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::Messaging)
    );
    w.app
        .skip_setup_step(&w.admin, SetupStep::Messaging)
        .await
        .unwrap();

    // The first appointment completes it.
    assert_eq!(
        w.app.setup_progress(&w.admin).await.unwrap().next,
        Some(SetupStep::FirstAppointment)
    );
    let patient = w.patient("Ria", "Shah", "1990-03-03").await;
    let (_, types) = w.app.booking_choices(&w.admin).await.unwrap();
    let skin = types.iter().find(|t| t.name == "Full-skin check").unwrap();
    crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            provider_id: p.id.to_string(),
            patient_id: patient.to_string(),
            location_id: main.id.to_string(),
            appointment_type_id: skin.id.to_string(),
            date: "2026-06-01".into(),
            time: "09:00".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(w.app.setup_progress(&w.admin).await.unwrap().next, None);

    // The set-up is the administrator's.
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = w.app.unsafe_caller_for(desk.id).await.unwrap();
    assert!(matches!(
        w.app.setup_progress(&desk).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messaging_settings_are_checked_saved_and_tested_with_a_real_message() {
    let w = world().await;
    let (url, inbox) = smtp_sink().await;
    // Nothing set: a test says why it cannot go, and is recorded.
    let status = w
        .app
        .send_test_message(
            &w.admin,
            &TestMessage {
                channel: Channel::Email,
                to: "olive@capital.example".into(),
            },
        )
        .await
        .unwrap();
    assert!(!status.test_passed);
    assert!(status.test_error.unwrap().contains("no SMTP server is set"));

    let bad = w
        .app
        .save_messaging(
            &w.admin,
            &MessagingSettings::parse(MessagingInput {
                smtp_url: Some("smtpx://nowhere".into()),
                from_address: "not an address".into(),
                sms_gateway_url: Some("http://sms.example.com/send".into()),
                sms_token: None,
            })
            .unwrap(),
        )
        .await
        .unwrap_err();
    let AppError::Validation(errors) = bad else {
        panic!("{bad:?}")
    };
    for field in ["smtp_url", "from_address", "sms_token"] {
        assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
    }
    let plain = w
        .app
        .save_messaging(
            &w.admin,
            &MessagingSettings::parse(MessagingInput {
                smtp_url: None,
                from_address: "desk@capital.example".into(),
                sms_gateway_url: Some("http://sms.example.com/send".into()),
                sms_token: Some("secret-token".into()),
            })
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&plain, AppError::Validation(e) if e.for_field("sms_gateway_url").is_some_and(|m| m.contains("https://"))),
        "{plain:?}"
    );

    let saved = w
        .app
        .save_messaging(
            &w.admin,
            &MessagingSettings::parse(MessagingInput {
                smtp_url: Some(url.clone()),
                from_address: "Capital Derm <desk@capital.example>".into(),
                sms_gateway_url: None,
                sms_token: None,
            })
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(saved.smtp_server.as_deref(), Some(url.as_str()));
    assert!(!saved.test_passed, "a save clears the last test");
    let tested = w
        .app
        .send_test_message(
            &w.admin,
            &TestMessage {
                channel: Channel::Email,
                to: "olive@capital.example".into(),
            },
        )
        .await
        .unwrap();
    assert!(tested.test_passed, "{tested:?}");
    assert_eq!(tested.tested_channel, Some(Channel::Email));
    let got = inbox.lock().unwrap().join("\n");
    assert!(got.contains("olive@capital.example"), "{got}");
    assert!(
        got.contains("This is a test message from Kerato for Capital Derm"),
        "{got}"
    );
    let steps = w.app.setup_progress(&w.admin).await.unwrap().steps;
    assert!(steps.contains(&(SetupStep::Messaging, StepState::Done)));
    // The worker's channels are the saved ones.
    assert!(w.app.messaging_channels().await.unwrap().mailer.is_some());
}
