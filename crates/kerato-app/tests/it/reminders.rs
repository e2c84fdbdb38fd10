//! Reminders over real SMTP to a local sink: the right content, nothing
//! clinical, and each delivered once even when a worker dies mid-send.

use std::sync::{Arc, Mutex};

use kerato_app::reminders::{Mailer, SmsGateway};
use kerato_domain::patients::PatientInput;
use kerato_domain::scheduling::BookingRequest;
use kerato_domain::time::Clock;
use kerato_http::testing::smtp_sink;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::world;

async fn booked_tomorrow(w: &crate::World) {
    booked_tomorrow_by(w, "email").await;
}

/// A minimal HTTP server on loopback standing in for an SMS gateway: keeps
/// each request's head and body, and answers with `status`.
async fn sms_gateway(status: u16) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                loop {
                    let mut head = String::new();
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                    let mut body = vec![0u8; length];
                    tokio::io::AsyncReadExt::read_exact(&mut reader, &mut body)
                        .await
                        .unwrap();
                    store
                        .lock()
                        .unwrap()
                        .push((head, String::from_utf8(body).unwrap()));
                    let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}/v1/messages"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_reminder_goes_through_the_gateway_once_and_retries_after_a_failure() {
    let w = world().await;
    booked_tomorrow_by(&w, "sms").await;
    assert_eq!(w.app.queue_reminders().await.unwrap(), 1);
    let mut tx = w.app.store().read().await.unwrap();
    assert!(
        kerato_store::outbox::queued_emails(&mut tx)
            .await
            .unwrap()
            .len()
            == 1
    );
    drop(tx);
    // No SMTP delivery takes an SMS.
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "reminders@clinic.example").unwrap();
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (0, 0));
    assert!(inbox.lock().unwrap().is_empty());
    // A gateway that fails: the message waits for its retry.
    let (down, _) = sms_gateway(503).await;
    let gateway = SmsGateway::new(&down, "secret-token").unwrap();
    assert_eq!(w.app.deliver_sms(&gateway, 10).await.unwrap(), (0, 1));
    assert_eq!(
        w.app.deliver_sms(&gateway, 10).await.unwrap(),
        (0, 0),
        "backing off"
    );
    w.clock.advance_secs(120);
    let (up, seen) = sms_gateway(202).await;
    let gateway = SmsGateway::new(&up, "secret-token").unwrap();
    assert_eq!(w.app.deliver_sms(&gateway, 10).await.unwrap(), (1, 0));
    assert_eq!(
        w.app.deliver_sms(&gateway, 10).await.unwrap(),
        (0, 0),
        "sent once"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let (head, body) = &seen[0];
    assert!(head.starts_with("POST /v1/messages HTTP/1.1"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: bearer secret-token"),
        "{head}"
    );
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    let reference = json["reference"].as_str().unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("idempotency-key: {reference}")),
        "{head}"
    );
    assert_eq!(json["to"], "+15185550142");
    let text = json["body"].as_str().unwrap();
    assert!(
        text.contains("Jo,") && text.contains("Main") && text.contains("10:15 AM"),
        "{text}"
    );
    assert!(
        !text.contains("Biopsy") && !text.contains("Okafor"),
        "minimum necessary: {text}"
    );
    assert!(
        SmsGateway::new("http://sms.example.com/send", "t").is_err(),
        "plain HTTP off loopback"
    );
}

async fn booked_tomorrow_by(w: &crate::World, channel: &str) {
    let loc = w
        .app
        .create_location(&w.admin, &crate::location_input("Main").validate().unwrap())
        .await
        .unwrap();
    let provider = crate::provider_all_week(w, "Dr. Okafor", loc.id, None, "00:00", "23:00").await;
    let kind = w
        .app
        .create_appointment_type(&w.admin, "Biopsy follow-up", 30)
        .await
        .unwrap();
    let input = PatientInput {
        legal_first_name: "Josephine".into(),
        legal_last_name: "Smith".into(),
        preferred_name: Some("Jo".into()),
        date_of_birth: "1975-07-04".into(),
        email: Some("jo@example.org".into()),
        mobile_phone: Some("(518) 555-0142".into()),
        reminder_channel: Some(channel.into()),
        ..Default::default()
    };
    let patient = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input, false).unwrap(),
        )
        .await
        .unwrap();
    // The test clock is 2026-05-28 16:46 in New York: book 2026-05-29 10:15.
    let req = BookingRequest {
        provider_id: provider.id.to_string(),
        patient_id: patient.id.to_string(),
        location_id: loc.id.to_string(),
        appointment_type_id: kind.id.to_string(),
        date: "2026-05-29".into(),
        time: "10:15".into(),
        ..Default::default()
    };
    crate::book(&w.app, &w.admin, &req).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_arrives_once_with_no_clinical_content() {
    let w = world().await;
    booked_tomorrow(&w).await;
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "Riverside Clinic <reminders@clinic.example>").unwrap();
    assert_eq!(w.app.queue_reminders().await.unwrap(), 1);
    assert_eq!(w.app.queue_reminders().await.unwrap(), 0, "queued twice");
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (1, 0));
    assert_eq!(
        w.app.deliver_outbox(&mailer, 10).await.unwrap(),
        (0, 0),
        "sent twice"
    );
    let messages = inbox.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    // Undo quoted-printable soft line breaks before reading the text.
    let m = &messages[0].replace("=\n", "");
    assert!(
        m.contains("To: jo@example.org") && m.contains("Subject: Appointment reminder"),
        "{m}"
    );
    assert!(
        m.contains("Hello Jo,") && m.contains("at Main on Friday, May 29 at 10:15 AM"),
        "{m}"
    );
    assert!(m.contains("Message-ID: <"), "{m}");
    for clinical in ["Biopsy", "Okafor", "Smith", "1975"] {
        assert!(!m.contains(clinical), "{clinical} in a reminder: {m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_dies_mid_send_does_not_lose_or_double_a_message() {
    let w = world().await;
    booked_tomorrow(&w).await;
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "reminders@clinic.example").unwrap();
    w.app.queue_reminders().await.unwrap();
    // A first worker claims the message and dies before sending it.
    let mut tx = w.app.store().write().await.unwrap();
    let claimed = kerato_store::outbox::claim_next(&mut tx, "email", w.clock.now(), 60_000_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(claimed.is_some());
    // The restarted worker leaves it alone while the lease holds…
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (0, 0));
    // …and sends it once the lease has run out.
    w.clock.advance_secs(61);
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (1, 0));
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (0, 0));
    assert_eq!(inbox.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_failures_back_off_and_retry() {
    let w = world().await;
    booked_tomorrow(&w).await;
    // Nothing listens on this port: the connection is refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = Mailer::from_url(
        &format!("smtp://127.0.0.1:{dead}"),
        "reminders@clinic.example",
    )
    .unwrap();
    w.app.queue_reminders().await.unwrap();
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (0, 1));
    assert_eq!(
        w.app.deliver_outbox(&mailer, 10).await.unwrap(),
        (0, 0),
        "retried before the backoff"
    );
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "reminders@clinic.example").unwrap();
    w.clock.advance_secs(60);
    assert_eq!(w.app.deliver_outbox(&mailer, 10).await.unwrap(), (1, 0));
    assert_eq!(inbox.lock().unwrap().len(), 1);
}
