//! The audit trail across migration 21, on the backend the run selects: an
//! event written before it keeps hash version 1 and verifies, new events
//! carry version 2, and the database lets through one change only, the
//! retention job's pseudonymisation of a version 2 event.

use kerato_domain::audit::{
    AuditAction, GENESIS_HASH, HASH_V1, HASH_V2, NewAuditEvent, Outcome, event_hash_v1,
    verify_chain,
};
use kerato_store::testing::TestDb;
use kerato_store::{ClinicSchema, audit};

use crate::now;

fn event(n: usize, patient: Option<&str>) -> NewAuditEvent {
    NewAuditEvent {
        id: format!("ev-{n}"),
        at: now(),
        organisation_id: Some("org".into()),
        user_id: Some("user".into()),
        patient_id: patient.map(str::to_string),
        action: AuditAction::Update,
        resource: "patient".into(),
        resource_id: Some(format!("r-{n}")),
        category: "demographics".into(),
        old_value: Some("{\"name\":\"Ada\"}".into()),
        new_value: Some("{\"name\":\"Ida\"}".into()),
        source_ip: Some("192.0.2.1".into()),
        outcome: Outcome::Allowed,
        emergency: false,
        detail: Some("front desk".into()),
    }
}

/// Runs one statement in its own transaction and returns the database's
/// error, if any.
async fn try_sql(db: &TestDb, sql: &'static str) -> Result<(), String> {
    let mut tx = db.store.write().await.unwrap();
    let result =
        kerato_store::on_tx!(&mut tx, c => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()));
    match result {
        Ok(()) => {
            tx.commit().await.unwrap();
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn verify(db: &TestDb) -> Result<i64, kerato_domain::audit::ChainError> {
    let mut tx = db.store.read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 1000).await.unwrap();
    let (seq, hash) = audit::head(&mut tx).await.unwrap();
    verify_chain(&events, seq, &hash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_pseudonymisation_of_a_version_2_event_is_allowed() {
    let db = TestDb::empty().await;
    db.store.migrate_to(20, now()).await.unwrap();
    // An event written by the schema before migration 21, with the hash
    // that schema's code gave it.
    let old = event(1, Some("pt-old"));
    let hash = event_hash_v1(1, &old, GENESIS_HASH);
    let mut tx = db.store.write().await.unwrap();
    kerato_store::on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO audit_events (seq, id, at, organisation_id, user_id, patient_id, action, \
         resource, resource_id, category, old_value, new_value, source_ip, outcome, emergency, \
         detail, prev_hash, hash) VALUES (1, $1, $2, 'org', 'user', 'pt-old', 'update', 'patient', \
         'r-1', 'demographics', $3, $4, '192.0.2.1', 'allowed', 0, 'front desk', $5, $6)"
    )
    .bind(&old.id)
    .bind(old.at.as_micros())
    .bind(&old.old_value)
    .bind(&old.new_value)
    .bind(GENESIS_HASH)
    .bind(&hash)
    .execute(&mut **c)
    .await
    .map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
    db.store.migrate(now()).await.unwrap();

    let mut tx = db.store.write().await.unwrap();
    for n in 2..=4 {
        audit::append(&mut tx, event(n, Some("pt-new")))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = db.store.read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 10).await.unwrap();
    drop(tx);
    assert_eq!(events[0].hash_version, HASH_V1);
    assert_eq!(events[0].subject_digest, None);
    assert!(events[1..].iter().all(|e| e.hash_version == HASH_V2
        && e.subject_digest.is_some()
        && e.pseudonymised_at.is_none()));
    assert_eq!(verify(&db).await, Ok(4));

    // The allowed change, through the store, once.
    let mut tx = db.store.write().await.unwrap();
    assert!(audit::pseudonymise(&mut tx, 2, now()).await.unwrap());
    assert!(
        !audit::pseudonymise(&mut tx, 2, now()).await.unwrap(),
        "once"
    );
    assert!(
        !audit::pseudonymise(&mut tx, 1, now()).await.unwrap(),
        "not version 1"
    );
    tx.commit().await.unwrap();
    // The same change by hand is allowed too: the guard is in the database.
    try_sql(
        &db,
        "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
         detail = NULL, pseudonymised_at = 5 WHERE seq = 3",
    )
    .await
    .unwrap();
    let mut tx = db.store.read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 10).await.unwrap();
    drop(tx);
    for e in &events[1..3] {
        assert!(e.pseudonymised_at.is_some());
        assert_eq!(e.event.patient_id, None);
        assert_eq!(e.event.old_value, None);
        assert_eq!(e.event.new_value, None);
        assert_eq!(e.event.detail, None);
        assert_eq!(
            e.event.resource_id.as_deref(),
            Some(&*format!("r-{}", e.seq))
        );
    }
    assert_eq!(verify(&db).await, Ok(4), "pseudonymised events verify");

    for sql in [
        // Any other change of a version 2 event.
        "UPDATE audit_events SET action = 'view' WHERE seq = 4",
        "UPDATE audit_events SET category = 'x' WHERE seq = 4",
        "UPDATE audit_events SET detail = NULL WHERE seq = 4",
        // The pseudonymisation with one more change, or one field left.
        "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
         detail = NULL, pseudonymised_at = 5, action = 'view' WHERE seq = 4",
        "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
         detail = NULL, pseudonymised_at = 5, subject_digest = 'x' WHERE seq = 4",
        "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
         detail = NULL, pseudonymised_at = 5, hash_version = 1 WHERE seq = 4",
        "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
         pseudonymised_at = 5 WHERE seq = 4",
        "UPDATE audit_events SET subject_digest = NULL WHERE seq = 4",
        // A pseudonymised event: un-nulled, re-dated, or its digest changed.
        "UPDATE audit_events SET patient_id = 'pt-new' WHERE seq = 2",
        "UPDATE audit_events SET pseudonymised_at = NULL WHERE seq = 2",
        "UPDATE audit_events SET pseudonymised_at = 6 WHERE seq = 2",
        "UPDATE audit_events SET subject_digest = 'x' WHERE seq = 2",
        // A version 1 event, even in the shape of a pseudonymisation.
        "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
         detail = NULL, pseudonymised_at = 5 WHERE seq = 1",
        "UPDATE audit_events SET hash_version = 2 WHERE seq = 1",
        // Deletions, of either version, pseudonymised or not.
        "DELETE FROM audit_events WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 4",
    ] {
        let err = try_sql(&db, sql).await.unwrap_err();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(verify(&db).await, Ok(4), "nothing else changed");
}
