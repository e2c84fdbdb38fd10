use kerato_app::AppError;
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::tenancy::{LocationInput, OrganisationBody, OrganisationName};
use kerato_domain::time::Clock;
use kerato_store::{ClinicSchema, audit};

use crate::{location_input, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locations_are_created_listed_and_updated_with_the_clock_time() {
    let w = world().await;
    let loc = w
        .app
        .create_location(&w.admin, &location_input("Albany").validate().unwrap())
        .await
        .unwrap();
    assert_eq!(loc.created_at, w.clock.now());
    w.clock.advance_secs(60);
    let edited = w
        .app
        .update_location(
            &w.admin,
            loc.id,
            1,
            &location_input("Albany Central").validate().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!((edited.version, edited.updated_at), (2, w.clock.now()));
    assert_eq!(
        w.app.list_locations(&w.admin).await.unwrap(),
        vec![edited.clone()]
    );
    assert_eq!(w.app.get_location(&w.admin, loc.id).await.unwrap(), edited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_edit_is_a_conflict_and_changes_nothing() {
    let w = world().await;
    let loc = w
        .app
        .create_location(&w.admin, &location_input("Albany").validate().unwrap())
        .await
        .unwrap();
    w.app
        .update_location(
            &w.admin,
            loc.id,
            1,
            &location_input("First").validate().unwrap(),
        )
        .await
        .unwrap();
    let err = w
        .app
        .update_location(
            &w.admin,
            loc.id,
            1,
            &location_input("Second").validate().unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("reload")),
        "{err}"
    );
    assert_eq!(
        w.app.get_location(&w.admin, loc.id).await.unwrap().name,
        "First"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_writes_nothing() {
    let w = world().await;
    let bad = LocationInput {
        time_zone: "Nowhere/Atlantis".into(),
        ..location_input("X")
    };
    // The input is refused before any use case runs, so nothing is written.
    let errors = bad.validate().unwrap_err();
    assert!(errors.for_field("time_zone").is_some());
    assert!(w.app.list_locations(&w.admin).await.unwrap().is_empty());
    let blank = OrganisationName::parse(OrganisationBody { name: "  ".into() }).unwrap_err();
    assert!(blank.for_field("name").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_audited_with_old_and_new_values_in_the_same_transaction() {
    let w = world().await;
    let loc = w
        .app
        .create_location(&w.admin, &location_input("Albany").validate().unwrap())
        .await
        .unwrap();
    w.app
        .update_location(
            &w.admin,
            loc.id,
            1,
            &location_input("Albany Central").validate().unwrap(),
        )
        .await
        .unwrap();
    let mut tx = w.app.store().read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 100).await.unwrap();
    let update = events
        .iter()
        .find(|e| e.event.action.as_str() == "update" && e.event.resource == "location")
        .unwrap();
    assert!(
        update
            .event
            .old_value
            .as_deref()
            .unwrap()
            .contains("\"Albany\"")
    );
    assert!(
        update
            .event
            .new_value
            .as_deref()
            .unwrap()
            .contains("Albany Central")
    );
    assert_eq!(
        update.event.user_id.as_deref(),
        Some(w.admin_user.id.to_string().as_str())
    );

    // A write that fails after its audit event leaves neither behind.
    let before = audit::count(&mut tx).await.unwrap();
    drop(tx);
    let err = w
        .app
        .create_location(
            &w.admin,
            &location_input("albany central").validate().unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)));
    let mut tx = w.app.store().read().await.unwrap();
    assert_eq!(audit::count(&mut tx).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_attempt_is_audited_and_changes_nothing() {
    let w = world().await;
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = w.app.unsafe_caller_for(desk.id).await.unwrap();
    let err = w
        .app
        .create_location(&desk, &location_input("Sneaky").validate().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)), "{err}");
    assert!(w.app.list_locations(&w.admin).await.unwrap().is_empty());
    let mut tx = w.app.store().read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 100).await.unwrap();
    let denied = events.last().unwrap();
    assert_eq!(denied.event.outcome.as_str(), "denied");
    assert_eq!(denied.event.action.as_str(), "create");
    assert_eq!(denied.event.detail.as_deref(), Some("denied: role"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_reports_a_schema_behind_the_binary() {
    let db = kerato_store::testing::TestDb::empty().await;
    db.store
        .migrate_to(1, kerato_domain::time::Timestamp::from_micros(0))
        .await
        .unwrap();
    let app = kerato_app::App::new(
        db.store.clone(),
        std::sync::Arc::new(kerato_app::clock::SystemClock),
    );
    let err = app.ready().await.unwrap_err();
    assert!(err.to_string().contains("kerato migrate"), "{err}");
}
