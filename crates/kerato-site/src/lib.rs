//! The vendor site (`kerato site`): the public website, the customer
//! portal and the privacy center.
//!
//! It never holds protected health information. It depends on no clinical
//! crate: the shared rules come from `kerato-core`, the storage engine from
//! `kerato-db` and the HTTP pieces from `kerato-http`; `tests/boundary.rs`
//! checks the dependency list and scans the schema for PHI-like columns.
//! Its database is its own (an encrypted SQLite file or PostgreSQL), with
//! its own migrations in `migrations/`.
//!
//! Each area is a folder of layers: `rules` (pure, no I/O), `store` (its
//! SQL, the only place with any), its use cases (one module per group,
//! taking `&Site`), and `pages` (handlers and HTML: extract, one use case,
//! render). Pages call use cases, use cases call the store and the rules,
//! never back; areas depend on each other without cycles. The shared
//! infrastructure sits beside them: `config`, `schema`, `audit`, `mail`
//! (outbox, delivery, inbound parsing), `web` (layout, error, visitor),
//! `fields`, the card `processor`, and `server`, which wires the routes and
//! timers. `tests/it/layers.rs` checks all of this on the source tree.

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod billing;
pub mod config;
pub mod consents;
pub mod demo;
pub mod demo_requests;
mod fields;
pub mod mail;
pub mod marketing;
pub mod policies;
pub mod portal;
pub mod processor;
pub mod processor_double;
pub mod public;
pub mod retention;
pub mod rights;
pub mod schema;
mod server;
pub mod staff;
pub mod telemetry;
pub mod tickets;
pub mod usage_log;
mod web;

use std::sync::Arc;

use kerato_core::time::{Clock, Timestamp};
use kerato_db::Store;
use kerato_http::layout::Notice;

pub use config::SiteConfig;
pub use server::router;
pub use tickets::import::{ImportReport, import_maildir};
pub use web::SiteError;

/// The largest request body a form may send: a support ticket's text with
/// room to spare. Larger bodies are refused before they are read.
pub const MAX_BODY_BYTES: usize = kerato_http::extract::MAX_BODY_BYTES;

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
    pub notices: Arc<std::sync::RwLock<Vec<Notice>>>,
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
}
