//! Crash safety: a server writing acknowledged rows is killed with SIGKILL at
//! random moments and restarted; every acknowledged row must survive and the
//! database must pass its integrity check. KERATO_CRASH_CYCLES raises the
//! number of cycles (50 by default) for a longer soak.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;

use crate::support::{ADMIN_EMAIL, admin_password, client, init_with, sign_in, start, temp};

async fn writer(base: String, cookie: String, tag: String, acked: Arc<Mutex<BTreeSet<String>>>) {
    let http = client();
    for n in 0.. {
        let body = serde_json::json!({
            "name": format!("Crash {tag}-{n}"),
            "time_zone": "America/New_York",
            "address_line1": "1 Crash Ct",
            "city": "Albany",
            "state": "NY",
            "zip": "12207",
            "specialties": ["optical_shop"],
        });
        match http
            .post(format!("{base}/api/locations"))
            .header("cookie", &cookie)
            .json(&body)
            .send()
            .await
        {
            Ok(resp) if resp.status() == 201 => {
                // Only a 201 whose body arrived whole counts as acknowledged.
                if let Ok(v) = resp.json::<serde_json::Value>().await {
                    acked
                        .lock()
                        .unwrap()
                        .insert(v["id"].as_str().unwrap().to_string());
                }
            }
            Ok(resp) => panic!("unexpected status {}", resp.status()),
            Err(_) => return, // the server died mid-request
        }
    }
}

async fn stored_ids(base: &str, cookie: &str) -> BTreeSet<String> {
    let list: serde_json::Value = client()
        .get(format!("{base}/api/locations"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_rows_survive_sigkill() {
    let cycles: u32 = std::env::var("KERATO_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = temp("crash");
    let data = dir.join("data");
    let d = data.to_str().unwrap().to_string();
    // On a PostgreSQL run the server writes to a fresh PostgreSQL database.
    let pg_url = match std::env::var(kerato_store::testing::PG_URL_VAR) {
        Ok(admin) if !admin.is_empty() => Some(
            kerato_store::testing::create_pg_database(&admin)
                .await
                .unwrap(),
        ),
        _ => None,
    };
    let mut backend_args: Vec<String> = vec!["--data-dir".into(), d.clone()];
    if let Some(url) = &pg_url {
        backend_args.extend(["--database-url".into(), url.clone()]);
    }
    let out = init_with(&backend_args.iter().map(String::as_str).collect::<Vec<_>>());
    let password = admin_password(&out);
    assert_eq!(pg_url.is_none(), data.join("kerato.db").exists());

    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let mut serve_args: Vec<&str> = vec!["serve", "--bind", "127.0.0.1:0"];
    serve_args.extend(backend_args.iter().map(String::as_str));
    let mut rng = rand::rng();
    // Sessions live in the database, so one sign-in serves every restart.
    let first = start(&serve_args, &[], 1).await;
    let cookie = sign_in(&first.urls[0], ADMIN_EMAIL, &password).await;
    drop(first);
    for cycle in 0..cycles {
        let mut server = start(&serve_args, &[], 1).await;
        let base = server.urls[0].clone();
        let stored = stored_ids(&base, &cookie).await;
        let before = acked.lock().unwrap().clone();
        let lost: Vec<_> = before.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "cycle {cycle}: acknowledged rows lost: {lost:?}"
        );

        let writers: Vec<_> = (0..2)
            .map(|w| {
                tokio::spawn(writer(
                    base.clone(),
                    cookie.clone(),
                    format!("{cycle}.{w}"),
                    acked.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.random_range(20..250))).await;
        server.child.start_kill().unwrap(); // SIGKILL
        server.child.wait().await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
    }

    let server = start(&serve_args, &[], 1).await;
    let stored = stored_ids(&server.urls[0], &cookie).await;
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() as u32 > cycles,
        "too few writes acknowledged ({}) to mean anything",
        acked.len()
    );
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged rows lost: {lost:?}");
    drop(server);

    let mut check_args = vec!["check"];
    check_args.extend(backend_args.iter().map(String::as_str));
    let (ok, out, err) = crate::support::run(&check_args);
    assert!(ok, "{out}{err}");
    assert!(out.contains("integrity_check: ok"), "{out}");
    eprintln!(
        "crash test: {cycles} SIGKILL cycles, {} acknowledged rows, none lost",
        acked.len()
    );
    std::fs::remove_dir_all(dir).unwrap();
}
