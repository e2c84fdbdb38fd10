//! The behaviour every backend must show. Run twice in CI: SQLite, then PostgreSQL.

use kerato_store::testing::TestDb;
use kerato_store::{StoreError, meta, tenancy};

use crate::{location, now, organisation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_and_locations_round_trip() {
    let db = TestDb::new().await;
    let org = organisation("Zoë Müller-O'Neil Eye & Skin");
    let loc = location(&org, "Downtown — 2nd floor");
    let mut tx = db.store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &org).await.unwrap();
    tenancy::insert_location(&mut tx, &loc).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    assert_eq!(
        tenancy::list_organisations(&mut tx).await.unwrap(),
        vec![org.clone()]
    );
    assert_eq!(
        tenancy::get_organisation(&mut tx, org.id).await.unwrap(),
        Some(org.clone())
    );
    assert_eq!(
        tenancy::list_locations(&mut tx, org.id).await.unwrap(),
        vec![loc.clone()]
    );
    assert_eq!(
        tenancy::get_location(&mut tx, org.id, loc.id)
            .await
            .unwrap(),
        Some(loc)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_of_another_organisation_reads_as_missing() {
    let db = TestDb::new().await;
    let (a, b) = (organisation("A"), organisation("B"));
    let loc = location(&a, "Main");
    let mut tx = db.store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &a).await.unwrap();
    tenancy::insert_organisation(&mut tx, &b).await.unwrap();
    tenancy::insert_location(&mut tx, &loc).await.unwrap();
    assert_eq!(
        tenancy::get_location(&mut tx, b.id, loc.id).await.unwrap(),
        None
    );
    assert!(
        tenancy::list_locations(&mut tx, b.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn location_names_are_unique_per_organisation_ignoring_case() {
    let db = TestDb::new().await;
    let (a, b) = (organisation("A"), organisation("B"));
    let mut tx = db.store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &a).await.unwrap();
    tenancy::insert_organisation(&mut tx, &b).await.unwrap();
    tenancy::insert_location(&mut tx, &location(&a, "North"))
        .await
        .unwrap();
    tenancy::insert_location(&mut tx, &location(&b, "North"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    let err = tenancy::insert_location(&mut tx, &location(&a, "NORTH"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("already exists")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_are_refused_when_someone_else_changed_the_row() {
    let db = TestDb::new().await;
    let org = organisation("A");
    let loc = location(&org, "Main");
    let mut tx = db.store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &org).await.unwrap();
    tenancy::insert_location(&mut tx, &loc).await.unwrap();
    let first = loc.updated(
        crate::location(&org, "First")
            .to_input()
            .validate()
            .unwrap(),
        now(),
    );
    let second = loc.updated(
        crate::location(&org, "Second")
            .to_input()
            .validate()
            .unwrap(),
        now(),
    );
    assert!(tenancy::update_location(&mut tx, &first).await.unwrap());
    assert!(
        !tenancy::update_location(&mut tx, &second).await.unwrap(),
        "stale version applied"
    );
    let stored = tenancy::get_location(&mut tx, org.id, loc.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.name.as_str(), stored.version), ("First", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transaction_leaves_nothing_behind() {
    let db = TestDb::new().await;
    let org = organisation("Gone");
    {
        let mut tx = db.store.write().await.unwrap();
        tenancy::insert_organisation(&mut tx, &org).await.unwrap();
        tenancy::insert_location(&mut tx, &location(&org, "Gone too"))
            .await
            .unwrap();
    }
    let mut tx = db.store.read().await.unwrap();
    assert!(
        tenancy::list_organisations(&mut tx)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(tenancy::count_locations(&mut tx).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_needs_an_existing_organisation() {
    let db = TestDb::new().await;
    let ghost = organisation("never stored");
    let mut tx = db.store.write().await.unwrap();
    let err = tenancy::insert_location(&mut tx, &location(&ghost, "Orphan")).await;
    assert!(err.is_err(), "foreign key not enforced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_values_are_upserted() {
    let db = TestDb::new().await;
    let mut tx = db.store.write().await.unwrap();
    assert_eq!(meta::get(&mut tx, "install_id").await.unwrap(), None);
    meta::set(&mut tx, "install_id", "one", now())
        .await
        .unwrap();
    meta::set(&mut tx, "install_id", "two", now())
        .await
        .unwrap();
    assert_eq!(
        meta::get(&mut tx, "install_id").await.unwrap().as_deref(),
        Some("two")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_all_commit() {
    let db = TestDb::new().await;
    let org = organisation("Busy");
    let mut tx = db.store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &org).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = db.store.clone();
        let loc = location(&org, &format!("Lane {i}"));
        tasks.push(tokio::spawn(async move {
            let mut tx = store.write().await?;
            tenancy::insert_location(&mut tx, &loc).await?;
            tx.commit().await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut tx = db.store.read().await.unwrap();
    assert_eq!(tenancy::count_locations(&mut tx).await.unwrap(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_database_passes_the_integrity_check() {
    let db = TestDb::new().await;
    assert_eq!(
        db.store.integrity_check().await.unwrap(),
        Vec::<String>::new()
    );
}

fn audit_event(task: usize, n: usize) -> kerato_domain::audit::NewAuditEvent {
    use kerato_domain::audit::{AuditAction, NewAuditEvent, Outcome};
    NewAuditEvent {
        id: format!("ev-{task}-{n}"),
        at: now(),
        organisation_id: None,
        user_id: Some(format!("user-{task}")),
        patient_id: None,
        action: AuditAction::Create,
        resource: "appointment".into(),
        resource_id: Some(format!("a-{task}-{n}")),
        category: "schedule".into(),
        old_value: None,
        new_value: None,
        source_ip: None,
        outcome: Outcome::Allowed,
        emergency: false,
        detail: None,
    }
}

/// Transactions appending several events each, side by side, some rolled
/// back: the chain stays whole and the head (moved by trigger) names its
/// last event, on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_multi_event_appends_keep_one_chain() {
    use kerato_store::audit;
    let db = TestDb::new().await;
    let mut tasks = Vec::new();
    for task in 0..12 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.write().await?;
            for n in 0..3 {
                audit::append(&mut tx, audit_event(task, n)).await?;
            }
            if task % 4 == 3 {
                drop(tx); // rolled back: its three events never happened
                Ok(())
            } else {
                tx.commit().await
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut tx = db.store.read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 1000).await.unwrap();
    let (seq, hash) = audit::head(&mut tx).await.unwrap();
    assert_eq!(events.len(), 27, "nine transactions of three committed");
    assert_eq!(
        kerato_domain::audit::verify_chain(&events, seq, &hash),
        Ok(27)
    );
    for t in [3, 7, 11] {
        assert!(
            events
                .iter()
                .all(|e| e.event.user_id.as_deref() != Some(&format!("user-{t}")))
        );
    }
}
