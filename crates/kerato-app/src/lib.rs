//! Kerato's use cases. Every read and write of the store goes through here:
//! this is where validation, authorization and (from the identity issue on)
//! the audit trail meet the transaction that carries them.

pub mod audit;
mod authz;
mod batch;
pub mod biopsies;
// The wall clock lives in `kerato-db`, shared with the vendor site.
pub use kerato_db::clock;
pub mod consents;
pub mod demo;
mod error;
pub mod eye;
pub mod identity;
pub mod import;
pub mod lesions;
pub mod patient_data;
pub mod patients;
pub mod policies;
pub mod privacy;
pub mod procedures;
pub mod providers;
pub mod recalls;
mod reference;
pub mod reminders;
pub mod retention;
pub mod rights;
pub mod scheduling;
pub mod setup;
pub mod telemetry;
pub mod tenancy;
pub mod waitlist;

use std::sync::Arc;

use kerato_db::Store;
use kerato_domain::time::{Clock, Timestamp};
use kerato_store::ClinicSchema;

pub use authz::Caller;
pub use error::{AppError, PASSWORD_CHANGE_REQUIRED};

/// The application: a store and a clock. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    limiter: Arc<identity::RateLimiter>,
    /// When each session was last seen, ahead of the deferred writes that
    /// record it.
    seen: Arc<identity::SeenSessions>,
    /// Bookings waiting for the SQLite writer, committed together.
    bookings: Arc<batch::Combiner>,
    /// The practice's set-up as bookings last read it.
    reference: Arc<reference::ReferenceCache>,
    /// Encrypted files beside the database (clinical photos); none when
    /// the deployment has no data-directory key to derive theirs from.
    attachments: Option<Arc<kerato_store::attachments::AttachmentStore>>,
    /// Where staff and patients reach this server (`https://host:port`, no
    /// trailing slash), for the links in e-mail.
    public_url: Arc<str>,
    /// The e-mail and SMS settings of the server's configuration.
    configured_messaging: Arc<setup::ConfiguredMessaging>,
    /// Imports running or done in the background.
    imports: Arc<import::ImportJobs>,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            limiter: Arc::new(identity::RateLimiter::default()),
            seen: Arc::default(),
            bookings: Arc::new(batch::Combiner::default()),
            reference: Arc::new(reference::ReferenceCache::default()),
            attachments: None,
            public_url: Arc::from("http://127.0.0.1:8080"),
            configured_messaging: Arc::default(),
            imports: Arc::new(import::ImportJobs::default()),
        }
    }

    /// Links in e-mail point to `url` (`https://clinic.example:8443`).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// The absolute address of `path` on this server, for a link in an
    /// e-mail: a mail client has no page to resolve a relative link against.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Stores clinical photos and documents in `attachments`.
    pub fn with_attachments(
        mut self,
        attachments: kerato_store::attachments::AttachmentStore,
    ) -> Self {
        self.attachments = Some(Arc::new(attachments));
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Random bits for a new UUIDv7.
    fn random_id_bits(&self) -> [u8; 10] {
        rand::random()
    }

    /// Whether the store answers and its schema is what this binary expects;
    /// what `/readyz` reports.
    pub async fn ready(&self) -> Result<(), AppError> {
        let status = self.store.schema_status().await?;
        if status.pending.is_empty() {
            Ok(())
        } else {
            Err(AppError::NotReady(format!(
                "database schema is at version {} of {}: run `kerato migrate`",
                status.current, status.latest
            )))
        }
    }
}
