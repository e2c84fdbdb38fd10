//! Kerato's storage engine, shared by the clinic's store and the vendor
//! site: an encrypted SQLite file (SQLCipher) or PostgreSQL behind one
//! transaction type, the database key, and the append-only migration
//! runner. It knows no table; each deployment brings its own migrations
//! and queries.
//!
//! One set of SQL texts serves both backends: each query is written once
//! and compiled for both drivers by [`on_tx!`], so the two backends cannot
//! drift apart. Column types are portable: TEXT IDs, BIGINT timestamps in
//! UTC microseconds, BIGINT money in cents.

mod backend;
pub mod clock;
mod error;
mod group;
mod key;
mod migrate;
pub mod testing;

pub use backend::{Backend, Conn, OpenMode, SqliteOptions, Store, Tx};
pub use error::{StoreError, corrupt};
pub use group::DeferredWrite;
pub use key::{DbKey, KeyError};
pub use migrate::{Dialect, Migration, SchemaStatus};
