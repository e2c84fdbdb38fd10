//! The closed-loop biopsy log with a simulated clock: each overdue alert
//! is sent once, escalates to the administrators when it stands, stops
//! when the step is done, and the loop cannot close without a review and
//! a recorded notification.

use kerato_app::AppError;
use kerato_domain::biopsies::{
    BiopsyOrder, BiopsyState, BiopsyStep, Diagnosis, NotifyChannel, SpecimenMethod,
};
use kerato_domain::identity::Role;
use kerato_domain::patients::PatientInput;
use kerato_domain::time::Timestamp;

use crate::world;

fn at(text: &str) -> Timestamp {
    Timestamp::from_jiff(text.parse::<jiff::ZonedDateTime>().unwrap().timestamp())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreviewed_malignant_result_alerts_once_escalates_and_the_loop_closes() {
    let w = world().await;
    let app = &w.app;
    let loc = app
        .create_location(
            &w.admin,
            &crate::location_input("Skin Center").validate().unwrap(),
        )
        .await
        .unwrap();
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    let patient = app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Rosa".into(),
                    legal_last_name: "Quintero".into(),
                    date_of_birth: "1961-04-02".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    w.clock
        .set(at("2027-09-01T10:00:00-04:00[America/New_York]"));
    let b = app
        .order_biopsy(
            &derm,
            patient.id,
            &BiopsyOrder {
                location: loc.id,
                site: "left cheek".into(),
                method: SpecimenMethod::Punch,
            },
        )
        .await
        .unwrap();
    let b = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(b.version, BiopsyStep::Send),
        )
        .await
        .unwrap();
    // Friday 16:00 before Labor Day: two business days end Wednesday 16:00.
    w.clock
        .set(at("2027-09-03T16:00:00-04:00[America/New_York]"));
    let b = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(
                b.version,
                BiopsyStep::Result {
                    diagnosis: Diagnosis::Malignant,
                    text: "Basal cell carcinoma, nodular".into(),
                    received: None,
                },
            ),
        )
        .await
        .unwrap();
    let inbox = |user| async move {
        let mut tx = app.store().read().await.unwrap();
        kerato_store::identity::inbox(&mut tx, user).await.unwrap()
    };
    w.clock
        .set(at("2027-09-08T15:59:00-04:00[America/New_York]"));
    assert_eq!(app.send_biopsy_alerts().await.unwrap(), 0, "not due yet");
    let queue = app.biopsy_queue(&derm).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!(!queue[0].overdue);
    assert_eq!(
        queue[0].timer.map(|t| t.1),
        Some(at("2027-09-08T16:00:00-04:00[America/New_York]"))
    );
    w.clock
        .set(at("2027-09-08T16:00:00-04:00[America/New_York]"));
    assert_eq!(app.send_biopsy_alerts().await.unwrap(), 1);
    assert_eq!(app.send_biopsy_alerts().await.unwrap(), 0, "sent once");
    let messages = inbox(derm.actor.user_id).await;
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]
            .0
            .contains("malignant result has not been reviewed")
    );
    assert!(
        !messages[0].1.contains("Quintero"),
        "no patient name in the alert"
    );
    assert!(
        inbox(w.admin.actor.user_id).await.is_empty(),
        "not escalated yet"
    );
    assert!(app.biopsy_queue(&derm).await.unwrap()[0].overdue);
    // Still unreviewed two business days later: the administrators hear.
    w.clock
        .set(at("2027-09-10T16:00:00-04:00[America/New_York]"));
    assert_eq!(app.send_biopsy_alerts().await.unwrap(), 1);
    assert_eq!(inbox(w.admin.actor.user_id).await.len(), 1);
    // The review stops the timer; closing needs the notification first.
    let b = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(b.version, BiopsyStep::Review),
        )
        .await
        .unwrap();
    assert_eq!(app.send_biopsy_alerts().await.unwrap(), 0);
    let err = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(b.version, BiopsyStep::Close),
        )
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("record the patient notification before closing"),
        "{err}"
    );
    let err = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(b.version - 1, BiopsyStep::Plan { text: "x".into() }),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(_) | AppError::Conflict(_)),
        "{err:?}"
    );
    let b = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(
                b.version,
                BiopsyStep::Notify {
                    how: NotifyChannel::Phone,
                },
            ),
        )
        .await
        .unwrap();
    let b = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(
                b.version,
                BiopsyStep::Plan {
                    text: "Mohs surgery referral".into(),
                },
            ),
        )
        .await
        .unwrap();
    let b = app
        .record_biopsy_step(
            &derm,
            b.id,
            &crate::biopsy_step(b.version, BiopsyStep::Close),
        )
        .await
        .unwrap();
    assert_eq!(b.state(), BiopsyState::Closed);
    assert!(app.biopsy_queue(&derm).await.unwrap().is_empty());
    // Billing sees no pathology.
    let billing = w.user("billing@capital.example", Role::Billing, &[]).await;
    let billing = app.unsafe_caller_for(billing.id).await.unwrap();
    assert!(matches!(
        app.biopsy_queue(&billing).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
}
