//! Tampering with the audit trail through raw SQL, on the backend the run
//! selects: `kerato audit verify` names the first bad event every time.

use std::sync::Arc;

use kerato_app::App;
use kerato_app::clock::SystemClock;
use kerato_store::{Backend, DbKey, OpenMode, SqliteOptions, Store};

use crate::support::{init_with, run, temp};

/// A data directory (and, on a PostgreSQL run, a database) whose audit
/// trail has a dozen events; returns the CLI arguments that reach it and
/// an open store for the tampering.
async fn trail() -> (Vec<String>, Store) {
    let dir = temp("audit");
    let data = dir.join("data");
    let mut args = vec!["--data-dir".to_string(), data.to_str().unwrap().to_string()];
    let pg = match std::env::var(kerato_store::testing::PG_URL_VAR) {
        Ok(admin) if !admin.is_empty() => Some(
            kerato_store::testing::create_pg_database(&admin)
                .await
                .unwrap(),
        ),
        _ => None,
    };
    if let Some(url) = &pg {
        args.extend(["--database-url".to_string(), url.clone()]);
    }
    init_with(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let store = match &pg {
        Some(url) => Store::open_postgres(url, 2).await.unwrap(),
        None => Store::open_sqlite(SqliteOptions {
            path: data.join("kerato.db"),
            key: Some(DbKey::from_file(&data.join("db.key")).unwrap()),
            mode: OpenMode::Existing,
            max_connections: 2,
        })
        .await
        .unwrap(),
    };
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let mut tx = store.read().await.unwrap();
    let admin = kerato_store::identity::find_user_by_email(&mut tx, crate::support::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .0;
    drop(tx);
    let caller = app.unsafe_caller_for(admin.id).await.unwrap();
    for i in 0..10 {
        let input = kerato_domain::tenancy::LocationInput {
            name: format!("Site {i}"),
            time_zone: "America/Chicago".into(),
            address_line1: "1 Main St".into(),
            address_line2: None,
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62701".into(),
            specialties: vec!["eye_care".into()],
        };
        app.create_location(&caller, &input.validate().unwrap())
            .await
            .unwrap();
    }
    (args, store)
}

fn verify(args: &[String]) -> (bool, String, String) {
    let mut all = vec!["audit", "verify"];
    all.extend(args.iter().map(String::as_str));
    run(&all)
}

/// Runs tampering statements with the append-only guards out of the way,
/// as someone with direct database access could.
async fn tamper(store: &Store, statements: &[&'static str]) {
    let mut tx = store.write().await.unwrap();
    let unguard: &'static str = match tx.backend() {
        Backend::Sqlite => {
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
        }
        Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER USER;",
    };
    for sql in std::iter::once(&unguard).chain(statements) {
        kerato_store::on_tx!(&mut tx, c => sqlx::raw_sql(*sql).execute(&mut **c).await.map(|_| ()))
            .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intact_trail_verifies() {
    let (args, store) = trail().await;
    store.close().await;
    let (ok, out, err) = verify(&args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("audit trail intact"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guards_refuse_changes_and_deletions() {
    let (_, store) = trail().await;
    for sql in [
        "UPDATE audit_events SET category = 'x' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
    ] {
        let mut tx = store.write().await.unwrap();
        let result = kerato_store::on_tx!(&mut tx, c => sqlx::raw_sql(sql).execute(&mut **c).await.map(|_| ()));
        let err = result.unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_byte_is_named() {
    let (args, store) = trail().await;
    tamper(
        &store,
        &["UPDATE audit_events SET category = 'Location' WHERE seq = 3"],
    )
    .await;
    store.close().await;
    let (ok, _, err) = verify(&args);
    assert!(!ok);
    assert!(
        err.contains("event 3 ") && err.contains("was changed"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_event_is_named() {
    let (args, store) = trail().await;
    tamper(&store, &["DELETE FROM audit_events WHERE seq = 4"]).await;
    store.close().await;
    let (ok, _, err) = verify(&args);
    assert!(!ok);
    assert!(
        err.contains("event 5 ") && err.contains("expected position 4"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_events_are_named() {
    let (args, store) = trail().await;
    tamper(
        &store,
        &[
            "UPDATE audit_events SET seq = -2 WHERE seq = 2",
            "UPDATE audit_events SET seq = 2 WHERE seq = 6",
            "UPDATE audit_events SET seq = 6 WHERE seq = -2",
        ],
    )
    .await;
    store.close().await;
    let (ok, _, err) = verify(&args);
    assert!(!ok);
    assert!(err.contains("event 2 "), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_tail_is_found() {
    let (args, store) = trail().await;
    tamper(
        &store,
        &["DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)"],
    )
    .await;
    store.close().await;
    let (ok, _, err) = verify(&args);
    assert!(!ok);
    assert!(err.contains("events at the end were deleted"), "{err}");
}

/// Pseudonymises event 3 as the retention job does, through the one
/// update the database allows.
async fn pseudonymise_third(store: &Store) {
    let mut tx = store.write().await.unwrap();
    let at = kerato_domain::time::Timestamp::from_micros(1_900_000_000_000_000);
    assert!(
        kerato_store::audit::pseudonymise(&mut tx, 3, at)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pseudonymised_event_verifies() {
    let (args, store) = trail().await;
    pseudonymise_third(&store).await;
    store.close().await;
    let (ok, out, err) = verify(&args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("audit trail intact"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pseudonymised_events_digest_cannot_be_changed() {
    let (args, store) = trail().await;
    pseudonymise_third(&store).await;
    tamper(
        &store,
        &["UPDATE audit_events SET subject_digest = hash WHERE seq = 3"],
    )
    .await;
    store.close().await;
    let (ok, _, err) = verify(&args);
    assert!(!ok);
    assert!(
        err.contains("event 3 ") && err.contains("was changed"),
        "{err}"
    );
}
