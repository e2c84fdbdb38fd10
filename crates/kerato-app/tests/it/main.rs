//! Use-case tests, on the backend the run selects.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use kerato_app::demo::{self, Seeded};
use kerato_app::{App, AppError};
use kerato_domain::tenancy::{LocationInput, OrganisationKind};
use kerato_domain::time::{Clock, TestClock, Timestamp};
use kerato_store::testing::TestDb;

async fn app() -> (App, Arc<TestClock>, TestDb) {
    let db = TestDb::new().await;
    let clock = Arc::new(TestClock::new(Timestamp::from_micros(
        1_780_000_000_000_000,
    )));
    (App::new(db.store.clone(), clock.clone()), clock, db)
}

fn input(name: &str) -> LocationInput {
    LocationInput {
        name: name.into(),
        time_zone: "America/New_York".into(),
        address_line1: "9 Elm St".into(),
        address_line2: None,
        city: "Albany".into(),
        state: "NY".into(),
        zip: "12207".into(),
        specialties: vec!["dermatology".into()],
    }
}

#[tokio::test]
async fn locations_are_created_listed_and_updated_with_the_clock_time() {
    let (app, clock, _db) = app().await;
    let org = app
        .create_organisation("Capital Derm", OrganisationKind::Practice)
        .await
        .unwrap();
    let loc = app.create_location(org.id, &input("Albany")).await.unwrap();
    assert_eq!(loc.created_at, clock.now());
    clock.advance_secs(60);
    let edited = app
        .update_location(org.id, loc.id, 1, &input("Albany Central"))
        .await
        .unwrap();
    assert_eq!((edited.version, edited.updated_at), (2, clock.now()));
    assert_eq!(
        app.list_locations(org.id).await.unwrap(),
        vec![edited.clone()]
    );
    assert_eq!(app.get_location(org.id, loc.id).await.unwrap(), edited);
}

#[tokio::test]
async fn a_stale_edit_is_a_conflict_and_changes_nothing() {
    let (app, _clock, _db) = app().await;
    let org = app
        .create_organisation("Capital Derm", OrganisationKind::Group)
        .await
        .unwrap();
    let loc = app.create_location(org.id, &input("Albany")).await.unwrap();
    app.update_location(org.id, loc.id, 1, &input("First"))
        .await
        .unwrap();
    let err = app
        .update_location(org.id, loc.id, 1, &input("Second"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("reload")),
        "{err}"
    );
    assert_eq!(
        app.get_location(org.id, loc.id).await.unwrap().name,
        "First"
    );
}

#[tokio::test]
async fn invalid_input_writes_nothing() {
    let (app, _clock, _db) = app().await;
    let org = app
        .create_organisation("Capital Derm", OrganisationKind::Practice)
        .await
        .unwrap();
    let bad = LocationInput {
        time_zone: "Nowhere/Atlantis".into(),
        ..input("X")
    };
    let err = app.create_location(org.id, &bad).await.unwrap_err();
    let AppError::Validation(errors) = err else {
        panic!("{err}")
    };
    assert!(errors.for_field("time_zone").is_some());
    assert!(app.list_locations(org.id).await.unwrap().is_empty());
    assert!(matches!(
        app.create_organisation("  ", OrganisationKind::Practice)
            .await,
        Err(AppError::Validation(_))
    ));
    assert_eq!(app.list_organisations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn renaming_an_organisation_is_validated() {
    let (app, _clock, _db) = app().await;
    let org = app
        .create_organisation("Old", OrganisationKind::Practice)
        .await
        .unwrap();
    assert_eq!(
        app.rename_organisation(org.id, "New").await.unwrap().name,
        "New"
    );
    assert!(
        app.rename_organisation(org.id, &"n".repeat(500))
            .await
            .is_err()
    );
    assert_eq!(app.home_organisation().await.unwrap().name, "New");
}

#[tokio::test]
async fn the_demo_seed_runs_once() {
    let (app, _clock, _db) = app().await;
    let Seeded::Created(org) = demo::seed(&app).await.unwrap() else {
        panic!("not created")
    };
    assert_eq!(app.list_locations(org.id).await.unwrap().len(), 2);
    assert_eq!(demo::seed(&app).await.unwrap(), Seeded::Reused(org.clone()));
    assert_eq!(app.list_organisations().await.unwrap().len(), 1);
    assert_eq!(app.list_locations(org.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn ready_reports_a_schema_behind_the_binary() {
    let db = TestDb::empty().await;
    db.store
        .migrate_to(1, Timestamp::from_micros(0))
        .await
        .unwrap();
    let app = App::new(
        db.store.clone(),
        Arc::new(TestClock::new(Timestamp::from_micros(0))),
    );
    let err = app.ready().await.unwrap_err();
    assert!(err.to_string().contains("kerato migrate"), "{err}");
}
