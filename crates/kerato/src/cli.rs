//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use kerato_store::OpenMode;

use crate::config::{self, Config, TlsMode};
use crate::{bench, bench_http, datadir, import, serve, telemetry};

#[derive(Debug, Parser)]
#[command(name = "kerato", version, about = "Practice management for dermatology, eye care and optical shops", long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Defaults to kerato.toml in the data directory, if present.
    #[arg(long, global = true, env = "KERATO_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Directory holding the database, its key file and the TLS material.
    #[arg(
        long,
        env = "KERATO_DATA_DIR",
        default_value = "./kerato-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,

    /// Use PostgreSQL instead of the embedded encrypted SQLite file.
    #[arg(long, value_name = "postgres://USER@HOST:PORT/DB")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory: database, a random 256-bit key (mode 0600), a self-signed TLS certificate.
    Init {
        #[command(flatten)]
        data: DataArgs,
        /// Name of the practice or group.
        #[arg(long, default_value = "My practice")]
        organisation: String,
        /// Whether the organisation is one practice or a group of practices.
        #[arg(long, value_enum, default_value_t = OrgKind::Practice)]
        kind: OrgKind,
        /// Extra DNS names or IP addresses for the certificate (besides localhost and 127.0.0.1).
        #[arg(long = "san", value_name = "NAME")]
        subject_alt_names: Vec<String>,
        /// E-mail address of the first administrator (their sign-in name).
        #[arg(long, value_name = "EMAIL")]
        admin_email: String,
        /// Name of the first administrator.
        #[arg(long, default_value = "Administrator", value_name = "NAME")]
        admin_name: String,
    },
    /// Run the clinic system.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on; repeat for several. Plain HTTP is allowed only on loopback.
        #[arg(long, value_name = "ADDR")]
        bind: Vec<SocketAddr>,
        /// auto: TLS unless every address is loopback; on: always; off: never (loopback only).
        #[arg(long, value_enum)]
        tls: Option<TlsMode>,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Check configuration, key, schema version and database integrity.
    Check {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print a fully commented example configuration file.
    PrintConfig,
    /// Start the clinic system and the vendor site on loopback with demo data.
    Demo {
        /// Data directory for the demo (kept apart from real data by default).
        #[arg(long, default_value = "./kerato-demo", value_name = "DIR")]
        data_dir: PathBuf,
        /// Address of the clinic system.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        bind: SocketAddr,
        /// Address of the vendor site.
        #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
        site_bind: SocketAddr,
        /// Training mode: run the demo's clock this many days ahead, to see
        /// timers come due (the biopsy log's alerts, recalls) without
        /// waiting.
        #[arg(long, default_value_t = 0, value_name = "DAYS")]
        days_ahead: u16,
        /// Start the demo's clock at this instant (RFC 3339, such as
        /// 2027-01-13T15:00:00Z) and let it run on from there; a new demo is
        /// seeded around it, so it shows the same days whatever today is.
        /// Authenticator codes still follow the real time.
        #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
        clock: Option<kerato_domain::time::Timestamp>,
    },
    /// Run the vendor site.
    Site {
        /// Address to listen on (loopback; TLS for the site arrives with its own deployment work).
        #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
        bind: SocketAddr,
        /// The site's data directory (its encrypted database and key).
        #[arg(long, default_value = "./kerato-site-data", value_name = "DIR")]
        data_dir: PathBuf,
    },
    /// Import support e-mail into the vendor site's tickets from a maildir
    /// (`DIR/new`), redacting patient data on the way in; processed mail
    /// moves to `DIR/cur`, unreadable mail to `DIR/bad`.
    SiteImportMail {
        /// The site's data directory.
        #[arg(long, default_value = "./kerato-site-data", value_name = "DIR")]
        data_dir: PathBuf,
        /// The maildir to read.
        #[arg(long, value_name = "DIR")]
        maildir: PathBuf,
    },
    /// Run the vendor site's retention job now, or show what it would
    /// delete with --dry-run.
    SiteRetention {
        /// The site's data directory.
        #[arg(long, default_value = "./kerato-site-data", value_name = "DIR")]
        data_dir: PathBuf,
        /// Count what is due without deleting it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Measure performance on this machine.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Import patients or appointments from another system's CSV export,
    /// as an administrator; --dry-run reports every row without writing.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Staff accounts, from the box that holds the data.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// Apply the retention schedule.
    Retention {
        #[command(subcommand)]
        what: RetentionCommand,
    },
    /// The opt-in usage telemetry.
    Telemetry {
        #[command(subcommand)]
        what: TelemetryCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Patients, each written as registration writes a chart.
    Patients(import::ImportArgs),
    /// Appointments, for patients imported before (or named by MRN).
    Appointments(import::ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum TelemetryCommand {
    /// Print the JSON report for yesterday (UTC) exactly as it would be
    /// sent, without sending it.
    Preview {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Delete what the retention schedule says is due today, except what a
    /// legal hold covers, and print the counts per class (no record named).
    Run {
        #[command(flatten)]
        data: DataArgs,
        /// Count what is due without deleting anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Give a staff member a temporary password, printed once, that they
    /// must replace at their next sign-in; every session of theirs ends. For
    /// an administrator locked out where e-mail cannot reach them (the
    /// self-service reset link needs mail.smtp_url).
    ResetPassword {
        #[command(flatten)]
        data: DataArgs,
        /// The address the staff member signs in with.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the whole audit trail and name the first bad event.
    Verify {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Inserts/s and point reads/s: SQLCipher vs plain SQLite vs PostgreSQL.
    Store {
        /// Rows to insert (and then read back) per backend.
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
        rows: u32,
        /// PostgreSQL server for the comparison; a fresh database is created on it.
        #[arg(long, env = "KERATO_BENCH_PG_URL", value_name = "URL")]
        database_url: Option<String>,
    },
    /// Patient search and day view latency, and bookings/s, over a large practice.
    FrontDesk {
        /// Patients in the registry.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1000..=5_000_000))]
        patients: u32,
        /// Providers, each with a year of weekday appointments.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
        providers: u32,
        /// PostgreSQL server to run on instead of SQLCipher; a fresh database is created on it.
        #[arg(long, env = "KERATO_BENCH_PG_URL", value_name = "URL")]
        database_url: Option<String>,
    },
    /// Requests/s through the real server on loopback: authenticated patient
    /// reads, searches, day listings, registrations and bookings against an
    /// unauthenticated baseline, with bytes written per request and memory.
    Http {
        /// Patients in the registry.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1000..=5_000_000))]
        patients: u32,
        /// Concurrent keep-alive clients.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
        clients: u32,
        /// Seconds each kind of request runs.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=600))]
        seconds: u32,
        /// PostgreSQL server to run on instead of SQLCipher; a fresh database is created on it.
        #[arg(long, env = "KERATO_BENCH_PG_URL", value_name = "URL")]
        database_url: Option<String>,
    },
    /// Imported patients/s and appointments/s from synthetic OpenEMR exports.
    Import {
        /// Patients to import (and twice as many appointments).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(10..=2_000_000))]
        patients: u32,
        /// PostgreSQL server to run on instead of SQLCipher; a fresh database is created on it.
        #[arg(long, env = "KERATO_BENCH_PG_URL", value_name = "URL")]
        database_url: Option<String>,
    },
    /// Audit-append overhead per write, and audit report latency over many events.
    Audit {
        /// Events in the trail the report queries run over.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(1000..=50_000_000))]
        events: u32,
        /// Writes timed with and without their audit event.
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
        writes: u32,
        /// PostgreSQL server to run on instead of SQLCipher; a fresh database is created on it.
        #[arg(long, env = "KERATO_BENCH_PG_URL", value_name = "URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OrgKind {
    Practice,
    Group,
}

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::PrintConfig => {
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Init {
            data,
            organisation,
            kind,
            subject_alt_names,
            admin_email,
            admin_name,
        } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            let kind = match kind {
                OrgKind::Practice => kerato_domain::tenancy::OrganisationKind::Practice,
                OrgKind::Group => kerato_domain::tenancy::OrganisationKind::Group,
            };
            let admin = datadir::FirstAdmin {
                email: admin_email,
                name: admin_name,
            };
            datadir::init(
                &config,
                &data,
                &organisation,
                kind,
                &admin,
                &subject_alt_names,
            )
            .await
        }
        Command::Serve { data, bind, tls } => {
            let mut config = Config::load(cli.config.as_deref(), &data)?;
            if !bind.is_empty() {
                config.server.bind = bind;
            }
            if let Some(tls) = tls {
                config.tls.mode = tls;
            }
            telemetry::init(&config.log);
            serve::serve(&config, &data).await
        }
        Command::Migrate { data } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            datadir::migrate(&config, &data).await
        }
        Command::Check { data } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            datadir::check(&config, &data).await
        }
        Command::Demo {
            data_dir,
            bind,
            site_bind,
            days_ahead,
            clock,
        } => {
            let data = DataArgs {
                data_dir,
                database_url: None,
            };
            let mut config = Config::load(cli.config.as_deref(), &data)?;
            config.server.bind = vec![bind];
            telemetry::init(&config.log);
            serve::demo(&config, &data, site_bind, days_ahead, clock).await
        }
        Command::SiteImportMail { data_dir, maildir } => {
            let data = DataArgs {
                data_dir,
                database_url: None,
            };
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            let clock = std::sync::Arc::new(kerato_app::clock::SystemClock);
            let site =
                datadir::open_site(&config, &data.data_dir, clock, OpenMode::Existing).await?;
            let report = kerato_site::import_maildir(&site, &maildir).await;
            site.store.close().await;
            let report = report?;
            println!(
                "{} new tickets, {} replies threaded, {} duplicates skipped, {} redacted",
                report.opened, report.threaded, report.duplicates, report.redacted
            );
            for (reason, n) in &report.bad {
                println!("{n} moved to bad/: {reason}");
            }
            Ok(())
        }
        Command::SiteRetention { data_dir, dry_run } => {
            let data = DataArgs {
                data_dir,
                database_url: None,
            };
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            let clock = std::sync::Arc::new(kerato_app::clock::SystemClock);
            let site =
                datadir::open_site(&config, &data.data_dir, clock, OpenMode::Existing).await?;
            let today = kerato_site::retention::utc_date(site.now());
            let report = kerato_site::retention::run(&site, today, dry_run).await;
            site.store.close().await;
            for line in report?.lines() {
                println!("{line}");
            }
            Ok(())
        }
        Command::Site { bind, data_dir } => {
            let data = DataArgs {
                data_dir,
                database_url: None,
            };
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            serve::site(&config, bind, &data.data_dir).await
        }
        Command::Bench { what } => match what {
            BenchCommand::Store { rows, database_url } => {
                bench::store(rows, database_url.as_deref()).await
            }
            BenchCommand::Audit {
                events,
                writes,
                database_url,
            } => bench::audit(events, writes, database_url.as_deref()).await,
            BenchCommand::FrontDesk {
                patients,
                providers,
                database_url,
            } => bench::front_desk(patients, providers, database_url.as_deref()).await,
            BenchCommand::Import {
                patients,
                database_url,
            } => import::bench(patients, database_url.as_deref()).await,
            BenchCommand::Http {
                patients,
                clients,
                seconds,
                database_url,
            } => bench_http::run(patients, clients, seconds, database_url.as_deref()).await,
        },
        Command::Import { what } => {
            let (kind, args) = match &what {
                ImportCommand::Patients(a) => (kerato_domain::import::ImportKind::Patients, a),
                ImportCommand::Appointments(a) => {
                    (kerato_domain::import::ImportKind::Appointments, a)
                }
            };
            let config = Config::load(cli.config.as_deref(), &args.data)?;
            telemetry::init(&config.log);
            import::run(&config, kind, args).await
        }
        Command::Audit {
            what: AuditCommand::Verify { data },
        } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            datadir::verify_audit(&config, &data).await
        }
        Command::User {
            what: UserCommand::ResetPassword { data, email },
        } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            datadir::reset_password(&config, &data, &email).await
        }
        Command::Retention {
            what: RetentionCommand::Run { data, dry_run },
        } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            datadir::run_retention(&config, &data, dry_run).await
        }
        Command::Telemetry {
            what: TelemetryCommand::Preview { data },
        } => {
            let config = Config::load(cli.config.as_deref(), &data)?;
            telemetry::init(&config.log);
            datadir::preview_telemetry(&config, &data).await
        }
    }
}

/// Reads an RFC 3339 instant for `--clock`.
fn parse_instant(raw: &str) -> Result<kerato_domain::time::Timestamp, String> {
    raw.parse::<jiff::Timestamp>()
        .map(kerato_domain::time::Timestamp::from_jiff)
        .map_err(|e| format!("write an RFC 3339 instant such as 2027-01-13T15:00:00Z ({e})"))
}
