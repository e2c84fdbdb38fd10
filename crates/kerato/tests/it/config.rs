//! Configuration layering, seen from outside: file, environment, _FILE.

use crate::support::{init, run_with_env, start, temp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_sets_the_bind_address() {
    let dir = temp("envbind");
    let data = dir.join("data");
    init(&data);
    let server = start(
        &["serve", "--data-dir", data.to_str().unwrap()],
        &[("KERATO_SERVER__BIND", "127.0.0.1:0")],
        1,
    )
    .await;
    assert!(
        server.urls[0].starts_with("http://127.0.0.1:") && !server.urls[0].ends_with(":8080"),
        "{:?}",
        server.urls
    );
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_variable_supplies_a_secret() {
    let dir = temp("envfile");
    let secret = dir.join("db-url");
    // Port 1 on loopback refuses at once: the error proves the URL was read.
    std::fs::write(&secret, "postgres://kerato@127.0.0.1:1/kerato\n").unwrap();
    let (ok, _, err) = run_with_env(
        &["check", "--data-dir", dir.to_str().unwrap()],
        &[("KERATO_DATABASE__URL_FILE", secret.to_str().unwrap())],
    );
    assert!(!ok && err.contains("cannot connect to PostgreSQL"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_typo_in_the_config_file_is_named() {
    let dir = temp("typo");
    let file = dir.join("kerato.toml");
    std::fs::write(&file, "[server]\nbnd = \"127.0.0.1:9\"\n").unwrap();
    let (ok, _, err) = run_with_env(
        &[
            "--config",
            file.to_str().unwrap(),
            "check",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!ok && err.contains("bnd"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
