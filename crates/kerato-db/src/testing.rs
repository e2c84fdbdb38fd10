//! Fresh databases for tests, on whichever backend the run asks for.
//!
//! With `KERATO_TEST_PG_URL` set (a URL to a PostgreSQL server where the
//! user may create databases), every test gets a new PostgreSQL database;
//! otherwise it gets a new encrypted SQLite file in a temporary directory.
//! `cargo xtask ci` runs the whole suite both ways.

use std::path::{Path, PathBuf};

use kerato_core::time::Timestamp;
use rand::Rng;
use sqlx::Connection;

use crate::{DbKey, Migration, OpenMode, SqliteOptions, Store, StoreError};

/// The environment variable that switches tests to PostgreSQL.
pub const PG_URL_VAR: &str = "KERATO_TEST_PG_URL";

/// A database that exists for one test. The SQLite directory is removed on
/// drop; PostgreSQL test databases live in the throwaway CI cluster.
#[derive(Debug)]
pub struct TestDb {
    pub store: Store,
    /// The SQLite file and its key, for tests that look at the bytes.
    pub sqlite: Option<(PathBuf, DbKey)>,
    dir: Option<PathBuf>,
}

/// A new empty directory under the system temp dir, unique to this call.
pub fn temp_dir(label: &str) -> PathBuf {
    let suffix: u64 = rand::rng().random();
    let dir = std::env::temp_dir().join(format!("kerato-{label}-{suffix:016x}"));
    // A collision in 64 random bits is not a case worth handling.
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A random key, as `kerato init` would make.
pub fn random_key() -> DbKey {
    DbKey::from_bytes(rand::rng().random())
}

impl TestDb {
    /// A fresh database on the backend this run tests, with the schema of
    /// `migrations` (a deployment's list).
    pub async fn with(migrations: &[Migration]) -> Self {
        let db = Self::empty().await;
        if let Err(e) = db
            .store
            .apply_migrations(migrations, None, Timestamp::from_micros(0))
            .await
        {
            panic!("migrating the test database failed: {e}");
        }
        db
    }

    /// A fresh database with no schema at all (for migration tests).
    pub async fn empty() -> Self {
        match std::env::var(PG_URL_VAR) {
            Ok(url) if !url.is_empty() => Self::postgres(&url).await,
            _ => Self::sqlite().await,
        }
    }

    /// A fresh encrypted SQLite database, whatever the run's backend.
    pub async fn sqlite() -> Self {
        let dir = temp_dir("test");
        let path = dir.join("kerato.db");
        let key = random_key();
        let store = Store::open_sqlite(SqliteOptions {
            path: path.clone(),
            key: Some(key.clone()),
            mode: OpenMode::CreateIfMissing,
            max_connections: 4,
        })
        .await
        .unwrap_or_else(|e| panic!("creating a test SQLite database failed: {e}"));
        Self {
            store,
            sqlite: Some((path, key)),
            dir: Some(dir),
        }
    }

    async fn postgres(admin_url: &str) -> Self {
        let url = create_pg_database(admin_url)
            .await
            .unwrap_or_else(|e| panic!("creating a test PostgreSQL database failed: {e}"));
        let store = Store::open_postgres(&url, 4)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL database failed: {e}"));
        Self {
            store,
            sqlite: None,
            dir: None,
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// Creates a new database on the server at `admin_url` and returns its URL.
/// The admin URL must end in `/<database>`; the new name replaces that part.
pub async fn create_pg_database(admin_url: &str) -> Result<String, StoreError> {
    let suffix: u64 = rand::rng().random();
    let name = format!("kerato_test_{suffix:016x}");
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    // The name is made here from hex digits only.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    Ok(format!("{base}/{name}{query}"))
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Close every connection before the test ends. A pool merely dropped
        // closes its SQLCipher connections later, on their own threads; if
        // that happens while the test process exits, SQLCipher can free its
        // OpenSSL contexts while OpenSSL's exit handler tears libcrypto down,
        // and the process crashes after all its tests passed (seen once in CI).
        // Tests run on multi-threaded runtimes so the connections being
        // returned to the pool can finish while this thread waits.
        let store = self.store.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), store.close())
                        .await;
                });
            }
        })
        .join();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
