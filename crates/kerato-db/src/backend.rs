//! The two backends behind one API.
//!
//! A [`Tx`] is a transaction on either backend. Query functions take a `Tx`
//! and run their single SQL text through [`on_tx!`], which compiles the body
//! once per driver. Dialect differences, where they exist, are spelled out
//! next to the query with `Backend` in the condition.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Postgres, Sqlite, Transaction};

use kerato_core::time::Timestamp;

use crate::error::StoreError;
use crate::group::{Combiner, DeferredWrite};
use crate::key::DbKey;
use crate::migrate::{self, Migration};

/// Runs `$body` with `$c` bound to the transaction's connection, for
/// whichever backend the transaction is on. The body is written once.
#[macro_export]
#[doc(hidden)]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut $tx.conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}

/// Executes a statement (the query builder, binds included) on the
/// transaction's backend and returns the number of rows it affected.
#[macro_export]
#[doc(hidden)]
macro_rules! execute {
    ($tx:expr, $query:expr) => {
        $crate::on_tx!($tx, c => $query.execute(&mut **c).await.map(|r| r.rows_affected()))
    };
}

/// Runs a SELECT with one bound key (formatted SQL, so a column list can
/// be shared) for at most one row of tuple type `$ty`, and decodes it with
/// `$map` (a fallible conversion into a record).
#[macro_export]
#[doc(hidden)]
macro_rules! fetch_one_by {
    ($tx:expr, $sql:expr, $key:expr, $ty:ty, $map:expr) => {{
        let row: Option<$ty> = $crate::on_tx!($tx, c => sqlx::query_as(sqlx::AssertSqlSafe($sql))
            .bind($key)
            .fetch_optional(&mut **c)
            .await)?;
        row.map($map).transpose()
    }};
}

/// Like [`fetch_one_by!`], for every row.
#[macro_export]
#[doc(hidden)]
macro_rules! fetch_all_by {
    ($tx:expr, $sql:expr, $key:expr, $ty:ty, $map:expr) => {{
        let rows: Vec<$ty> = $crate::on_tx!($tx, c => sqlx::query_as(sqlx::AssertSqlSafe($sql))
            .bind($key)
            .fetch_all(&mut **c)
            .await)?;
        rows.into_iter().map($map).collect()
    }};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Whether opening may create a missing database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Fail with [`StoreError::NotInitialised`] when the file is missing.
    Existing,
    /// Create the file if it is missing (`kerato init`, `kerato demo`).
    CreateIfMissing,
}

/// How to open an SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub path: PathBuf,
    /// `None` opens a plain, unencrypted file; only benchmarks do that.
    pub key: Option<DbKey>,
    pub mode: OpenMode,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
enum Pool {
    /// SQLite admits one writer at a time, so write transactions share one
    /// connection and queue for it in order instead of polling the file
    /// lock. That connection also keeps its page cache between
    /// transactions: SQLite drops a connection's whole cache when it sees
    /// that another connection has committed, so with writes spread over a
    /// pool every audited read would start cold and SQLCipher would
    /// decrypt every page it touches again. Reads use the other connections.
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
    },
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// Where read transactions' deferred writes are committed together.
    commits: Arc<Combiner>,
    /// Where an SQLite store lives, for messages and integrity reports.
    location: String,
}

/// A transaction on either backend. Dropping it without [`Tx::commit`]
/// rolls it back, so an error anywhere in a use case leaves nothing behind.
pub struct Tx {
    /// The transaction itself; the store's queries reach it through
    /// `on_tx!`.
    pub conn: Conn,
    /// The end of the audit chain as this transaction last appended to it,
    /// so that a transaction appending many events (a group commit of
    /// bookings) reads the head once; see `audit::append`.
    #[doc(hidden)]
    pub audit_head: Option<(i64, String)>,
    /// For a read transaction: the store, whose shared commit carries the
    /// writes it owes ([`Tx::defer`]); `None` for a write transaction.
    read_of: Option<Store>,
    deferred: Vec<DeferredWrite>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("conn", &self.conn)
            .field("read_only", &self.read_of.is_some())
            .field("deferred", &self.deferred.len())
            .finish_non_exhaustive()
    }
}

/// A transaction on one backend.
#[derive(Debug)]
pub enum Conn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Conn {
    /// Commits the transaction itself; the shared commit of a read's
    /// deferred writes uses it for its own write transaction.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(t) => t.commit().await?,
            Conn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Tx {
    fn new(conn: Conn, read_of: Option<Store>) -> Self {
        Self {
            conn,
            audit_head: None,
            read_of,
            deferred: Vec::new(),
        }
    }

    /// Ends the transaction. A read transaction then waits until the writes
    /// it owes are durable in a shared commit (see [`crate::group`]): its
    /// caller may answer only after that.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.conn.commit().await?;
        match self.read_of {
            Some(store) if !self.deferred.is_empty() => {
                store.commits.submit(&store, self.deferred).await
            }
            _ => Ok(()),
        }
    }

    /// Whether this transaction only reads: its writes go through
    /// [`Tx::defer`].
    pub fn is_read_only(&self) -> bool {
        self.read_of.is_some()
    }

    /// Queues a write this read transaction owes; [`Tx::commit`] makes it
    /// durable in a shared commit before it returns. Dropping the
    /// transaction drops the write too.
    pub fn defer(&mut self, write: DeferredWrite) {
        self.deferred.push(write);
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

/// SQLite error code 26, SQLITE_NOTADB: what SQLCipher reports for a wrong key.
fn is_not_a_database(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("26"))
}

/// What SQLite may keep in memory, page caches and statements included,
/// across every connection of the process (`soft_heap_limit` is
/// process-wide): 12 MiB. Each connection kept its own cache before (16 MiB
/// per reader, 256 MiB for the writer) and the server's resident memory
/// grew past 100 MB serving a 20,000-chart registry.
const SOFT_HEAP_LIMIT_BYTES: &str = "12582912";
/// A reader's cache (negative: KiB), SQLite's default of 2 MiB. In WAL mode
/// SQLite empties a reader's cache whenever another connection has
/// committed since its last transaction, and audited reads commit all the
/// time, so a reader only keeps pages within one transaction.
const READER_CACHE_PRAGMA: &str = "-2048";
/// The writer's cache: the rest of the budget. Its pages stay valid across
/// its own commits, so the indexes bookings and audit appends walk stay
/// decrypted there.
const WRITER_CACHE_PRAGMA: &str = "-12288";

/// Options with only the key: what the key probe opens.
fn sqlite_key_options(opts: &SqliteOptions) -> SqliteConnectOptions {
    let mut connect = SqliteConnectOptions::new()
        .filename(&opts.path)
        .create_if_missing(opts.mode == OpenMode::CreateIfMissing)
        .disable_statement_logging();
    if let Some(key) = &opts.key {
        // sqlx always sends `key` before every other pragma, as SQLCipher
        // requires. SQLCipher's own stderr logging of key failures is
        // silenced (the level is process-wide) because we turn them into one
        // clear error ourselves.
        connect = connect
            .pragma("key", key.pragma_value())
            .pragma("cipher_log_level", "NONE");
    }
    connect
}

fn sqlite_connect_options(opts: &SqliteOptions) -> SqliteConnectOptions {
    sqlite_key_options(opts)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
}

/// A read connection refuses writes (`query_only`), so a use case that
/// writes on a read transaction fails in every test rather than racing the
/// writer; checkpoints still run on it.
fn sqlite_reader_options(opts: &SqliteOptions) -> SqliteConnectOptions {
    sqlite_connect_options(opts)
        .pragma("cache_size", READER_CACHE_PRAGMA)
        .pragma("query_only", "ON")
}

/// The writer connection: it also sets the process's heap limit for SQLite
/// ([`SOFT_HEAP_LIMIT_BYTES`]). It leaves copying the log into the database
/// file to the background checkpointer (see
/// `checkpoint_in_background`) until the log passes 40 MiB.
fn sqlite_writer_options(opts: &SqliteOptions) -> SqliteConnectOptions {
    sqlite_connect_options(opts)
        .pragma("soft_heap_limit", SOFT_HEAP_LIMIT_BYTES)
        .pragma("cache_size", WRITER_CACHE_PRAGMA)
        .pragma("wal_autocheckpoint", "10000")
}

/// Checkpoints the WAL every quarter second on a read connection, so a
/// commit does not stop to copy the log into the database file (SQLite does
/// that in the commit that crosses its threshold, which made every hundredth
/// request several milliseconds slower). A passive checkpoint waits for no
/// reader or writer. The task ends when the store is closed.
fn checkpoint_in_background(readers: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            if readers.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&readers)
                .await
            {
                if readers.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "background WAL checkpoint failed");
            }
        }
    });
}

impl Store {
    /// Opens (and, with [`OpenMode::CreateIfMissing`], creates) an SQLite file.
    ///
    /// The key is checked on a single connection before the pool is built, so
    /// a wrong key is reported as [`StoreError::WrongKey`] and nothing is
    /// written to the file.
    pub async fn open_sqlite(opts: SqliteOptions) -> Result<Self, StoreError> {
        if opts.mode == OpenMode::Existing && !opts.path.exists() {
            return Err(StoreError::NotInitialised { path: opts.path });
        }
        let wrong_key = |e: sqlx::Error, path: &Path| {
            if is_not_a_database(&e) {
                StoreError::WrongKey {
                    path: path.to_path_buf(),
                }
            } else {
                StoreError::Database(e)
            }
        };
        // The probe sets only the key; reading the schema forces SQLCipher
        // to decrypt page 1, which is where a wrong key shows, before any
        // pragma (journal_mode) could write to the file.
        let mut probe = sqlite_key_options(&opts)
            .connect()
            .await
            .map_err(|e| wrong_key(e, &opts.path))?;
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut probe)
            .await
            .map_err(|e| wrong_key(e, &opts.path))?;
        probe.close().await?;
        // Waiting for the writer as long as SQLite's busy timeout would
        // have waited for the lock.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(sqlite_writer_options(&opts))
            .await
            .map_err(|e| wrong_key(e, &opts.path))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.saturating_sub(1).max(1))
            .min_connections(1)
            .connect_with(sqlite_reader_options(&opts))
            .await
            .map_err(|e| wrong_key(e, &opts.path))?;
        checkpoint_in_background(readers.clone());
        Ok(Self {
            commits: Arc::default(),
            pool: Pool::Sqlite { writer, readers },
            location: opts.path.display().to_string(),
        })
    }

    /// Connects to PostgreSQL with a `postgres://` URL.
    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Connect(redact_url_error(&e)))?
            .disable_statement_logging();
        let location = format!(
            "postgres://{}:{}/{}",
            connect.get_host(),
            connect.get_port(),
            connect.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(connect)
            .await
            .map_err(|e| StoreError::Connect(redact_url_error(&e)))?;
        Ok(Self {
            commits: Arc::default(),
            pool: Pool::Postgres(pool),
            location,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Where the data lives (a file path, or a URL without the password).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Begins a read-only unit of work. It runs beside the writer, never
    /// waiting for it; the database refuses a write in it on both backends
    /// (the writes a read owes go through [`Tx::defer`]).
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pool {
            Pool::Sqlite { readers, .. } => Conn::Sqlite(readers.begin().await?),
            Pool::Postgres(p) => Conn::Postgres(p.begin_with("BEGIN READ ONLY").await?),
        };
        Ok(Tx::new(conn, Some(self.clone())))
    }

    /// Runs `write` in the next shared commit without waiting for it: for
    /// bookkeeping a request need not wait for, such as when a session was
    /// last seen. A failure is logged.
    pub fn write_later(&self, write: DeferredWrite) {
        let store = self.clone();
        tokio::spawn(async move {
            if let Err(e) = store.commits.submit(&store, vec![write]).await {
                tracing::warn!(error = %e, "a deferred write failed");
            }
        });
    }

    /// Begins a unit of work that writes. On SQLite it takes the write lock
    /// up front (`BEGIN IMMEDIATE`): a deferred transaction that upgrades to a
    /// writer can fail with SQLITE_BUSY no matter how long it waits.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite { writer, .. } => Tx::new(
                Conn::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
                None,
            ),
            Pool::Postgres(p) => Tx::new(Conn::Postgres(p.begin().await?), None),
        })
    }

    /// Applies the pending migrations of `set` up to and including `until`
    /// (all when `None`); returns how many ran.
    pub async fn apply_migrations(
        &self,
        set: &[Migration],
        until: Option<i64>,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        migrate::apply(self, set, until, now).await
    }

    /// Where the schema stands relative to `set`.
    pub async fn schema_status_of(
        &self,
        set: &[Migration],
    ) -> Result<migrate::SchemaStatus, StoreError> {
        migrate::status(self, set).await
    }

    /// Whether the database holds a schema: a migration ledger with at least
    /// one migration recorded. It only reads (the catalogue, then the
    /// ledger), so that a command asked to open existing data can refuse an
    /// empty database without writing anything to it.
    pub async fn has_schema(&self) -> Result<bool, StoreError> {
        // The one question each dialect's catalogue answers its own way.
        let (ledgers,): (i64,) = match &self.pool {
            Pool::Sqlite { readers, .. } => {
                sqlx::query_as(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'kerato_migrations'",
                )
                .fetch_one(readers)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT count(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = 'kerato_migrations'",
                )
                .fetch_one(p)
                .await?
            }
        };
        if ledgers == 0 {
            return Ok(false);
        }
        let mut tx = self.read().await?;
        let (applied,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT count(*) FROM kerato_migrations")
            .fetch_one(&mut **c)
            .await)?;
        Ok(applied > 0)
    }

    /// Checks the database's physical integrity: `PRAGMA integrity_check` on
    /// SQLite; on PostgreSQL, a full read of every table and, where the
    /// amcheck extension is installed, a B-tree check of every index.
    /// Returns the problems found; empty means the database is sound.
    pub async fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        match &self.pool {
            Pool::Sqlite { readers, .. } => {
                let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_all(readers)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(r,)| r)
                    .filter(|r| r != "ok")
                    .collect())
            }
            Pool::Postgres(p) => {
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(p)
                .await?;
                for (table,) in &tables {
                    // Table names come from the catalogue, not from input;
                    // quoting keeps any odd name a single identifier.
                    let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
                }
                let amcheck: Option<(String,)> = sqlx::query_as(
                    "SELECT extname::text FROM pg_extension WHERE extname = 'amcheck'",
                )
                .fetch_optional(p)
                .await?;
                if amcheck.is_some() {
                    sqlx::query(
                        "SELECT bt_index_check(i.indexrelid) FROM pg_index i \
                         JOIN pg_class c ON c.oid = i.indexrelid \
                         JOIN pg_am a ON a.oid = c.relam \
                         WHERE a.amname = 'btree' AND c.relnamespace = current_schema()::regnamespace",
                    )
                    .execute(p)
                    .await?;
                }
                Ok(Vec::new())
            }
        }
    }

    /// Brings the database to a steady state after a bulk load: on SQLite
    /// the whole write-ahead log is copied into the file and emptied (a
    /// checkpoint of gigabytes would otherwise compete with every commit's
    /// fsync for minutes); on PostgreSQL the planner's statistics are
    /// refreshed. The benchmarks call it between filling and measuring.
    pub async fn settle(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite { writer, .. } => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(writer)
                    .await?;
            }
            Pool::Postgres(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }

    /// Closes every connection; on SQLite the last close checkpoints the WAL
    /// into the main file.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { writer, readers } => {
                readers.close().await;
                writer.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// SQLCipher's version, or `None` for a plain SQLite build or PostgreSQL.
    pub async fn cipher_version(&self) -> Result<Option<String>, StoreError> {
        match &self.pool {
            Pool::Sqlite { readers, .. } => {
                let row: Option<(String,)> = sqlx::query_as("PRAGMA cipher_version")
                    .fetch_optional(readers)
                    .await?;
                Ok(row.map(|(v,)| v))
            }
            Pool::Postgres(_) => Ok(None),
        }
    }
}

/// sqlx's connection errors can quote the URL; keep the password out of
/// anything we print.
fn redact_url_error(err: &sqlx::Error) -> String {
    let text = err.to_string();
    match text.find("://") {
        Some(start) => match text[start + 3..].find('@') {
            Some(at) => format!("{}://[redacted]{}", &text[..start], &text[start + 3 + at..]),
            None => text,
        },
        None => text,
    }
}
