//! Serving: the clinic system, the vendor site, and the demo of both.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use kerato_app::App;
use kerato_app::clock::{DemoClock, SystemClock};
use kerato_domain::time::Clock;
use kerato_store::{ClinicSchema, OpenMode, Store};
use kerato_web::WebOptions;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::cli::DataArgs;
use crate::config::{Config, TlsMode};
use crate::datadir;

/// Decides whether to serve TLS, and refuses plain HTTP off loopback.
fn tls_settings(config: &Config, data_dir: &Path) -> Result<Option<RustlsConfig>> {
    let exposed: Vec<SocketAddr> = config
        .server
        .bind
        .iter()
        .copied()
        .filter(|a| !a.ip().is_loopback())
        .collect();
    let use_tls = match config.tls.mode {
        TlsMode::On => true,
        TlsMode::Auto => !exposed.is_empty(),
        TlsMode::Off => {
            if let Some(addr) = exposed.first() {
                bail!(
                    "refusing to serve plain HTTP on {addr}: it is not a loopback address, and PHI must be encrypted in transit; drop --tls off to use the certificate"
                );
            }
            false
        }
    };
    if !use_tls {
        return Ok(None);
    }
    let (cert_path, key_path) = datadir::cert_paths(config, data_dir);
    if !cert_path.exists() || !key_path.exists() {
        let why = match exposed.first() {
            Some(addr) => {
                format!("refusing to serve plain HTTP on {addr}, which is not a loopback address")
            }
            None => "TLS is on".to_string(),
        };
        bail!(
            "{why}, but there is no TLS certificate at {}: run `kerato init` to make a self-signed one, or set tls.cert_file and tls.key_file",
            cert_path.display()
        );
    }
    Ok(Some(rustls_config(&cert_path, &key_path)?))
}

/// TLS 1.2 and 1.3 only, with the ring provider; HTTP/2 and HTTP/1.1.
pub fn rustls_config(cert_path: &Path, key_path: &Path) -> Result<RustlsConfig> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .with_context(|| format!("reading certificate {}", cert_path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing certificate {}", cert_path.display()))?;
    let key = PrivateKeyDer::from_pem_file(key_path)
        .with_context(|| format!("reading private key {}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not match or are not supported")?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(server)))
}

/// A listening socket, bound before anything is served so that a port in
/// use fails first and the real port (after `:0`) is known for links.
struct Bound {
    listener: std::net::TcpListener,
    local: SocketAddr,
}

fn bind(addr: SocketAddr) -> Result<Bound> {
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("listening on {addr}"))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    Ok(Bound { listener, local })
}

/// The address links in e-mail point to: `server.public_url`, or the first
/// listener's, with this machine's host name in place of an unspecified
/// address (0.0.0.0 or [::]), which no browser can open.
fn public_url(config: &Config, first: SocketAddr, tls: bool) -> Result<String> {
    if let Some(url) = &config.server.public_url {
        let url = url.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => {
                return Ok(url.to_string());
            }
            _ => bail!(
                "server.public_url must be http:// or https:// and a host with an optional port, such as https://clinic.example.internal:8443, not {url:?}"
            ),
        }
    }
    let scheme = if tls { "https" } else { "http" };
    if first.ip().is_unspecified() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        Ok(format!("{scheme}://{host}:{}", first.port()))
    } else {
        Ok(format!("{scheme}://{first}"))
    }
}

/// Serves each bound listener until SIGINT or SIGTERM and shuts down
/// gracefully.
async fn run_servers(servers: Vec<(Bound, Router, Option<RustlsConfig>, &str)>) -> Result<()> {
    let handle: Handle<SocketAddr> = Handle::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (bound, router, tls, label) in servers {
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("{label} listening on {scheme}://{}", bound.local);
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let handle = handle.clone();
        match tls {
            Some(tls) => {
                let server =
                    axum_server::tls_rustls::from_tcp_rustls(bound.listener, tls)?.handle(handle);
                tasks.spawn(async move { server.serve(service).await });
            }
            None => {
                let server = axum_server::from_tcp(bound.listener)?.handle(handle);
                tasks.spawn(async move { server.serve(service).await });
            }
        }
    }
    tokio::select! {
        () = shutdown_signal() => {
            tracing::info!("shutting down");
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
            while tasks.join_next().await.is_some() {}
            Ok(())
        }
        Some(result) = tasks.join_next() => {
            result.context("server task")?.context("server")?;
            bail!("a listener stopped unexpectedly")
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn ready_store(config: &Config, store: &Store, clock: &dyn Clock) -> Result<()> {
    if config.database.auto_migrate {
        let applied = store.migrate(clock.now()).await?;
        if applied > 0 {
            tracing::info!(applied, "applied pending migrations");
        }
    } else {
        let status = store.schema_status().await?;
        if !status.pending.is_empty() {
            bail!(
                "the database schema is at version {} of {}: run `kerato migrate` (auto_migrate is off)",
                status.current,
                status.latest
            );
        }
    }
    Ok(())
}

/// Sends the biopsy log's overdue alerts and the privacy requests' alarms
/// every minute, whatever the mail settings (they go to staff inboxes
/// inside Kerato); hourly deletes the access packages whose link expired;
/// and runs the retention job at start and then once a day.
fn start_clinical_timers(app: &App) {
    let app = app.clone();
    tokio::spawn(async move {
        for minute in 0u64.. {
            match app.send_biopsy_alerts().await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "biopsy alerts sent"),
                Err(e) => tracing::error!(error = %e, "sending biopsy alerts failed"),
            }
            match app.send_rights_alarms().await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "privacy request alarms sent"),
                Err(e) => tracing::error!(error = %e, "sending privacy request alarms failed"),
            }
            if minute % (24 * 60) == 0 {
                match app.run_retention(false).await {
                    // Counts only: the report names no record.
                    Ok(report) => tracing::info!(
                        summary = %crate::datadir::retention_lines(&report).join(" "),
                        "retention run"
                    ),
                    Err(e) => tracing::error!(error = %e, "the retention run failed"),
                }
            }
            if minute % 60 == 0 {
                match app.purge_expired_downloads().await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "expired access packages deleted"),
                    Err(e) => {
                        tracing::error!(error = %e, "deleting expired access packages failed")
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}

/// The e-mail and SMS settings of the configuration, checked at start so a
/// mistyped URL stops the server with the reason; set, they win over those
/// the set-up saves.
fn configured_messaging(config: &Config) -> Result<kerato_app::setup::ConfiguredMessaging> {
    let smtp_url = config
        .mail
        .smtp_url
        .as_ref()
        .map(|u| u.expose().to_string());
    if let Some(url) = &smtp_url {
        kerato_app::reminders::Mailer::from_url(url, &config.mail.from)
            .map_err(anyhow::Error::msg)?;
    }
    let sms_token = config
        .mail
        .sms_token
        .as_ref()
        .map(|t| t.expose().to_string());
    if let Some(url) = &config.mail.sms_gateway_url {
        let token = sms_token.as_deref().ok_or_else(|| {
            anyhow::anyhow!("mail.sms_gateway_url is set but mail.sms_token is not; set both")
        })?;
        kerato_app::reminders::SmsGateway::new(url, token).map_err(anyhow::Error::msg)?;
    }
    Ok(kerato_app::setup::ConfiguredMessaging {
        smtp_url,
        from: config.mail.from.clone(),
        sms_gateway_url: config.mail.sms_gateway_url.clone(),
        sms_token,
    })
}

/// Queues reminders and delivers the outbox on a timer, through the
/// channels in force at each round: the configuration's, or those the
/// set-up saved (so they apply without a restart). With neither, messages
/// wait in the outbox.
fn start_mail_worker(config: &Config, app: &App) {
    let app = app.clone();
    let every = Duration::from_secs(config.mail.interval_seconds.max(1));
    tokio::spawn(async move {
        loop {
            if let Err(e) = app.queue_reminders().await {
                tracing::error!(error = %e, "queueing reminders failed");
            }
            match app.messaging_channels().await {
                Ok(channels) => {
                    let email = match &channels.mailer {
                        Some(m) => app.deliver_outbox(m, 100).await,
                        None => Ok((0, 0)),
                    };
                    let text = match &channels.sms {
                        Some(g) => app.deliver_sms(g, 100).await,
                        None => Ok((0, 0)),
                    };
                    for (channel, outcome) in [("email", email), ("sms", text)] {
                        match outcome {
                            Ok((sent, failed)) if sent + failed > 0 => {
                                tracing::info!(channel, sent, failed, "outbox delivered")
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::error!(channel, error = %e, "outbox delivery failed")
                            }
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "the messaging settings cannot be used"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// When the practice turned telemetry on, sends yesterday's report (UTC)
/// at start and then shortly after each UTC midnight. A report resent
/// after a restart replaces the earlier one at the vendor, so sending at
/// start is harmless and covers a day missed while the server was down.
/// The log says whether a send worked, never what it carried.
fn start_telemetry(config: &Config, app: &App) -> Result<()> {
    if !config.telemetry.enabled {
        return Ok(());
    }
    let url = config.telemetry.url.clone();
    kerato_app::telemetry::check_url(&url).map_err(anyhow::Error::msg)?;
    let app = app.clone();
    tokio::spawn(async move {
        loop {
            match app.yesterdays_telemetry_report().await {
                Ok(report) => match kerato_app::telemetry::send_report(&url, &report).await {
                    Ok(()) => tracing::info!("usage report sent"),
                    Err(e) => tracing::warn!(error = %e, "sending the usage report failed"),
                },
                Err(e) => tracing::error!(error = %e, "making the usage report failed"),
            }
            tokio::time::sleep(until_after_midnight(app.now())).await;
        }
    });
    Ok(())
}

/// How long from `now` to ten minutes past the next UTC midnight, when
/// yesterday is whole; a day if the calendar cannot say (the year 9999).
fn until_after_midnight(now: kerato_domain::time::Timestamp) -> Duration {
    let day = Duration::from_secs(24 * 3600);
    let next = now
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .and_then(|d| d.at(0, 10, 0, 0).to_zoned_datetime(jiff::tz::TimeZone::UTC));
    match next {
        Ok(at) => {
            let micros = at.timestamp().as_microsecond() - now.as_micros();
            u64::try_from(micros).map_or(day, Duration::from_micros)
        }
        Err(_) => day,
    }
}

/// Delivers the vendor site's outbox when an SMTP server is configured
/// (the same `[mail]` settings as the clinic's); otherwise mail stays
/// queued.
fn start_site_mail(config: &Config, site: &kerato_site::Site) -> Result<()> {
    if let Some(url) = &config.mail.smtp_url {
        let mailer = kerato_site::mail::Mailer::from_url(url.expose(), &config.mail.from)
            .map_err(anyhow::Error::msg)?;
        kerato_site::mail::start_worker(
            site.clone(),
            mailer,
            Duration::from_secs(config.mail.interval_seconds.max(1)),
        );
    }
    Ok(())
}

pub async fn serve(config: &Config, data: &DataArgs) -> Result<()> {
    let tls = tls_settings(config, &data.data_dir)?;
    let clock = Arc::new(SystemClock);
    let listeners = config
        .server
        .bind
        .iter()
        .map(|addr| bind(*addr))
        .collect::<Result<Vec<_>>>()?;
    let first = listeners
        .first()
        .map(|b| b.local)
        .context("server.bind lists no address")?;
    let url = public_url(config, first, tls.is_some())?;
    let store = datadir::open_store(config, data, OpenMode::Existing).await?;
    ready_store(config, &store, clock.as_ref()).await?;
    let app = datadir::attach_files(
        App::new(store.clone(), clock)
            .with_public_url(&url)
            .with_configured_messaging(configured_messaging(config)?),
        config,
        &data.data_dir,
    );
    println!("links in e-mail point to {url} (server.public_url)");
    start_mail_worker(config, &app);
    start_clinical_timers(&app);
    start_telemetry(config, &app)?;
    let options = WebOptions { tls: tls.is_some() };
    let servers = listeners
        .into_iter()
        .map(|bound| {
            (
                bound,
                kerato_web::router(app.clone(), options),
                tls.clone(),
                "clinic",
            )
        })
        .collect();
    let result = run_servers(servers).await;
    store.close().await;
    result
}

pub async fn site(config: &Config, bind: SocketAddr, data_dir: &Path) -> Result<()> {
    if !bind.ip().is_loopback() {
        bail!(
            "the vendor site serves only loopback addresses until it has its own TLS setup; use 127.0.0.1"
        );
    }
    let bound = self::bind(bind)?;
    let site = datadir::open_site(
        config,
        data_dir,
        Arc::new(SystemClock),
        OpenMode::CreateIfMissing,
    )
    .await?;
    site.start_timers();
    start_site_mail(config, &site)?;
    let store = site.store.clone();
    let result = run_servers(vec![(
        bound,
        kerato_site::router(site, false),
        None,
        "site",
    )])
    .await;
    store.close().await;
    result
}

pub async fn demo(
    config: &Config,
    data: &DataArgs,
    site_bind: SocketAddr,
    days_ahead: u16,
    start: Option<kerato_domain::time::Timestamp>,
) -> Result<()> {
    for addr in config.server.bind.iter().chain([&site_bind]) {
        if !addr.ip().is_loopback() {
            bail!("the demo serves loopback addresses only; {addr} is not one");
        }
    }
    let clock = Arc::new(
        match start {
            Some(at) => DemoClock::starting_at(at, days_ahead),
            None => DemoClock::days_ahead(days_ahead),
        }
        .map_err(anyhow::Error::msg)?,
    );
    let clinic_bind = config.server.bind.first().copied().unwrap_or(site_bind);
    // Both listeners first: the ports they really got (`:0` in tests) are
    // where the links in each deployment's e-mail must point.
    let clinic_listener = bind(clinic_bind)?;
    let site_listener = bind(site_bind)?;
    let prepared = datadir::prepare(config, data, &[], clock.as_ref()).await?;
    // The demo's card payments go to the local processor double, on a free
    // port so that several demos (and the browser tests) can run at once.
    let double = kerato_site::processor_double::spawn_processor_double("127.0.0.1:0").await?;
    let mut site_config = config.clone();
    site_config.site.payment_processor_url = double.url.clone();
    site_config.site.public_url = format!("http://{}", site_listener.local);
    let site = datadir::open_site(
        &site_config,
        &data.data_dir.join("site"),
        clock.clone(),
        OpenMode::CreateIfMissing,
    )
    .await?;
    let app = datadir::attach_files(
        App::new(prepared.store.clone(), clock)
            .with_public_url(&format!("http://{}", clinic_listener.local))
            .with_configured_messaging(configured_messaging(config)?),
        config,
        &data.data_dir,
    );
    // The two deployments' databases are apart, so the vendor site is
    // seeded on another thread while the clinic's year is told.
    let site_seeded = tokio::spawn({
        let site = site.clone();
        async move { kerato_site::demo::seed(&site).await }
    });
    let seeded = kerato_app::demo::seed(&app).await?;
    if let Some(at) = start {
        println!("the demo's clock started at {at}");
    }
    if days_ahead > 0 {
        println!("training mode: the demo's clock runs {days_ahead} days ahead");
    }
    // The clinic's mail goes out as under `kerato serve` when an SMTP server
    // (or SMS gateway) is configured; without one it stays queued.
    start_mail_worker(config, &app);
    start_clinical_timers(&app);
    // The demo sends nothing unless its configuration turns telemetry on.
    start_telemetry(config, &app)?;
    match &seeded {
        kerato_app::demo::Seeded::Created(org) => {
            println!(
                "demo data created in {} for {}",
                data.data_dir.display(),
                org.name
            );
        }
        kerato_app::demo::Seeded::Reused(org) => {
            println!(
                "reusing demo data in {} for {}",
                data.data_dir.display(),
                org.name
            );
        }
    }
    println!(
        "demo logins (password \"{}\" for all):",
        kerato_app::demo::DEMO_PASSWORD
    );
    for role in kerato_domain::identity::Role::ALL {
        let mfa = if role.mfa_always_required() {
            " (MFA: add the key below to an authenticator app)"
        } else {
            ""
        };
        println!(
            "  {:<18} {}{mfa}",
            role.as_str(),
            kerato_app::demo::demo_email(*role)
        );
    }
    println!(
        "  authenticator key for admin and privacy_officer: {}",
        kerato_app::demo::DEMO_TOTP_SECRET
    );
    site_seeded.await??;
    site.start_timers();
    start_site_mail(config, &site)?;
    println!(
        "vendor site: {} (its own database in {})",
        site.config.public_url,
        data.data_dir.join("site").display()
    );
    println!(
        "  vendor staff (password \"{}\", authenticator key {}):",
        kerato_site::demo::DEMO_PASSWORD,
        kerato_site::demo::DEMO_TOTP_SECRET
    );
    for (email, role) in kerato_site::demo::DEMO_STAFF {
        println!("    {:<18} {email}", role.as_str());
    }
    println!(
        "  customer portal: {} (same password, no second factor)",
        kerato_site::demo::DEMO_CUSTOMER
    );
    let options = WebOptions { tls: false };
    let result = run_servers(vec![
        (
            clinic_listener,
            kerato_web::router(app, options),
            None,
            "clinic",
        ),
        (
            site_listener,
            kerato_site::router(site.clone(), false),
            None,
            "site",
        ),
    ])
    .await;
    prepared.store.close().await;
    site.store.close().await;
    result
}
