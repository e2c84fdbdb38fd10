//! The vendor site (`kerato site`): the public website, the customer
//! portal and the privacy center.
//!
//! It never holds protected health information. It depends on no clinical
//! crate: the shared rules come from `kerato-core`, the storage engine from
//! `kerato-db` and the HTTP pieces from `kerato-http`; `tests/boundary.rs`
//! checks the dependency list and scans the schema for PHI-like columns.
//! Its database is its own (an encrypted SQLite file or PostgreSQL), with
//! its own migrations in `migrations/`.

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod config;
pub mod consents;
mod cookies;
pub mod demo;
pub mod demo_requests;
mod inbound;
pub mod mail;
pub mod mail_import;
pub mod marketing;
pub mod outbox;
mod pages;
pub mod person_data;
pub mod policies;
mod portal;
pub mod processor;
pub mod processor_double;
mod recovery;
pub mod retention;
pub mod rights;
pub mod schema;
pub mod staff;
pub mod telemetry;
mod ticket_pages;
pub mod tickets;
pub mod usage_log;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use kerato_core::time::{Clock, Timestamp};
use kerato_db::Store;
use kerato_http::Tls;

pub use config::SiteConfig;
pub use mail_import::{ImportReport, import_maildir};
pub use web::SiteError;

/// The largest request body a form may send: a support ticket's text with
/// room to spare. Larger bodies are refused before they are read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct Site {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<SiteConfig>,
    /// The card processor invoices are paid through.
    pub payments: Arc<dyn processor::PaymentProcessor>,
    /// Whether the site is served over TLS (set by [`router`]): it decides
    /// `Secure` cookies and the `__Host-` prefix.
    pub tls: bool,
    /// The announced material policy changes not yet in effect, shown in a
    /// banner on every page; refreshed at start and on each publication.
    pub notices: Arc<std::sync::RwLock<Vec<policies::Notice>>>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("store", &self.store.location())
            .finish_non_exhaustive()
    }
}

impl Site {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: SiteConfig) -> Self {
        Self {
            store,
            clock,
            payments: processor::processor_from_config(&config),
            config: Arc::new(config),
            tls: false,
            notices: Arc::default(),
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Starts the site's timers: every minute, the privacy requests'
    /// alarms; once a day, the retention job and the month's invoices
    /// (issuing is idempotent, so every day of the month after the first
    /// finds nothing new, and a subscription started mid-month is invoiced
    /// the next day). The first daily run is a minute after start, so a
    /// restart does not skip a day.
    pub fn start_timers(&self) {
        let site = self.clone();
        tokio::spawn(async move {
            loop {
                match rights::send_alarms(&site).await {
                    Ok(0) => {}
                    Ok(sent) => tracing::info!(sent, "privacy request alarms sent"),
                    Err(e) => tracing::error!(error = %e, "sending privacy request alarms failed"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
        });
        let site = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            loop {
                let today = retention::utc_date(site.now());
                match retention::run(&site, today, false).await {
                    Ok(report) => tracing::info!(
                        deleted = report.classes.iter().map(|c| c.deleted).sum::<u64>(),
                        "site retention run"
                    ),
                    Err(e) => tracing::error!(error = %e, "site retention run failed"),
                }
                match billing::issue_invoices(&site, billing::month_of(today)).await {
                    Ok(0) => {}
                    Ok(issued) => tracing::info!(issued, "invoices issued"),
                    Err(e) => tracing::error!(error = %e, "issuing invoices failed"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
            }
        });
    }

    /// Brings the schema up to date and puts the first policy documents in
    /// place; safe to run at every start.
    pub async fn prepare(&self) -> Result<(), SiteError> {
        self.store
            .apply_migrations(schema::MIGRATIONS, None, self.now())
            .await?;
        policies::seed(self).await?;
        policies::refresh_notices(self).await
    }
}

/// The vendor site's routes, with its security headers and CSRF layer.
pub fn router(mut site: Site, tls: bool) -> Router {
    site.tls = tls;
    let r = Router::new();
    let r = pages::routes(r);
    let r = policies::routes(r);
    let r = demo_requests::routes(r);
    let r = auth::routes(r);
    let r = portal::routes(r);
    let r = recovery::routes(r);
    let r = billing::routes(r);
    let r = staff::routes(r);
    let r = telemetry::routes(r);
    let r = cookies::routes(r);
    let r = analytics::routes(r);
    let r = rights::routes(r);
    let r = marketing::routes(r);
    let r = ticket_pages::routes(r);
    r.fallback(web::not_found)
        .layer(middleware::from_fn_with_state(
            (site.clone(), Tls(tls)),
            cookies::layer,
        ))
        .layer(middleware::from_fn_with_state(
            Tls(tls),
            kerato_http::csrf::layer,
        ))
        .layer(middleware::from_fn_with_state(
            Tls(tls),
            kerato_http::headers::layer,
        ))
        .layer(middleware::from_fn_with_state(
            site.clone(),
            usage_log::layer,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(site)
}
