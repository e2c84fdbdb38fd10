//! `kerato demo`: ready fast on an empty directory, and reuses its data.

use std::time::{Duration, Instant};

use crate::support::{client, start, temp};

const CSRF: &str = "d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0d3e0";

/// Signs in a demo account that needs no MFA; returns the cookie header.
async fn demo_session(base: &str) -> String {
    let jar = format!("kerato_csrf={CSRF}");
    let resp = client()
        .post(format!("{base}/login"))
        .header("cookie", &jar)
        .form(&[
            ("csrf", CSRF),
            ("email", "front-desk@riverside.example"),
            ("password", "kerato demo password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/");
    let session = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    format!("{jar}; {session}")
}

async fn wait_ready(base: &str, deadline: Instant) {
    let http = client();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "demo not ready in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_is_ready_in_under_five_seconds_and_reuses_its_data() {
    let dir = temp("demo");
    let data = dir.join("demo");
    let args = [
        "demo",
        "--data-dir",
        data.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
        "--site-bind",
        "127.0.0.1:0",
        "--clock",
        crate::support::DEMO_CLOCK,
    ];

    let started = Instant::now();
    let first = start(&args, &[], 2).await;
    wait_ready(&first.urls[0], started + Duration::from_secs(5)).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "demo took {elapsed:?}");
    assert!(
        first.stdout.iter().any(|l| l.contains("demo data created")),
        "{:?}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .iter()
            .any(|l| l.contains("front_desk") && l.contains("front-desk@riverside.example")),
        "{:?}",
        first.stdout
    );
    let cookie = demo_session(&first.urls[0]).await;
    let locations: serde_json::Value = client()
        .get(format!("{}/api/locations", first.urls[0]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(locations.as_array().unwrap().len(), 2);
    let site = client().get(&first.urls[1]).send().await.unwrap();
    assert!(site.text().await.unwrap().contains("Kerato"));
    drop(first);

    let second = start(&args, &[], 2).await;
    assert!(
        second
            .stdout
            .iter()
            .any(|l| l.contains("reusing demo data")),
        "{:?}",
        second.stdout
    );
    let cookie = demo_session(&second.urls[0]).await;
    let again: serde_json::Value = client()
        .get(format!("{}/api/locations", second.urls[0]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, locations);
    drop(second);
    eprintln!("demo ready in {elapsed:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// In training mode the demo's clock runs ahead, but an authenticator app
/// on a phone shows codes for the real time: the administrator, whose role
/// always needs the second factor, must still get in with such a code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_mode_takes_the_codes_a_real_authenticator_shows() {
    use kerato_domain::time::Clock;
    let dir = temp("demo-ahead");
    let data = dir.join("demo");
    let running = start(
        &[
            "demo",
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--site-bind",
            "127.0.0.1:0",
            "--clock",
            crate::support::DEMO_CLOCK,
            "--days-ahead",
            "10",
        ],
        &[],
        2,
    )
    .await;
    let base = &running.urls[0];
    let jar = format!("kerato_csrf={CSRF}");
    let http = client();
    let resp = http
        .post(format!("{base}/login"))
        .header("cookie", &jar)
        .form(&[
            ("csrf", CSRF),
            ("email", "admin@riverside.example"),
            ("password", "kerato demo password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login/code");
    let pending = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let secret =
        kerato_domain::totp::TotpSecret::from_base32(kerato_app::demo::DEMO_TOTP_SECRET).unwrap();
    let real = kerato_app::clock::SystemClock.now();
    let code = kerato_domain::totp::code_for_step(&secret, kerato_domain::totp::step_at(real), 6);
    let resp = http
        .post(format!("{base}/login/code"))
        .header("cookie", format!("{jar}; {pending}"))
        .form(&[("csrf", CSRF), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "the real code was refused");
    assert_eq!(resp.headers()["location"], "/");
    drop(running);
    std::fs::remove_dir_all(dir).unwrap();
}
