//! Sending e-mail over SMTP, shared by the clinic's reminders and the
//! vendor site's outbox so that both build and hand over a message the same
//! way, with the same retry rule.

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Attempts before a message is given up on.
pub const MAX_ATTEMPTS: i64 = 8;

/// The retry delay after `attempts` failures: 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff_micros(attempts: i64) -> i64 {
    let minutes = 1i64 << attempts.clamp(1, 10).saturating_sub(1);
    (minutes * 60 * 1_000_000).min(6 * 3600 * 1_000_000)
}

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

/// Checks a sender address as a mail header names it: `name@host`, or
/// `Display Name <name@host>`.
pub fn check_mailbox(address: &str) -> Result<(), String> {
    address
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|_| format!("{address:?} is not an e-mail address; write it as name@example.org or Practice Name <name@example.org>"))
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

    /// Sends one plain-text message. `id` is the outbox row's ID: it becomes
    /// the Message-ID, so a message retried after a lost answer from the
    /// relay can be recognised as the same message downstream.
    /// `extra_headers` are added as they are (such as `List-Unsubscribe`);
    /// their values are encoded by lettre, so a line break in a value cannot
    /// start a new header.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        id: &str,
        extra_headers: &[(&str, &str)],
    ) -> Result<(), String> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|_| "the recipient address is not valid".to_string())?;
        // A message may bring its own Message-ID (a ticket reply does, so
        // that an answer citing it threads); a message has only one.
        let is_id = |name: &str| name.eq_ignore_ascii_case("message-id");
        let message_id = extra_headers
            .iter()
            .find(|(name, _)| is_id(name))
            .map(|(_, value)| (*value).to_string())
            .unwrap_or_else(|| format!("<{id}@kerato.invalid>"));
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN);
        for (name, value) in extra_headers.iter().filter(|(name, _)| !is_id(name)) {
            let name = HeaderName::new_from_ascii((*name).to_string())
                .map_err(|_| format!("the header name {name:?} is not valid"))?;
            builder = builder.raw_header(HeaderValue::new(name, (*value).to_string()));
        }
        let message = builder
            .body(body.to_string())
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("smtp: {e}"))
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
