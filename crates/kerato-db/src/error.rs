use std::path::PathBuf;

/// What can go wrong in the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database key does not open {path}: the key is wrong or the file is not a Kerato database (SQLCipher: file is not a database)"
    )]
    WrongKey { path: PathBuf },
    #[error("no database at {path}: run `kerato init --data-dir {dir}` first", dir = path.parent().map(|p| p.display().to_string()).unwrap_or_default())]
    NotInitialised { path: PathBuf },
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error(
        "migration {version} ({name}) was changed after it was applied: migrations are append-only, add a new one instead"
    )]
    MigrationChanged { version: i64, name: String },
    #[error(
        "the database schema is version {found}, newer than this kerato knows ({known}): upgrade kerato"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The shared commit that carried this unit of work's deferred writes
    /// failed; nothing of them was kept.
    #[error("the database could not record this request; try again ({0})")]
    SharedCommit(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// True when the failure was a unique-constraint violation.
    pub fn is_unique_violation(err: &sqlx::Error) -> bool {
        matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
    }
}

/// A stored value that does not decode (an ID that is not a UUID, an
/// unknown enum text): the database was changed outside Kerato.
pub fn corrupt<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Corrupt(e.to_string())
}
