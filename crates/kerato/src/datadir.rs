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
/// With [`OpenMode::Existing`] (every command but `init` and `demo`), a
/// database that holds no Kerato data is refused with the reason, before
/// anything could be written to it: a mistyped `--data-dir` must not
/// quietly become a new, empty installation.
pub async fn open_store(config: &Config, data: &DataArgs, mode: OpenMode) -> Result<Store> {
    if let Some(url) = &config.database.url {
        let store = Store::open_postgres(url.expose(), config.database.max_connections).await?;
        if mode == OpenMode::Existing && !store.has_schema().await? {
            let location = store.location().to_string();
            store.close().await;
            bail!(
                "the database at {location} holds no Kerato data: run `kerato init --database-url …` to create an installation there, or point --database-url at the database that holds yours (data directory {})",
                data.data_dir.display()
            );
        }
        return Ok(store);
    }
    let path = data.data_dir.join(DB_FILE);
    if mode == OpenMode::Existing {
        let empty = std::fs::metadata(&path).map(|m| m.len() == 0);
        match empty {
            Err(_) => bail!(
                "no database at {}: run `kerato init --data-dir {}` first, or point --data-dir at the directory that holds your data",
                path.display(),
                data.data_dir.display()
            ),
            Ok(true) => bail!(
                "{} is empty and holds no Kerato data: run `kerato init --data-dir {}` for a new installation, or restore the database from a backup",
                path.display(),
                data.data_dir.display()
            ),
            Ok(false) => {}
        }
    }
    let key = resolve_key(config, &data.data_dir)?;
    let store = Store::open_sqlite(SqliteOptions {
        path: path.clone(),
        key: Some(key),
        mode,
        max_connections: config.database.max_connections,
    })
    .await?;
    if mode == OpenMode::Existing && !store.has_schema().await? {
        store.close().await;
        bail!(
            "{} holds no Kerato data: run `kerato init --data-dir {}` for a new installation, or point --data-dir at the directory that holds your data",
            path.display(),
            data.data_dir.display()
        );
    }
    Ok(store)
}

/// Opens the vendor site's own database and prepares it: PostgreSQL when
/// `KERATO_SITE_DATABASE_URL` is set, otherwise `<dir>/site.db`, encrypted
/// with `<dir>/site.key`. The site has no init step (it holds no PHI and
/// starts empty), so its first start (`mode` [`OpenMode::CreateIfMissing`]:
/// `kerato site`, the demo) makes them; every other command
/// ([`OpenMode::Existing`]) refuses a directory or database that holds no
/// site data, with the reason, and creates nothing. A database whose key
/// is missing is refused either way: a new key would never open it.
pub async fn open_site(
    config: &Config,
    dir: &Path,
    clock: Arc<dyn Clock>,
    mode: OpenMode,
) -> Result<kerato_site::Site> {
    let store = match std::env::var("KERATO_SITE_DATABASE_URL") {
        Ok(url) => {
            let store = Store::open_postgres(&url, config.database.max_connections).await?;
            if mode == OpenMode::Existing && !store.has_schema().await? {
                let location = store.location().to_string();
                store.close().await;
                bail!(
                    "the database at {location} (KERATO_SITE_DATABASE_URL) holds no vendor site data: start `kerato site` on it once to create the site there, or point KERATO_SITE_DATABASE_URL at the site's database"
                );
            }
            store
        }
        Err(_) => {
            let key_path = dir.join(SITE_KEY_FILE);
            let db_path = dir.join(SITE_DB_FILE);
            let has_db = std::fs::metadata(&db_path).is_ok_and(|m| m.len() > 0);
            if mode == OpenMode::Existing && !has_db {
                bail!(
                    "no vendor site data in {}: {} does not exist or is empty. Point --data-dir at the site's data directory, or start `kerato site --data-dir {}` once to create the site",
                    dir.display(),
                    db_path.display(),
                    dir.display()
                );
            }
            if db_path.exists() && !key_path.exists() {
                bail!(
                    "{} is there but its key {} is missing: restore the key file; a new key would not open the database",
                    db_path.display(),
                    key_path.display()
                );
            }
            if mode == OpenMode::CreateIfMissing {
                create_private_dir(dir)?;
                if !key_path.exists() {
                    let key = DbKey::from_bytes(rand::random());
                    create_private_file(&key_path, format!("{}\n", key.to_hex()).as_bytes())?;
                }
            }
            let store = Store::open_sqlite(SqliteOptions {
                path: db_path.clone(),
                key: Some(DbKey::from_file(&key_path)?),
                mode,
                max_connections: config.database.max_connections,
            })
            .await?;
            if mode == OpenMode::Existing && !store.has_schema().await? {
                store.close().await;
                bail!(
                    "{} holds no vendor site data: point --data-dir at the site's data directory, or start `kerato site --data-dir {}` once to create the site",
                    db_path.display(),
                    dir.display()
                );
            }
            store
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

/// The report as lines of counts, headed by the run's own date (UTC); each
/// line says which records it counts. It names practices by ID and no
/// record.
pub fn retention_lines(report: &kerato_app::retention::RetentionReport) -> Vec<String> {
    use kerato_domain::retention::{Action, DataClass, action};
    // The audit trail is pseudonymised, not deleted, and its line says so.
    let verb = |class| match (action(class), report.dry_run) {
        (Action::Delete, true) => "would delete",
        (Action::Delete, false) => "deleted",
        (Action::Pseudonymise, true) => "would pseudonymise",
        (Action::Pseudonymise, false) => "pseudonymised",
    };
    // What one record of each class is, as the job counts them.
    let records = |class| match class {
        DataClass::ClinicalAdult => "charts of adults",
        DataClass::ClinicalMinor => "charts of minors",
        DataClass::MarketingData => "patients' marketing answers",
        DataClass::ChildNonClinical => "under-13s' marketing answers",
        DataClass::FtcRxConfirmation => "prescription release confirmations",
        DataClass::UsageLogs => "staff sign-in sessions",
        DataClass::HipaaDocumentation => {
            "disclosures, answered privacy requests and policy acknowledgements"
        }
        DataClass::AuditTrail => "audit events",
        DataClass::AccountData => "vendor site accounts",
    };
    let practices = report.practices.len();
    let mut lines = vec![format!(
        "retention run on {} UTC{}, {practices} practice{}:",
        report.ran_at.to_jiff().strftime("%Y-%m-%d %H:%M"),
        if report.dry_run { " (dry run)" } else { "" },
        if practices == 1 { "" } else { "s" }
    )];
    for practice in &report.practices {
        lines.push(format!(
            "practice {} on its local date {}{}:",
            practice.organisation,
            practice.today,
            if report.dry_run { " (dry run)" } else { "" }
        ));
        for (class, n) in &practice.classes {
            lines.push(format!(
                "  {}: {} {} {} ({} rows); {} due but under a legal hold; {} due but kept while part must stay",
                class.label(),
                verb(*class),
                n.records,
                records(*class),
                n.rows,
                n.held,
                n.kept
            ));
        }
    }
    lines
}
