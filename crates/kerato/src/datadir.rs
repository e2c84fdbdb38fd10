//! The data directory: creating it, finding its key, opening its store.
//!
//! Layout: `kerato.db` (SQLCipher), `db.key` (hex, mode 0600), `tls/cert.pem`
//! and `tls/key.pem` (mode 0600), and an optional `kerato.toml`.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use kerato_app::App;
use kerato_app::clock::SystemClock;
use kerato_domain::tenancy::OrganisationKind;
use kerato_domain::time::Clock;
use kerato_store::{ClinicSchema, DbKey, OpenMode, SqliteOptions, Store};
use sha2::{Digest, Sha256};

use crate::cli::DataArgs;
use crate::config::Config;

pub const DB_FILE: &str = "kerato.db";
pub const KEY_FILE: &str = "db.key";

pub fn cert_paths(config: &Config, data_dir: &Path) -> (PathBuf, PathBuf) {
    (
        config
            .tls
            .cert_file
            .clone()
            .unwrap_or_else(|| data_dir.join("tls/cert.pem")),
        config
            .tls
            .key_file
            .clone()
            .unwrap_or_else(|| data_dir.join("tls/key.pem")),
    )
}

/// Finds the database key: `KERATO_DB_KEY`, then `KERATO_DB_KEY_FILE`, then
/// `database.key_file`, then `<data dir>/db.key`.
pub fn resolve_key(config: &Config, data_dir: &Path) -> Result<DbKey> {
    if let Ok(hex) = std::env::var("KERATO_DB_KEY") {
        return Ok(DbKey::from_hex(&hex, "KERATO_DB_KEY")?);
    }
    let path = std::env::var_os("KERATO_DB_KEY_FILE")
        .map(PathBuf::from)
        .or_else(|| config.database.key_file.clone())
        .unwrap_or_else(|| data_dir.join(KEY_FILE));
    if !path.exists() {
        bail!(
            "no database key: set KERATO_DB_KEY or KERATO_DB_KEY_FILE, or put the key file at {} (kerato init makes it)",
            path.display()
        );
    }
    Ok(DbKey::from_file(&path)?)
}

/// Opens the configured store. `mode` decides whether a missing SQLite file
/// may be created; an existing one is never touched when the key is wrong.
pub async fn open_store(config: &Config, data: &DataArgs, mode: OpenMode) -> Result<Store> {
    if let Some(url) = &config.database.url {
        return Ok(Store::open_postgres(url.expose(), config.database.max_connections).await?);
    }
    let path = data.data_dir.join(DB_FILE);
    if mode == OpenMode::Existing && !path.exists() {
        bail!(
            "no database at {}: run `kerato init --data-dir {}` first",
            path.display(),
            data.data_dir.display()
        );
    }
    let key = resolve_key(config, &data.data_dir)?;
    Ok(Store::open_sqlite(SqliteOptions {
        path,
        key: Some(key),
        mode,
        max_connections: config.database.max_connections,
    })
    .await?)
}

/// Opens the vendor site's own database and prepares it: PostgreSQL when
/// `KERATO_SITE_DATABASE_URL` is set, otherwise `<dir>/site.db`, encrypted
/// with `<dir>/site.key`, both made on first start (the site has no init
/// step: it holds no PHI and starts empty).
pub async fn open_site(
    config: &Config,
    dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<kerato_site::Site> {
    let store = match std::env::var("KERATO_SITE_DATABASE_URL") {
        Ok(url) => Store::open_postgres(&url, config.database.max_connections).await?,
        Err(_) => {
            create_private_dir(dir)?;
            let key_path = dir.join(SITE_KEY_FILE);
            if !key_path.exists() {
                let key = DbKey::from_bytes(rand::random());
                create_private_file(&key_path, format!("{}\n", key.to_hex()).as_bytes())?;
            }
            Store::open_sqlite(SqliteOptions {
                path: dir.join(SITE_DB_FILE),
                key: Some(DbKey::from_file(&key_path)?),
                mode: OpenMode::CreateIfMissing,
                max_connections: config.database.max_connections,
            })
            .await?
        }
    };
    let site = kerato_site::Site::new(store, clock, config.site.clone());
    site.prepare().await?;
    Ok(site)
}

const SITE_DB_FILE: &str = "site.db";
const SITE_KEY_FILE: &str = "site.key";

fn create_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

fn create_private_dir(path: &Path) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// SHA-256 of a DER certificate, as colon-separated hex pairs.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Makes a self-signed certificate for localhost, 127.0.0.1, ::1 and any
/// extra names; returns its fingerprint.
fn make_certificate(cert_path: &Path, key_path: &Path, extra_names: &[String]) -> Result<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    names.extend(extra_names.iter().cloned());
    let certified =
        rcgen::generate_simple_self_signed(names).context("making the TLS certificate")?;
    for p in [cert_path, key_path] {
        if let Some(dir) = p.parent() {
            create_private_dir(dir)?;
        }
    }
    create_private_file(key_path, certified.signing_key.serialize_pem().as_bytes())?;
    create_private_file(cert_path, certified.cert.pem().as_bytes())?;
    Ok(fingerprint(certified.cert.der()))
}

/// What [`prepare`] found or made.
#[derive(Debug)]
pub struct Prepared {
    pub store: Store,
    pub fingerprint: Option<String>,
}

/// Creates whatever of the data directory is missing (directory, key, TLS
/// pair, database, schema) and leaves what exists alone.
pub async fn prepare(
    config: &Config,
    data: &DataArgs,
    extra_names: &[String],
    clock: &dyn Clock,
) -> Result<Prepared> {
    let dir = &data.data_dir;
    create_private_dir(dir)?;
    let db_path = dir.join(DB_FILE);
    if config.database.url.is_none() && !db_path.exists() {
        let key_path = config
            .database
            .key_file
            .clone()
            .unwrap_or_else(|| dir.join(KEY_FILE));
        let key_from_env = std::env::var_os("KERATO_DB_KEY").is_some()
            || std::env::var_os("KERATO_DB_KEY_FILE").is_some();
        if !key_from_env && !key_path.exists() {
            let key = DbKey::from_bytes(rand::random());
            create_private_file(&key_path, format!("{}\n", key.to_hex()).as_bytes())?;
        }
    }
    let (cert_path, key_path) = cert_paths(config, dir);
    let fingerprint = if cert_path.exists() {
        None
    } else {
        Some(make_certificate(&cert_path, &key_path, extra_names)?)
    };
    let store = open_store(config, data, OpenMode::CreateIfMissing).await?;
    store.migrate(clock.now()).await?;
    Ok(Prepared { store, fingerprint })
}

/// The first administrator `kerato init` creates.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub email: String,
    pub name: String,
}

pub async fn init(
    config: &Config,
    data: &DataArgs,
    organisation: &str,
    kind: OrganisationKind,
    admin: &FirstAdmin,
    extra_names: &[String],
) -> Result<()> {
    let db_path = data.data_dir.join(DB_FILE);
    if config.database.url.is_none() && db_path.exists() {
        bail!(
            "{} is already initialised ({} exists); nothing was changed",
            data.data_dir.display(),
            db_path.display()
        );
    }
    let clock = Arc::new(SystemClock);
    let prepared = prepare(config, data, extra_names, clock.as_ref()).await?;
    let app = App::new(prepared.store.clone(), clock);
    // Printed once; the administrator must choose their own at the first
    // sign-in, after enrolling an authenticator.
    let password = kerato_app::identity::one_time_password();
    let created = app
        .bootstrap(organisation, kind, &admin.email, &admin.name, &password)
        .await;
    prepared.store.close().await;
    let (_, user) = created?;
    println!("initialised {}", data.data_dir.display());
    println!("  database: {}", prepared.store.location());
    if config.database.url.is_none() {
        println!(
            "  key file: {} (mode 0600; back it up apart from the data)",
            data.data_dir.join(KEY_FILE).display()
        );
    }
    match prepared.fingerprint {
        Some(fp) => println!("  TLS certificate SHA-256 fingerprint: {fp}"),
        None => println!("  TLS certificate: kept the existing one"),
    }
    println!(
        "  administrator: {} with the one-time password {password}",
        user.email
    );
    println!(
        "  (sign in, set up an authenticator app when asked, then choose your own password: this one works only for that)"
    );
    Ok(())
}

/// `kerato user reset-password`: prints a temporary password for one
/// staff member, who must replace it at their next sign-in.
pub async fn reset_password(config: &Config, data: &DataArgs, email: &str) -> Result<()> {
    let store = open_store(config, data, OpenMode::Existing).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let result = app.unsafe_set_temporary_password(email).await;
    store.close().await;
    let password = result?;
    println!("{email} now has the temporary password {password}");
    println!(
        "  (every session of theirs has ended; they choose their own password at the next sign-in)"
    );
    Ok(())
}

/// `kerato audit verify`: exit status 0 only for an intact chain.
pub async fn verify_audit(config: &Config, data: &DataArgs) -> Result<()> {
    let store = open_store(config, data, OpenMode::Existing).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let result = app.verify_audit_trail().await;
    store.close().await;
    match result? {
        kerato_app::audit::Verification::Intact { events } => {
            println!("audit trail intact: {events} events, hash chain and head match");
            Ok(())
        }
        kerato_app::audit::Verification::Broken(err) => {
            bail!("audit trail broken: {err}")
        }
    }
}

pub async fn migrate(config: &Config, data: &DataArgs) -> Result<()> {
    let store = open_store(config, data, OpenMode::Existing).await?;
    let applied = store.migrate(SystemClock.now()).await?;
    let status = store.schema_status().await?;
    store.close().await;
    println!(
        "applied {applied} migration(s); schema version {}",
        status.current
    );
    Ok(())
}

/// Reports on configuration, key, schema and integrity; fails if any is wrong.
pub async fn check(config: &Config, data: &DataArgs) -> Result<()> {
    println!("config: ok");
    let store = open_store(config, data, OpenMode::Existing).await?;
    println!(
        "backend: {} at {}",
        store.backend().name(),
        store.location()
    );
    if let Some(v) = store.cipher_version().await? {
        println!("key: ok (SQLCipher {v})");
    }
    let status = store.schema_status().await?;
    println!(
        "schema: version {} of {}{}",
        status.current,
        status.latest,
        if status.pending.is_empty() {
            ""
        } else {
            " (run kerato migrate)"
        }
    );
    let problems = store.integrity_check().await?;
    store.close().await;
    if problems.is_empty() {
        println!("integrity_check: ok");
    } else {
        for p in &problems {
            println!("integrity_check: {p}");
        }
        bail!(
            "the database failed its integrity check ({} problem(s))",
            problems.len()
        );
    }
    if !status.pending.is_empty() {
        bail!("the schema is behind this kerato: run `kerato migrate`");
    }
    Ok(())
}

/// Gives `app` the encrypted attachment store (clinical photos) under the
/// data directory, its key derived from the database key. Without a key
/// (a PostgreSQL deployment that never made one) photos are off, and the
/// photo pages say so.
pub fn attach_files(app: App, config: &Config, data_dir: &Path) -> App {
    let Ok(key) = resolve_key(config, data_dir) else {
        tracing::info!("no database key: clinical photos are off until one is configured");
        return app;
    };
    match kerato_store::attachments::AttachmentStore::new(&data_dir.join("attachments"), &key) {
        Ok(files) => app.with_attachments(files),
        Err(e) => {
            tracing::error!(error = %e, "the attachment store could not be opened; clinical photos are off");
            app
        }
    }
}

/// `kerato retention run`: applies the retention schedule as of today
/// and prints the counts per practice and class.
pub async fn run_retention(config: &Config, data: &DataArgs, dry_run: bool) -> Result<()> {
    let store = open_store(config, data, OpenMode::Existing).await?;
    let status = store.schema_status().await?;
    if !status.pending.is_empty() {
        store.close().await;
        bail!("the schema is behind this kerato: run `kerato migrate`");
    }
    let app = attach_files(
        App::new(store.clone(), Arc::new(SystemClock)),
        config,
        &data.data_dir,
    );
    let result = app.run_retention(dry_run).await;
    store.close().await;
    for line in retention_lines(&result?) {
        println!("{line}");
    }
    Ok(())
}

/// Prints yesterday's usage report as it would be sent, so that a practice
/// can see exactly what leaves; nothing is sent. The installation ID is
/// made now if it does not exist yet, since the report would carry it.
pub async fn preview_telemetry(config: &Config, data: &DataArgs) -> Result<()> {
    let store = open_store(config, data, OpenMode::Existing).await?;
    let status = store.schema_status().await?;
    if !status.pending.is_empty() {
        store.close().await;
        bail!("the schema is behind this kerato: run `kerato migrate`");
    }
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let report = app.yesterdays_telemetry_report().await;
    store.close().await;
    println!("{}", serde_json::to_string_pretty(&report?)?);
    Ok(())
}

/// The report as lines of counts; it names practices by ID and no record.
pub fn retention_lines(report: &kerato_app::retention::RetentionReport) -> Vec<String> {
    use kerato_domain::retention::{Action, action};
    // The audit trail is pseudonymised, not deleted, and its line says so.
    let verb = |class| match (action(class), report.dry_run) {
        (Action::Delete, true) => "would delete",
        (Action::Delete, false) => "deleted",
        (Action::Pseudonymise, true) => "would pseudonymise",
        (Action::Pseudonymise, false) => "pseudonymised",
    };
    let mut lines = Vec::new();
    for practice in &report.practices {
        lines.push(format!(
            "practice {} on {}{}:",
            practice.organisation,
            practice.today,
            if report.dry_run { " (dry run)" } else { "" }
        ));
        for (class, n) in &practice.classes {
            lines.push(format!(
                "  {}: {} {} ({} rows); {} held, {} kept",
                class.label(),
                verb(*class),
                n.records,
                n.rows,
                n.held,
                n.kept
            ));
        }
    }
    lines
}
