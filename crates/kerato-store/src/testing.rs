//! Fresh clinic databases for tests, on whichever backend the run asks for
//! (see `kerato_db::testing`, which this wraps with the clinic's schema).

use std::ops::Deref;

pub use kerato_db::testing::{PG_URL_VAR, create_pg_database, random_key, temp_dir};

use crate::MIGRATIONS;

/// A database that exists for one test; see [`kerato_db::testing::TestDb`].
#[derive(Debug)]
pub struct TestDb(kerato_db::testing::TestDb);

impl TestDb {
    /// A fresh database with the clinic's schema.
    pub async fn new() -> Self {
        Self(kerato_db::testing::TestDb::with(MIGRATIONS).await)
    }

    /// A fresh database with no schema at all (for migration tests).
    pub async fn empty() -> Self {
        Self(kerato_db::testing::TestDb::empty().await)
    }

    /// A fresh encrypted SQLite database, whatever the run's backend.
    pub async fn sqlite() -> Self {
        Self(kerato_db::testing::TestDb::sqlite().await)
    }
}

impl Deref for TestDb {
    type Target = kerato_db::testing::TestDb;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
