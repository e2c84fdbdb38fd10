//! Appointment reminders and delivery of the e-mail outbox.
//!
//! Reminders are queued once per appointment (an idempotency key), in the
//! patient's chosen channel, with the minimum necessary: a first name, the
//! place, the day and the time; never the kind of visit or a diagnosis.
//! Delivery claims one message at a time with a lease, sends it over SMTP
//! with a Message-ID fixed by the outbox row, and retries with backoff.

use kerato_domain::audit::{AuditAction, Outcome};
use kerato_domain::identity::Resource;
use kerato_domain::ids::MessageId;
use kerato_store::{outbox, scheduling as store};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{App, AppError};

/// How long a worker holds a claimed message before another may retry it.
const LEASE_MICROS: i64 = 60 * 1_000_000;
/// Attempts before a message is given up on.
pub const MAX_ATTEMPTS: i64 = 8;
/// How far ahead reminders are queued.
const REMINDER_HORIZON_MICROS: i64 = 48 * 3600 * 1_000_000;

/// An SMTP connection to hand mail to.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// `smtp://host:port` (plain, for a relay on the same host or a test
    /// sink), `smtp://host?tls=required` (STARTTLS) or `smtps://host` (TLS);
    /// credentials go in the URL's user and password.
    pub fn from_url(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL is not valid: {e}"))?
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("the sender address {from:?} is not valid: {e}"))?;
        Ok(Self { transport, from })
    }
}

/// The retry delay after `attempts` failures: 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff_micros(attempts: i64) -> i64 {
    let minutes = 1i64 << attempts.clamp(1, 10).saturating_sub(1);
    (minutes * 60 * 1_000_000).min(6 * 3600 * 1_000_000)
}

impl App {
    /// Queues e-mail reminders for booked appointments in the next 48 hours
    /// whose patients chose e-mail; returns how many were newly queued.
    /// Runs without a caller: it is the practice's own scheduled task, and
    /// each queued reminder is audited as such.
    pub async fn queue_reminders(&self) -> Result<usize, AppError> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let due =
            store::due_for_reminder(&mut tx, now, now.plus_micros(REMINDER_HORIZON_MICROS)).await?;
        let mut queued = 0;
        for d in due {
            let Some(email) = d.email.as_deref().filter(|_| d.channel == "email") else {
                continue;
            };
            let zone = jiff::tz::db()
                .get(&d.time_zone)
                .map_err(|e| AppError::NotReady(e.to_string()))?;
            let local = d.starts_at.to_jiff().to_zoned_datetime(zone);
            let name = d.preferred_name.as_deref().unwrap_or(&d.first_name);
            let body = format!(
                "Hello {name},\n\nThis is a reminder of your appointment at {} on {} at {}.\n\nIf you cannot come, please call the practice to change it.\n",
                d.location_name,
                local.strftime("%A, %B %-d"),
                local.strftime("%-I:%M %p"),
            );
            let key = format!("reminder:{}", d.appointment_id);
            let id = MessageId::new(now, self.random_id_bits()).to_string();
            if outbox::queue_email_once(
                &mut tx,
                &key,
                &id,
                email,
                "Appointment reminder",
                &body,
                now,
            )
            .await?
            {
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
                e.detail = Some("queued an e-mail reminder".into());
                kerato_store::audit::append(&mut tx, e).await?;
                queued += 1;
            }
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Delivers up to `max` due messages; returns (sent, failed).
    pub async fn deliver_outbox(
        &self,
        mailer: &Mailer,
        max: usize,
    ) -> Result<(usize, usize), AppError> {
        let (mut sent, mut failed) = (0, 0);
        for _ in 0..max {
            let mut tx = self.store.write().await?;
            let claimed = outbox::claim_next(&mut tx, self.now(), LEASE_MICROS).await?;
            tx.commit().await?;
            let Some(m) = claimed else { break };
            let result = match m.recipient.parse::<Mailbox>() {
                Ok(to) => {
                    let message = Message::builder()
                        .from(mailer.from.clone())
                        .to(to)
                        .subject(m.subject.clone())
                        .message_id(Some(format!("<{}@kerato.invalid>", m.id)))
                        .header(ContentType::TEXT_PLAIN)
                        .body(m.body.clone());
                    match message {
                        Ok(msg) => mailer
                            .transport
                            .send(msg)
                            .await
                            .map(|_| ())
                            .map_err(|e| format!("smtp: {e}")),
                        Err(e) => Err(format!("message: {e}")),
                    }
                }
                Err(_) => Err("the recipient address is not valid".into()),
            };
            let mut tx = self.store.write().await?;
            match result {
                Ok(()) => {
                    outbox::mark_sent(&mut tx, &m.id, self.now()).await?;
                    sent += 1;
                }
                Err(error) => {
                    let retry_at = if m.attempts >= MAX_ATTEMPTS {
                        kerato_domain::time::Timestamp::from_micros(i64::MAX)
                    } else {
                        self.now().plus_micros(backoff_micros(m.attempts))
                    };
                    let error: String = error.chars().take(200).collect();
                    tracing::warn!(message = %m.id, attempts = m.attempts, "e-mail delivery failed");
                    outbox::mark_failed(&mut tx, &m.id, retry_at, &error).await?;
                    failed += 1;
                }
            }
            tx.commit().await?;
        }
        Ok((sent, failed))
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_micros;

    #[test]
    fn backoff_doubles_and_stops_at_six_hours() {
        let minutes = |a| backoff_micros(a) / 60_000_000;
        assert_eq!(
            (minutes(1), minutes(2), minutes(3), minutes(9)),
            (1, 2, 4, 256)
        );
        assert_eq!((minutes(10), minutes(50)), (360, 360));
        assert!(backoff_micros(100) <= 6 * 3600 * 1_000_000);
    }
}
