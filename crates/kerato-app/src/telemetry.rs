//! The clinic's side of the opt-in usage telemetry
//! (`kerato_domain::telemetry`): the report of a day's counts, the random
//! installation ID it carries, and sending it to the vendor.
//!
//! Nothing here runs unless the practice turns telemetry on; `kerato
//! telemetry preview` shows the exact report without sending it.

use std::time::Duration;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use kerato_domain::ValidationErrors;
use kerato_domain::telemetry::Report;
use kerato_domain::time::Timestamp;
use kerato_store::{meta, telemetry as store};
use uuid::Uuid;

use crate::reminders::outbound_url;
use crate::{App, AppError};

/// The `kerato_meta` key holding the installation ID.
const INSTALLATION_KEY: &str = "telemetry_installation";

/// How long a send may take: the report is small, and a vendor site that
/// does not answer must not hold the daily task.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The first instant of a UTC day, in microseconds.
fn day_start(day: Date) -> Result<i64, AppError> {
    let start = day.to_zoned_datetime(TimeZone::UTC).map_err(|e| {
        AppError::Validation(ValidationErrors::single("day", format!("{day}: {e}")))
    })?;
    Ok(Timestamp::from_jiff(start.timestamp()).as_micros())
}

impl App {
    /// The random ID this installation's reports carry, made on first use
    /// and kept in the database, so that the vendor can tell one clinic's
    /// days apart from another's without learning which clinic it is.
    pub async fn telemetry_installation(&self) -> Result<Uuid, AppError> {
        // The write transaction makes reading and creating one step, so
        // two callers cannot each make a different ID.
        let mut tx = self.store.write().await?;
        if let Some(value) = meta::get(&mut tx, INSTALLATION_KEY).await? {
            return Uuid::parse_str(&value)
                .map_err(|e| AppError::corrupt(format!("{INSTALLATION_KEY}: {e}")));
        }
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        meta::set(&mut tx, INSTALLATION_KEY, &id.to_string(), self.now()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The report of one UTC day: counts across every organisation in this
    /// database, the installation ID and this build's version.
    pub async fn telemetry_report(
        &self,
        day: Date,
        installation: Uuid,
    ) -> Result<Report, AppError> {
        let next = day.tomorrow().map_err(|e| {
            AppError::Validation(ValidationErrors::single("day", format!("{day}: {e}")))
        })?;
        let (from, to) = (day_start(day)?, day_start(next)?);
        let mut tx = self.store.read().await?;
        let counts = store::daily_counts(&mut tx, from, to).await?;
        Ok(Report {
            installation,
            version: env!("CARGO_PKG_VERSION").into(),
            day,
            counts,
        })
    }

    /// The report of yesterday (UTC), the last whole day, with this
    /// installation's ID: what the daily task sends and what `kerato
    /// telemetry preview` shows.
    pub async fn yesterdays_telemetry_report(&self) -> Result<Report, AppError> {
        let today = self.now().to_jiff().to_zoned_datetime(TimeZone::UTC).date();
        let yesterday = today.yesterday().map_err(|e| {
            AppError::Validation(ValidationErrors::single("day", format!("{today}: {e}")))
        })?;
        let installation = self.telemetry_installation().await?;
        self.telemetry_report(yesterday, installation).await
    }
}

/// Checks the endpoint's URL as [`send_report`] will, so that a bad
/// setting stops the server at start rather than failing every day.
pub fn check_url(url: &str) -> Result<(), String> {
    outbound_url(url, "telemetry").map(|_| ())
}

/// Sends a report to the vendor's `POST /api/telemetry` as JSON. `url`
/// must be https:// (http:// only on loopback); any 2xx answer means
/// received. The error says what failed without repeating the report.
pub async fn send_report(url: &str, report: &Report) -> Result<(), String> {
    let url = outbound_url(url, "telemetry")?;
    let client = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let response = client
        .post(url)
        .json(report)
        .send()
        .await
        .map_err(|e| format!("telemetry: {}", e.without_url()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "the telemetry endpoint answered {}",
            response.status()
        ))
    }
}
