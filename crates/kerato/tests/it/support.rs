//! Running the binary.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kerato")
}

/// `kerato ARGS` to completion: (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    run_with_env(args, &[])
}

pub fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .expect("kerato runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn init(dir: &Path) -> String {
    let (ok, out, err) = run(&["init", "--data-dir", dir.to_str().unwrap()]);
    assert!(ok, "init failed: {out}{err}");
    out
}

/// A running `kerato` child; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    /// Every URL the child said it listens on, in order.
    pub urls: Vec<String>,
    pub stdout: Vec<String>,
}

/// Starts `kerato ARGS` and waits until it has printed `expect_urls`
/// "listening on" lines.
pub async fn start(args: &[&str], env: &[(&str, &str)], expect_urls: usize) -> Running {
    let mut child = Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("kerato starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut urls = Vec::new();
    let mut seen = Vec::new();
    let wait = async {
        while urls.len() < expect_urls {
            match lines.next_line().await.unwrap() {
                Some(line) => {
                    if let Some((_, url)) = line.split_once("listening on ") {
                        urls.push(url.trim().to_string());
                    }
                    seen.push(line);
                }
                None => break,
            }
        }
    };
    let timed_out = tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .is_err();
    if urls.len() < expect_urls {
        let _ = child.start_kill();
        let out = child.wait_with_output().await.unwrap();
        panic!(
            "kerato {args:?} did not start (timed out: {timed_out}); stdout: {seen:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running {
        child,
        urls,
        stdout: seen,
    }
}

pub fn temp(label: &str) -> PathBuf {
    kerato_store::testing::temp_dir(label)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}
