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
