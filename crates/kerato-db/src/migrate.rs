//! Append-only migrations, embedded in the binary. Each deployment (the
//! clinic's store, the vendor site) passes its own list.
//!
//! Each migration is one SQL file that runs unchanged on both backends. The
//! applied ones are recorded with a SHA-256 of their text; a file that was
//! edited after it was applied is refused, because a database made by an
//! older schema must be upgraded by new migrations, not by rewriting history.

use sha2::{Digest, Sha256};

use kerato_core::time::Timestamp;

use crate::backend::{Backend, Store, Tx};
use crate::error::StoreError;
use crate::{execute, on_tx};

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// SQL that runs unchanged on both backends.
    pub sql: &'static str,
    /// SQL that only one dialect can express (triggers, functions), run
    /// after `sql`. This is the one place where the dialects differ.
    pub dialect: Option<Dialect>,
}

/// The per-backend part of a migration.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

impl Migration {
    /// The full text this backend runs; its hash is what the ledger records.
    fn text(&self, backend: Backend) -> String {
        let extra = match (self.dialect, backend) {
            (None, _) => "",
            (Some(d), Backend::Sqlite) => d.sqlite,
            (Some(d), Backend::Postgres) => d.postgres,
        };
        format!("{}{extra}", self.sql)
    }
}

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS kerato_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Where the schema stands relative to this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Highest applied migration, 0 for an empty database.
    pub current: i64,
    /// Highest migration this binary knows.
    pub latest: i64,
    /// Migrations this binary would apply.
    pub pending: Vec<i64>,
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

async fn applied(tx: &mut Tx) -> Result<Vec<(i64, String, String)>, StoreError> {
    execute!(tx, sqlx::raw_sql(CREATE_LEDGER))?;
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT version, name, checksum FROM kerato_migrations ORDER BY version"
    )
    .fetch_all(&mut **c)
    .await)?)
}

/// Checks the recorded migrations against the embedded ones.
fn verify(
    set: &[Migration],
    rows: &[(i64, String, String)],
    backend: Backend,
) -> Result<(), StoreError> {
    let latest = set.last().map_or(0, |m| m.version);
    for (version, name, sum) in rows {
        match set.iter().find(|m| m.version == *version) {
            Some(m) if checksum(&m.text(backend)) == *sum => {}
            Some(_) => {
                return Err(StoreError::MigrationChanged {
                    version: *version,
                    name: name.clone(),
                });
            }
            None => {
                return Err(StoreError::SchemaTooNew {
                    found: *version,
                    known: latest,
                });
            }
        }
    }
    Ok(())
}

pub(crate) async fn status(store: &Store, set: &[Migration]) -> Result<SchemaStatus, StoreError> {
    let mut tx = store.write().await?;
    let rows = applied(&mut tx).await?;
    tx.commit().await?;
    verify(set, &rows, store.backend())?;
    let current = rows.last().map_or(0, |r| r.0);
    Ok(SchemaStatus {
        current,
        latest: set.last().map_or(0, |m| m.version),
        pending: set
            .iter()
            .filter(|m| m.version > current)
            .map(|m| m.version)
            .collect(),
    })
}

/// Applies pending migrations up to `until` (all when `None`), each in its
/// own transaction with its ledger row, so a failure leaves the schema at
/// the last whole migration.
pub(crate) async fn apply(
    store: &Store,
    set: &[Migration],
    until: Option<i64>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut count = 0;
    loop {
        let mut tx = store.write().await?;
        let rows = applied(&mut tx).await?;
        verify(set, &rows, store.backend())?;
        let current = rows.last().map_or(0, |r| r.0);
        let Some(next) = set
            .iter()
            .find(|m| m.version > current && until.is_none_or(|u| m.version <= u))
        else {
            tx.commit().await?;
            return Ok(count);
        };
        let text = next.text(store.backend());
        // Migration texts are compiled into the binary, never built from input.
        execute!(&mut tx, sqlx::raw_sql(sqlx::AssertSqlSafe(text.clone())))?;
        execute!(
            &mut tx,
            sqlx::query(
                "INSERT INTO kerato_migrations (version, name, checksum, applied_at) \
                 VALUES ($1, $2, $3, $4)"
            )
            .bind(next.version)
            .bind(next.name)
            .bind(checksum(&text))
            .bind(now.as_micros())
        )?;
        tx.commit().await?;
        tracing::info!(
            version = next.version,
            name = next.name,
            "applied migration"
        );
        count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &[Migration] = &[Migration {
        version: 1,
        name: "meta",
        sql: "CREATE TABLE meta (k TEXT)",
        dialect: None,
    }];

    #[test]
    fn an_edited_migration_is_refused() {
        let rows = vec![(1, "meta".to_string(), "0".repeat(64))];
        assert!(matches!(
            verify(SET, &rows, Backend::Sqlite),
            Err(StoreError::MigrationChanged { version: 1, .. })
        ));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let rows = vec![(999, "future".to_string(), String::new())];
        assert!(matches!(
            verify(SET, &rows, Backend::Postgres),
            Err(StoreError::SchemaTooNew { found: 999, .. })
        ));
    }
}
