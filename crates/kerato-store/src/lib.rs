//! Kerato's persistence: the only crate that contains SQL.
//!
//! One set of SQL texts serves both backends: an encrypted SQLite file
//! (SQLCipher) for a single practice, and PostgreSQL for groups. Each query
//! is written once and compiled for both drivers by [`on_tx!`], so the two
//! backends cannot drift apart. Column types are portable: TEXT IDs, BIGINT
//! timestamps in UTC microseconds, BIGINT money in cents.

pub mod attachments;
pub mod audit;
pub mod biopsies;
pub mod consents;
pub mod coverage;
pub mod eye;
pub mod guarantors;
pub mod identity;
pub mod import;
pub mod lesions;
pub mod meta;
mod migrate;
pub mod outbox;
pub mod patient_data;
pub mod patients;
pub mod privacy;
pub mod procedures;
pub mod providers;
pub mod recalls;
pub mod retention;
pub mod rights;
pub mod scheduling;
pub mod setup;
pub mod telemetry;
pub mod tenancy;
pub mod testing;
pub mod waitlist;

// The storage engine (both backends, the key, the migration runner) is
// `kerato-db`, shared with the vendor site; its names keep their paths here.
pub use kerato_db::{
    Backend, Conn, DbKey, Dialect, KeyError, Migration, OpenMode, SchemaStatus, SqliteOptions,
    Store, StoreError, Tx, execute, fetch_all_by, fetch_one_by, on_tx,
};
pub use migrate::{ClinicSchema, MIGRATIONS};
