//! Append-only migrations, embedded in the binary.
//!
//! Each migration is one SQL file that runs unchanged on both backends. The
//! applied ones are recorded with a SHA-256 of their text; a file that was
//! edited after it was applied is refused, because a database made by an
//! older schema must be upgraded by new migrations, not by rewriting history.

use sha2::{Digest, Sha256};

use kerato_domain::time::Timestamp;

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

/// Every migration, in order. Add new ones at the end; never edit one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "meta",
        sql: include_str!("../migrations/0001_meta.sql"),
        dialect: None,
    },
    Migration {
        version: 2,
        name: "tenancy",
        sql: include_str!("../migrations/0002_tenancy.sql"),
        dialect: None,
    },
    Migration {
        version: 3,
        name: "identity",
        sql: include_str!("../migrations/0003_identity.sql"),
        dialect: None,
    },
    Migration {
        version: 4,
        name: "audit",
        sql: include_str!("../migrations/0004_audit.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0004_audit.sqlite.sql"),
            postgres: include_str!("../migrations/0004_audit.postgres.sql"),
        }),
    },
    Migration {
        version: 5,
        name: "patients",
        sql: include_str!("../migrations/0005_patients.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0005_patients.sqlite.sql"),
            postgres: include_str!("../migrations/0005_patients.postgres.sql"),
        }),
    },
    Migration {
        version: 6,
        name: "coverages",
        sql: include_str!("../migrations/0006_coverages.sql"),
        dialect: None,
    },
    Migration {
        version: 7,
        name: "scheduling",
        sql: include_str!("../migrations/0007_scheduling.sql"),
        dialect: None,
    },
    Migration {
        version: 8,
        name: "front_desk",
        sql: include_str!("../migrations/0008_front_desk.sql"),
        dialect: None,
    },
    Migration {
        version: 9,
        name: "patient search",
        sql: include_str!("../migrations/0009_patient_search.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0009_patient_search.sqlite.sql"),
            postgres: include_str!("../migrations/0009_patient_search.postgres.sql"),
        }),
    },
    Migration {
        version: 10,
        name: "reference version",
        sql: include_str!("../migrations/0010_reference_version.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0010_reference_version.sqlite.sql"),
            postgres: include_str!("../migrations/0010_reference_version.postgres.sql"),
        }),
    },
    Migration {
        version: 11,
        name: "audit head follows",
        sql: include_str!("../migrations/0011_audit_head_follows.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0011_audit_head_follows.sqlite.sql"),
            postgres: include_str!("../migrations/0011_audit_head_follows.postgres.sql"),
        }),
    },
    Migration {
        version: 12,
        name: "eye care",
        sql: include_str!("../migrations/0012_eye_care.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0012_eye_care.sqlite.sql"),
            postgres: include_str!("../migrations/0012_eye_care.postgres.sql"),
        }),
    },
    Migration {
        version: 13,
        name: "biopsies",
        sql: include_str!("../migrations/0013_biopsies.sql"),
        dialect: None,
    },
    Migration {
        version: 14,
        name: "lesions",
        sql: include_str!("../migrations/0014_lesions.sql"),
        dialect: None,
    },
    Migration {
        version: 15,
        name: "clinical photos",
        sql: include_str!("../migrations/0015_clinical_photos.sql"),
        dialect: None,
    },
    Migration {
        version: 16,
        name: "consents and procedures",
        sql: include_str!("../migrations/0016_consents_procedures.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0016_consents_procedures.sqlite.sql"),
            postgres: include_str!("../migrations/0016_consents_procedures.postgres.sql"),
        }),
    },
    Migration {
        version: 17,
        name: "dermatology detail",
        sql: include_str!("../migrations/0017_derm_detail.sql"),
        dialect: None,
    },
    Migration {
        version: 18,
        name: "privacy program",
        sql: include_str!("../migrations/0018_privacy_program.sql"),
        dialect: None,
    },
    Migration {
        version: 19,
        name: "retention",
        sql: include_str!("../migrations/0019_retention.sql"),
        dialect: None,
    },
    Migration {
        version: 20,
        name: "record amendments",
        sql: include_str!("../migrations/0020_record_amendments.sql"),
        dialect: None,
    },
    Migration {
        version: 21,
        name: "audit pseudonymisation",
        sql: include_str!("../migrations/0021_audit_pseudonymise.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0021_audit_pseudonymise.sqlite.sql"),
            postgres: include_str!("../migrations/0021_audit_pseudonymise.postgres.sql"),
        }),
    },
];

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
fn verify(rows: &[(i64, String, String)], backend: Backend) -> Result<(), StoreError> {
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    for (version, name, sum) in rows {
        match MIGRATIONS.iter().find(|m| m.version == *version) {
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

pub(crate) async fn status(store: &Store) -> Result<SchemaStatus, StoreError> {
    let mut tx = store.write().await?;
    let rows = applied(&mut tx).await?;
    tx.commit().await?;
    verify(&rows, store.backend())?;
    let current = rows.last().map_or(0, |r| r.0);
    Ok(SchemaStatus {
        current,
        latest: MIGRATIONS.last().map_or(0, |m| m.version),
        pending: MIGRATIONS
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
    until: Option<i64>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut count = 0;
    loop {
        let mut tx = store.write().await?;
        let rows = applied(&mut tx).await?;
        verify(&rows, store.backend())?;
        let current = rows.last().map_or(0, |r| r.0);
        let Some(next) = MIGRATIONS
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

    #[test]
    fn versions_are_dense_and_increasing() {
        for (m, v) in MIGRATIONS.iter().zip(1..) {
            assert_eq!(m.version, v, "migration {} out of order", m.name);
        }
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let rows = vec![(1, "meta".to_string(), "0".repeat(64))];
        assert!(matches!(
            verify(&rows, Backend::Sqlite),
            Err(StoreError::MigrationChanged { version: 1, .. })
        ));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let rows = vec![(999, "future".to_string(), String::new())];
        assert!(matches!(
            verify(&rows, Backend::Postgres),
            Err(StoreError::SchemaTooNew { found: 999, .. })
        ));
    }
}
