//! The SQLCipher file at rest: no plaintext, and a wrong key touches nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kerato_domain::tenancy::Organisation;
use kerato_store::testing::{TestDb, random_key, temp_dir};
use kerato_store::{ClinicSchema, OpenMode, SqliteOptions, Store, StoreError, tenancy};

use crate::{location, now, organisation};

const SENTINEL: &str = "SENTINEL-PHI-7f3a9c Jane Q. Public dx L57.0";

/// Every file of the database (main file, WAL, shared memory) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    snapshot(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(p, _)| p)
        .collect()
}

async fn write_sentinel(store: &Store) -> Organisation {
    let org = organisation(SENTINEL);
    let mut tx = store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &org).await.unwrap();
    tenancy::insert_location(&mut tx, &location(&org, SENTINEL))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    org
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sentinel_never_reaches_the_disk_in_plaintext() {
    let db = TestDb::sqlite().await;
    db.store.migrate(now()).await.unwrap();
    write_sentinel(&db.store).await;
    let dir = db.dir().unwrap().to_path_buf();
    let wal = dir.join("kerato.db-wal");
    assert!(
        wal.exists() && std::fs::metadata(&wal).unwrap().len() > 0,
        "WAL not in use"
    );
    assert_eq!(
        files_containing(&dir, SENTINEL.as_bytes()),
        Vec::<PathBuf>::new()
    );
    assert_eq!(
        files_containing(&dir, b"CREATE TABLE"),
        Vec::<PathBuf>::new()
    );
    assert_eq!(
        files_containing(&dir, b"SQLite format 3"),
        Vec::<PathBuf>::new()
    );

    db.store.close().await;
    assert_eq!(
        files_containing(&dir, SENTINEL.as_bytes()),
        Vec::<PathBuf>::new()
    );

    // The same scan finds the sentinel in a plain file, so it can see plaintext.
    let plain_dir = temp_dir("plain");
    let plain = Store::open_sqlite(SqliteOptions {
        path: plain_dir.join("plain.db"),
        key: None,
        mode: OpenMode::CreateIfMissing,
        max_connections: 1,
    })
    .await
    .unwrap();
    plain.migrate(now()).await.unwrap();
    write_sentinel(&plain).await;
    plain.close().await;
    assert!(!files_containing(&plain_dir, SENTINEL.as_bytes()).is_empty());
    std::fs::remove_dir_all(plain_dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_is_sqlcipher_in_wal_mode_with_full_sync() {
    let db = TestDb::sqlite().await;
    assert!(
        db.store
            .cipher_version()
            .await
            .unwrap()
            .unwrap()
            .starts_with('4')
    );
    let mut tx = db.store.read().await.unwrap();
    let kerato_store::Conn::Sqlite(c) = &mut tx.conn else {
        panic!("not sqlite")
    };
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut **c)
        .await
        .unwrap();
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous")
        .fetch_one(&mut **c)
        .await
        .unwrap();
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(&mut **c)
        .await
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_a_clear_error_and_leaves_every_byte_alone() {
    let db = TestDb::sqlite().await;
    db.store.migrate(now()).await.unwrap();
    let org = write_sentinel(&db.store).await;
    db.store.close().await;
    let (path, key) = db.sqlite.clone().unwrap();
    let dir = db.dir().unwrap().to_path_buf();
    let before = snapshot(&dir);

    for wrong in [Some(random_key()), None] {
        let err = Store::open_sqlite(SqliteOptions {
            path: path.clone(),
            key: wrong,
            mode: OpenMode::Existing,
            max_connections: 2,
        })
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::WrongKey { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("database key does not open"), "{message}");
        assert!(!message.contains('\n'), "not one line: {message}");
        assert_eq!(snapshot(&dir), before, "a failed open changed the files");
    }

    // The right key still opens it and finds the data.
    let store = Store::open_sqlite(SqliteOptions {
        path,
        key: Some(key),
        mode: OpenMode::Existing,
        max_connections: 2,
    })
    .await
    .unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tenancy::get_organisation(&mut tx, org.id)
            .await
            .unwrap()
            .unwrap()
            .name,
        SENTINEL
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_database_is_not_created_by_a_plain_open() {
    let dir = temp_dir("missing");
    let path = dir.join("kerato.db");
    let err = Store::open_sqlite(SqliteOptions {
        path: path.clone(),
        key: Some(random_key()),
        mode: OpenMode::Existing,
        max_connections: 1,
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("kerato init"), "{err}");
    assert!(!path.exists());
    std::fs::remove_dir_all(dir).unwrap();
}
