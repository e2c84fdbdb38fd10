//! The clinic's migrations, in order. The runner is `kerato-db`'s.

use kerato_db::{Dialect, Migration, SchemaStatus, Store, StoreError};
use kerato_domain::time::Timestamp;

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
    Migration {
        version: 22,
        name: "providers",
        sql: include_str!("../migrations/0022_providers.common.sql"),
        dialect: Some(Dialect {
            sqlite: include_str!("../migrations/0022_providers.sqlite.sql"),
            postgres: include_str!("../migrations/0022_providers.postgres.sql"),
        }),
    },
    Migration {
        version: 23,
        name: "setup",
        sql: include_str!("../migrations/0023_setup.sql"),
        dialect: None,
    },
    Migration {
        version: 24,
        name: "password recovery",
        sql: include_str!("../migrations/0024_password_recovery.sql"),
        dialect: None,
    },
    Migration {
        version: 25,
        name: "imports",
        sql: include_str!("../migrations/0025_imports.sql"),
        dialect: None,
    },
    Migration {
        version: 26,
        name: "merged charts",
        sql: include_str!("../migrations/0026_merged_charts.sql"),
        dialect: None,
    },
];

/// The clinic's schema on a [`Store`]: what `kerato init`, `serve` and
/// `migrate` apply and report.
#[allow(async_fn_in_trait)]
pub trait ClinicSchema {
    /// Applies pending migrations; returns how many ran.
    async fn migrate(&self, now: Timestamp) -> Result<usize, StoreError>;
    /// Applies migrations up to and including `version` (tests of upgrades).
    async fn migrate_to(&self, version: i64, now: Timestamp) -> Result<usize, StoreError>;
    /// Where the schema stands relative to this binary.
    async fn schema_status(&self) -> Result<SchemaStatus, StoreError>;
}

impl ClinicSchema for Store {
    async fn migrate(&self, now: Timestamp) -> Result<usize, StoreError> {
        self.apply_migrations(MIGRATIONS, None, now).await
    }

    async fn migrate_to(&self, version: i64, now: Timestamp) -> Result<usize, StoreError> {
        self.apply_migrations(MIGRATIONS, Some(version), now).await
    }

    async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        self.schema_status_of(MIGRATIONS).await
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
}
