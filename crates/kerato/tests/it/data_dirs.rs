//! Commands that work on existing data refuse a directory (or a database)
//! that holds none, say why, and leave it as it was: only `kerato init`,
//! `kerato demo` and the vendor site's first start make data. The
//! retention reports say what each line is about and carry the run's date.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{bin, init, run, start_site_once, temp};

/// The clinic's commands that open existing data, without `--data-dir`.
const CLINIC: &[&[&str]] = &[
    &["serve", "--bind", "127.0.0.1:0"],
    &["migrate"],
    &["check"],
    &["retention", "run"],
    &["retention", "run", "--dry-run"],
    &["audit", "verify"],
    &["telemetry", "preview"],
];

/// The vendor site's commands that open existing data; `MAILDIR` stands
/// for a maildir with one message waiting.
const SITE: &[&[&str]] = &[
    &["site-retention", "--dry-run"],
    &["site-retention"],
    &["site-import-mail", "--maildir", "MAILDIR"],
];

/// Runs `kerato ARGS` with `env`; a command that is still running after 30
/// seconds (a server that started on data it should have refused) is
/// killed and reported as having succeeded.
async fn outcome(args: &[String], env: &[(&str, &str)]) -> (bool, String) {
    let child = tokio::process::Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    match tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await {
        Ok(out) => {
            let out = out.unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        Err(_) => (true, "still running after 30 seconds".into()),
    }
}

/// Every file under `dir` with its size, or `None` when `dir` does not
/// exist.
fn listing(dir: &Path) -> Option<Vec<(String, u64)>> {
    if !dir.exists() {
        return None;
    }
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                dirs.push(entry.path());
            } else {
                out.push((entry.path().display().to_string(), meta.len()));
            }
        }
    }
    out.sort();
    Some(out)
}

fn with_data_dir(cmd: &[&str], data: &Path, maildir: &Path) -> Vec<String> {
    let mut args: Vec<String> = cmd
        .iter()
        .map(|a| {
            if *a == "MAILDIR" {
                maildir.display().to_string()
            } else {
                (*a).to_string()
            }
        })
        .collect();
    args.extend(["--data-dir".to_string(), data.display().to_string()]);
    args
}

fn maildir(dir: &Path) -> std::path::PathBuf {
    let maildir = dir.join("mail");
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::write(
        maildir.join("new").join("1.eml"),
        "From: Ann <ann@leeeye.example>\nSubject: Printer\nMessage-ID: <1@leeeye.example>\n\nThe printer jams.\n",
    )
    .unwrap();
    maildir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clinic_commands_refuse_a_directory_that_holds_no_data() {
    let dir = temp("no-clinic-data");
    let missing = dir.join("missing");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // A key beside an empty database file, as a failed copy leaves it.
    let hollow = dir.join("hollow");
    std::fs::create_dir_all(&hollow).unwrap();
    std::fs::write(hollow.join("db.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::write(hollow.join("kerato.db"), b"").unwrap();
    let mail = maildir(&dir);
    for data in [&missing, &empty, &hollow] {
        let before = listing(data);
        for cmd in CLINIC {
            let (ok, err) = outcome(&with_data_dir(cmd, data, &mail), &[]).await;
            assert!(!ok, "{cmd:?} accepted {}: {err}", data.display());
            assert!(
                err.contains("kerato init") && err.contains(data.to_str().unwrap()),
                "{cmd:?} on {}: the reason names the directory and the way out: {err}",
                data.display()
            );
            assert_eq!(listing(data), before, "{cmd:?} changed {}", data.display());
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_commands_refuse_a_directory_that_holds_no_site_data() {
    let dir = temp("no-site-data");
    let missing = dir.join("missing");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // A site whose key went missing: its database must not get a new one.
    let keyless = dir.join("keyless");
    start_site_once(&keyless).await;
    std::fs::remove_file(keyless.join("site.key")).unwrap();
    let mail = maildir(&dir);
    for data in [&missing, &empty, &keyless] {
        let before = listing(data);
        for cmd in SITE {
            let (ok, err) = outcome(&with_data_dir(cmd, data, &mail), &[]).await;
            assert!(!ok, "{cmd:?} accepted {}: {err}", data.display());
            assert!(
                err.contains(data.to_str().unwrap()),
                "{cmd:?}: the reason names the directory: {err}"
            );
            let way_out = if data == &keyless {
                "site.key"
            } else {
                "kerato site"
            };
            assert!(
                err.contains(way_out),
                "{cmd:?} on {}: {err}",
                data.display()
            );
            assert_eq!(listing(data), before, "{cmd:?} changed {}", data.display());
        }
    }
    assert!(
        std::fs::read_dir(mail.join("new")).unwrap().count() == 1,
        "no mail was taken from the maildir"
    );
    // Not even the site's own start makes a new key for a database it has.
    let before = listing(&keyless);
    let args = [
        "site".to_string(),
        "--bind".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        keyless.display().to_string(),
    ];
    let (ok, err) = outcome(&args, &[]).await;
    assert!(!ok && err.contains("site.key"), "{err}");
    assert_eq!(listing(&keyless), before);
    std::fs::remove_dir_all(dir).unwrap();
}

/// On a PostgreSQL run: an empty database is refused by every command that
/// opens existing data, and stays empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_refuse_an_empty_postgresql_database() {
    let Ok(admin) = std::env::var(kerato_store::testing::PG_URL_VAR) else {
        return;
    };
    if admin.is_empty() {
        return;
    }
    let url = kerato_store::testing::create_pg_database(&admin)
        .await
        .unwrap();
    let dir = temp("no-pg-data");
    let mail = maildir(&dir);
    let data = dir.join("data");
    for cmd in CLINIC {
        let mut args = with_data_dir(cmd, &data, &mail);
        args.extend(["--database-url".to_string(), url.clone()]);
        let (ok, err) = outcome(&args, &[]).await;
        assert!(!ok, "{cmd:?} accepted an empty database: {err}");
        assert!(
            err.contains("holds no Kerato data") && err.contains("kerato init"),
            "{cmd:?}: {err}"
        );
    }
    for cmd in SITE {
        let (ok, err) = outcome(
            &with_data_dir(cmd, &data, &mail),
            &[("KERATO_SITE_DATABASE_URL", url.as_str())],
        )
        .await;
        assert!(!ok, "{cmd:?} accepted an empty database: {err}");
        assert!(
            err.contains("holds no vendor site data") && err.contains("kerato site"),
            "{cmd:?}: {err}"
        );
    }
    let store = kerato_store::Store::open_postgres(&url, 1).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let (tables,): (i64,) = kerato_store::on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    drop(tx);
    store.close().await;
    assert_eq!(tables, 0, "a refused command created tables");
    assert!(!data.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Today in UTC, and yesterday for a run that crossed midnight.
fn utc_days() -> [String; 2] {
    use kerato_domain::time::Clock;
    let today = kerato_app::clock::SystemClock
        .now()
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    [today.to_string(), today.yesterday().unwrap().to_string()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_reports_carry_their_date_and_say_what_each_line_is_about() {
    let dir = temp("retention-report");
    let clinic = dir.join("clinic");
    init(&clinic);
    let (ok, out, err) = run(&[
        "retention",
        "run",
        "--dry-run",
        "--data-dir",
        clinic.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("retention run on ")
            && utc_days().iter().any(|d| first.contains(d.as_str()))
            && first.contains("(dry run)"),
        "{out}"
    );
    for line in [
        "Clinical record (adult): would delete 0 charts of adults (0 rows); 0 due but under a legal hold; 0 due but kept while part must stay",
        "Marketing data: would delete 0 patients' marketing answers (0 rows)",
        "FTC prescription release confirmation: would delete 0 prescription release confirmations (0 rows)",
        "Usage logs: would delete 0 staff sign-in sessions (0 rows)",
        "Audit trail: would pseudonymise 0 audit events (0 rows)",
    ] {
        assert!(out.contains(line), "{line:?} is not in {out}");
    }

    // The site's first start makes its data; then its report.
    let site_dir = dir.join("site");
    start_site_once(&site_dir).await;
    let (ok, out, err) = run(&[
        "site-retention",
        "--dry-run",
        "--data-dir",
        site_dir.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("vendor site retention run for ")
            && utc_days().iter().any(|d| first.contains(d.as_str()))
            && first.contains("dry run"),
        "{out}"
    );
    let about: Vec<&str> = lines.map(|l| l.trim().split(':').next().unwrap()).collect();
    assert_eq!(
        about,
        [
            "Closed customer accounts, with their users, tickets and invoices (account data)",
            "Demo requests (marketing data)",
            "Newsletter contacts, with their marketing answers and sends (marketing data)",
            "Support tickets from children under 13 (children's data)",
            "Support tickets from people without an account (account data)",
            "Copies of sent e-mail (usage logs)",
            "Usage log entries (usage logs)",
            "Expired privacy-center links (usage logs)",
        ],
        "{out}"
    );
    assert!(out.contains("0 due, would delete 0"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}
