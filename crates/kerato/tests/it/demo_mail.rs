//! The demo's mail, delivered to a real SMTP server: the vendor site's
//! links point at the port the site really got (`--site-bind` on port 0),
//! and the clinic's mail goes out too, because the demo runs the clinic's
//! mail worker as `kerato serve` does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kerato_http::testing::smtp_sink;

use crate::support::{DEMO_CLOCK, FORM_CSRF, client, start, temp};

/// Waits up to 30 seconds for a message to `to` whose text contains
/// `needle`; returns its decoded text.
pub(crate) async fn mail_to(inbox: &Arc<Mutex<Vec<String>>>, to: &str, needle: &str) -> String {
    for _ in 0..300 {
        let found = inbox
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.contains(&format!("To: {to}")))
            .map(|m| text_of(m))
            .find(|m| m.contains(needle));
        if let Some(m) = found {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no mail to {to} with {needle:?}; the inbox holds {} message(s)",
        inbox.lock().unwrap().len()
    );
}

/// A message's headers and body as text: a base64 body decoded, and the
/// soft line breaks of a quoted-printable one joined, so a long link reads
/// whole.
pub(crate) fn text_of(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let body = if head.contains("Content-Transfer-Encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(data_encoding::BASE64.decode(joined.as_bytes()).unwrap()).unwrap()
    } else {
        body.replace("=\n", "").replace("=3D", "=")
    };
    format!("{head}\n\n{body}")
}

/// A form post with the double-submit CSRF token, as a browser sends it.
async fn post_form(url: &str, fields: &[(&str, &str)]) -> reqwest::StatusCode {
    let mut all = vec![("csrf", FORM_CSRF)];
    all.extend_from_slice(fields);
    client()
        .post(url)
        .header("cookie", format!("kerato_csrf={FORM_CSRF}"))
        .form(&all)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_mail_is_delivered_with_links_to_where_the_demo_really_runs() {
    let dir = temp("demo-mail");
    let (smtp, inbox) = smtp_sink().await;
    let running = start(
        &[
            "demo",
            "--data-dir",
            dir.join("demo").to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--site-bind",
            "127.0.0.1:0",
            "--clock",
            DEMO_CLOCK,
        ],
        &[
            ("KERATO_MAIL__SMTP_URL", smtp.as_str()),
            ("KERATO_MAIL__INTERVAL_SECONDS", "1"),
        ],
        2,
    )
    .await;
    let (clinic, site) = (running.urls[0].clone(), running.urls[1].clone());
    assert!(
        !site.ends_with(":0") && !site.ends_with(":8081"),
        "the site runs on the port it was given: {site}"
    );
    assert!(
        running
            .stdout
            .iter()
            .any(|l| l.starts_with("vendor site: ") && l.contains(&site)),
        "the demo prints where the site really is: {:?}",
        running.stdout
    );

    // A privacy request on the vendor site: the verification link in its
    // e-mail opens on this site, at the port it really got.
    let status = post_form(
        &format!("{site}/privacy-center"),
        &[
            ("name", "Ann Lee"),
            ("email", "ann@leeeye.example"),
            ("kind", "access"),
            ("details", ""),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let mail = mail_to(&inbox, "ann@leeeye.example", "/privacy-center/verify/").await;
    let at = mail.find("/privacy-center/verify/").unwrap();
    let start_of_link = mail[..at].rfind("http").unwrap();
    let link: String = mail[start_of_link..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(
        link.starts_with(&format!("{site}/privacy-center/verify/")),
        "the link points elsewhere: {link} (the site is at {site})"
    );
    let opened = client().get(&link).send().await.unwrap();
    assert_eq!(opened.status(), 200, "{link}");

    // The clinic's public privacy request form: its acknowledgement is
    // delivered by the clinic's mail worker.
    let status = post_form(
        &format!("{clinic}/privacy/request"),
        &[
            ("practice", ""),
            ("request_type", "access"),
            ("first_name", "Jane"),
            ("last_name", "Roe"),
            ("date_of_birth", "1980-01-01"),
            ("email", "jane.roe@example.net"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    mail_to(
        &inbox,
        "jane.roe@example.net",
        "We received your privacy request",
    )
    .await;
    drop(running);
    std::fs::remove_dir_all(dir).unwrap();
}
