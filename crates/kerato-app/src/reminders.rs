//! Appointment reminders and delivery of the outbox, by e-mail and SMS.
//!
//! Reminders are queued once per appointment (an idempotency key), in the
//! patient's chosen channel, with the minimum necessary: a first name, the
//! place, the day and the time; never the kind of visit or a diagnosis.
//! Delivery claims one message at a time with a lease, sends it over SMTP
//! with a Message-ID fixed by the outbox row (or to the SMS gateway with
//! the row's ID as its idempotency key), and retries with backoff.

use kerato_domain::audit::{AuditAction, Outcome};
use kerato_domain::identity::Resource;
use kerato_domain::ids::MessageId;
use kerato_store::outbox::{Envelope, OutgoingEmail};
use kerato_store::{Tx, outbox, scheduling as store};

// The SMTP mailer and the retry rule are shared with the vendor site's
// outbox; they are re-exported here where the clinic has always named them.
pub use kerato_http::mail::{MAX_ATTEMPTS, Mailer, backoff_micros};

use crate::{App, AppError};

/// How long a worker holds a claimed message before another may retry it.
const LEASE_MICROS: i64 = 60 * 1_000_000;
/// How far ahead reminders are queued.
const REMINDER_HORIZON_MICROS: i64 = 48 * 3600 * 1_000_000;

/// An HTTP gateway that sends SMS: each message is POSTed as JSON
/// (`{"to": "+1…", "body": "…", "reference": "<outbox id>"}`) with the
/// gateway's bearer token and an `Idempotency-Key` header, the request shape
/// of the common SMS APIs; any 2xx answer means accepted.
#[derive(Clone)]
pub struct SmsGateway {
    client: reqwest::Client,
    url: reqwest::Url,
    token: String,
}

impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsGateway")
            .field("url", &self.url.as_str())
            .finish()
    }
}

/// Parses the URL of a service Kerato sends to (`what` names it in the
/// errors) and refuses plain HTTP unless it stays on this host: what is
/// sent (a patient's reminder, the usage counts) must be encrypted in
/// transit, and only a gateway on the same host or a test double may go
/// without TLS.
pub(crate) fn outbound_url(url: &str, what: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(url).map_err(|e| format!("the {what} URL is not valid: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(format!(
            "the {what} URL must be https:// (http:// only on loopback)"
        ));
    }
    Ok(url)
}

impl SmsGateway {
    /// `https://…` (or `http://` on loopback, for a gateway on the same host
    /// or a test double) and the bearer token.
    pub fn new(url: &str, token: &str) -> Result<Self, String> {
        let url = outbound_url(url, "SMS gateway")?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            client,
            url,
            token: token.into(),
        })
    }

    async fn send(&self, m: &OutgoingEmail) -> Result<(), String> {
        self.send_text(&m.recipient, &m.body, &m.id).await
    }

    /// Sends one text message; `reference` identifies it to the gateway, so
    /// a retry after a lost answer is recognised as the same message.
    pub async fn send_text(&self, to: &str, body: &str, reference: &str) -> Result<(), String> {
        let response = self
            .client
            .post(self.url.clone())
            .bearer_auth(&self.token)
            .header("Idempotency-Key", reference)
            .json(&serde_json::json!({ "to": to, "body": body, "reference": reference }))
            .send()
            .await
            .map_err(|e| format!("sms gateway: {}", e.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("sms gateway answered {}", response.status()))
        }
    }
}

/// Where a message to a patient goes by their preference for this
/// purpose: an e-mail address or a mobile number, or nowhere (they chose
/// the phone, post or nothing, or gave no address for the channel).
pub(crate) fn patient_contact<'a>(
    channel: &str,
    email: Option<&'a str>,
    mobile: Option<&'a str>,
) -> Option<(&'static str, &'a str)> {
    match channel {
        "email" => email.map(|e| ("email", e)),
        "sms" => mobile.map(|m| ("sms", m)),
        _ => None,
    }
}

impl App {
    /// Queues reminders for booked appointments in the next 48 hours, by
    /// e-mail or SMS as each patient chose; returns how many were newly
    /// queued.
    /// Runs without a caller: it is the practice's own scheduled task, and
    /// each queued reminder is audited as such.
    pub async fn queue_reminders(&self) -> Result<usize, AppError> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let due =
            store::due_for_reminder(&mut tx, now, now.plus_micros(REMINDER_HORIZON_MICROS)).await?;
        let mut queued = 0;
        for d in due {
            let Some((channel, recipient)) =
                patient_contact(&d.channel, d.email.as_deref(), d.mobile_phone.as_deref())
            else {
                continue;
            };
            let zone = jiff::tz::db()
                .get(&d.time_zone)
                .map_err(|e| AppError::NotReady(e.to_string()))?;
            let local = d.starts_at.to_jiff().to_zoned_datetime(zone);
            let name = d.preferred_name.as_deref().unwrap_or(&d.first_name);
            let when = format!(
                "{} on {} at {}",
                d.location_name,
                local.strftime("%A, %B %-d"),
                local.strftime("%-I:%M %p")
            );
            let body = if channel == "sms" {
                format!(
                    "Reminder: {name}, your appointment is at {when}. Call the practice to change it."
                )
            } else {
                format!(
                    "Hello {name},\n\nThis is a reminder of your appointment at {when}.\n\nIf you cannot come, please call the practice to change it.\n"
                )
            };
            let key = format!("reminder:{}", d.appointment_id);
            let message = Envelope {
                channel,
                recipient,
                subject: "Appointment reminder",
                body: &body,
            };
            if self.queue_once(&mut tx, &key, message).await? {
                let mut e = self.audit_event(
                    None,
                    AuditAction::Create,
                    Resource::Appointment,
                    Outcome::Allowed,
                );
                e.organisation_id = Some(d.organisation_id.to_string());
                e.patient_id = Some(d.patient_id.to_string());
                e.resource_id = Some(d.appointment_id.to_string());
                e.category = "reminder".into();
                e.detail = Some(format!("queued a reminder by {channel}"));
                kerato_store::audit::append(&mut tx, e).await?;
                queued += 1;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Queues a message once per `key`, in the caller's transaction.
    pub(crate) async fn queue_once(
        &self,
        tx: &mut Tx,
        key: &str,
        message: Envelope<'_>,
    ) -> Result<bool, AppError> {
        let now = self.now();
        let id = MessageId::new(now, self.random_id_bits()).to_string();
        Ok(outbox::queue_once(tx, key, &id, message, now).await?)
    }

    /// Delivers up to `max` due e-mails; returns (sent, failed).
    pub async fn deliver_outbox(
        &self,
        mailer: &Mailer,
        max: usize,
    ) -> Result<(usize, usize), AppError> {
        self.deliver("email", max, |m| async move {
            mailer
                .send(&m.recipient, &m.subject, &m.body, &m.id, &[])
                .await
        })
        .await
    }

    /// Delivers up to `max` due SMS through the gateway; returns (sent,
    /// failed).
    pub async fn deliver_sms(
        &self,
        gateway: &SmsGateway,
        max: usize,
    ) -> Result<(usize, usize), AppError> {
        self.deliver("sms", max, |m| async move { gateway.send(&m).await })
            .await
    }

    /// The delivery loop shared by the channels: claim, send outside any
    /// transaction, then record the outcome or the retry time.
    async fn deliver<F, Fut>(
        &self,
        channel: &str,
        max: usize,
        send: F,
    ) -> Result<(usize, usize), AppError>
    where
        F: Fn(OutgoingEmail) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let (mut sent, mut failed) = (0, 0);
        for _ in 0..max {
            let mut tx = self.store.write().await?;
            let claimed = outbox::claim_next(&mut tx, channel, self.now(), LEASE_MICROS).await?;
            tx.commit().await?;
            let Some(m) = claimed else { break };
            let (id, attempts) = (m.id.clone(), m.attempts);
            let result = send(m).await;
            let mut tx = self.store.write().await?;
            match result {
                Ok(()) => {
                    outbox::mark_sent(&mut tx, &id, self.now()).await?;
                    sent += 1;
                }
                Err(error) => {
                    let retry_at = if attempts >= MAX_ATTEMPTS {
                        kerato_domain::time::Timestamp::from_micros(i64::MAX)
                    } else {
                        self.now().plus_micros(backoff_micros(attempts))
                    };
                    let error: String = error.chars().take(200).collect();
                    tracing::warn!(message = %id, attempts, channel, "delivery failed");
                    outbox::mark_failed(&mut tx, &id, retry_at, &error).await?;
                    failed += 1;
                }
            }
            tx.commit().await?;
        }
        Ok((sent, failed))
    }
}
