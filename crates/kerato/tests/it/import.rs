//! `kerato import` as an operator runs it: killed with SIGKILL part-way
//! and run again, a dry run's report, and what it refuses.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use kerato_app::import::synthetic;
use kerato_domain::import::Preset;
use kerato_store::{DbKey, OpenMode, SqliteOptions, Store, on_tx};

use crate::support::{ADMIN_EMAIL, bin, init_with, run, temp};

/// A data directory made by `kerato init`, on PostgreSQL when the run
/// selects it: the arguments that name it, and its database URL.
async fn initialised(dir: &Path) -> (Vec<String>, Option<String>) {
    let data = dir.join("data");
    let pg_url = match std::env::var(kerato_store::testing::PG_URL_VAR) {
        Ok(admin) if !admin.is_empty() => Some(
            kerato_store::testing::create_pg_database(&admin)
                .await
                .unwrap(),
        ),
        _ => None,
    };
    let mut args = vec!["--data-dir".to_string(), data.to_str().unwrap().to_string()];
    if let Some(url) = &pg_url {
        args.extend(["--database-url".into(), url.clone()]);
    }
    init_with(&args.iter().map(String::as_str).collect::<Vec<_>>());
    (args, pg_url)
}

/// The same database, opened beside the command (SQLite's WAL lets a
/// reader in while the import writes).
async fn open(dir: &Path, pg_url: Option<&str>) -> Store {
    match pg_url {
        Some(url) => Store::open_postgres(url, 2).await.unwrap(),
        None => {
            let data = dir.join("data");
            Store::open_sqlite(SqliteOptions {
                path: data.join("kerato.db"),
                key: Some(DbKey::from_file(&data.join("db.key")).unwrap()),
                mode: OpenMode::Existing,
                max_connections: 2,
            })
            .await
            .unwrap()
        }
    }
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    let mut tx = store.read().await.unwrap();
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(sql).fetch_one(&mut **c).await).unwrap();
    n
}

fn import_args(kind: &str, file: &Path, backend: &[String], extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "import".into(),
        kind.into(),
        file.to_str().unwrap().into(),
        "--as".into(),
        ADMIN_EMAIL.into(),
    ];
    args.extend(backend.iter().cloned());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_part_way_finishes_on_the_next_run_without_duplicates() {
    const PATIENTS: usize = 6_000;
    let dir = temp("import-kill");
    let (backend, pg_url) = initialised(&dir).await;
    let file = write(
        &dir,
        "patients.csv",
        &synthetic::patients_csv(Preset::OpenEmr, PATIENTS),
    );
    let args = import_args("patients", &file, &backend, &["--preset", "openemr"]);
    let store = open(&dir, pg_url.as_deref()).await;
    let mut child = tokio::process::Command::new(bin())
        .args(&args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Kill it once some batches are committed and more are to come.
    let mut committed = 0;
    for _ in 0..6_000 {
        committed = count(&store, "SELECT count(*) FROM import_rows").await;
        if committed >= 1_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    let status = child.wait().await.unwrap();
    assert!(
        !status.success(),
        "the import finished before it was killed"
    );
    let survived = count(&store, "SELECT count(*) FROM import_rows").await;
    assert!(
        survived >= committed && (survived as usize) < PATIENTS,
        "{survived} rows committed when killed"
    );
    // Whole batches only: every remembered row has its chart, and no more.
    assert_eq!(survived % 500, 0, "a batch was half written");
    assert_eq!(
        count(&store, "SELECT count(*) FROM patients").await,
        survived
    );

    let (ok, out, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("created: {}", PATIENTS as i64 - survived)),
        "{out}"
    );
    assert!(
        out.contains(&format!("already imported: {survived}")),
        "{out}"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM patients").await,
        PATIENTS as i64
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM (SELECT DISTINCT last_folded, first_folded, date_of_birth FROM patients) AS p"
        )
        .await,
        PATIENTS as i64,
        "no person twice"
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM (SELECT DISTINCT mrn FROM patients) AS m"
        )
        .await,
        PATIENTS as i64
    );
    store.close().await;
    let mut verify = vec!["audit", "verify"];
    verify.extend(backend.iter().map(String::as_str));
    let (ok, out, err) = run(&verify);
    assert!(ok, "{out}{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_every_refusal_and_the_run_imports_the_rest() {
    let dir = temp("import-cli");
    let (backend, pg_url) = initialised(&dir).await;
    let patients = write(
        &dir,
        "patients.csv",
        "id,legal_first_name,legal_last_name,date_of_birth,mobile_phone\r\n\
         1,Ann,Lee,04/01/1980,(217) 555-0123\r\n\
         2,Bo,,1990-13-01,555\r\n\
         3,Cy,\"Ng, Jr\",1971-02-03,\r\n",
    );
    let report = dir.join("report.csv");
    let args = import_args(
        "patients",
        &patients,
        &backend,
        &["--dry-run", "--report", report.to_str().unwrap()],
    );
    let (ok, out, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{out}{err}");
    assert!(out.contains("dry run: nothing was written"), "{out}");
    assert!(out.contains("would create: 2"), "{out}");
    assert!(
        out.contains("row 3: legal_last_name (legal_last_name): last name is required"),
        "{out}"
    );
    assert!(out.contains("row 3: date_of_birth"), "{out}");
    assert!(out.contains("row 3: mobile_phone"), "{out}");
    let csv = std::fs::read_to_string(&report).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let store = open(&dir, pg_url.as_deref()).await;
    assert_eq!(count(&store, "SELECT count(*) FROM patients").await, 0);

    let args = import_args("patients", &patients, &backend, &[]);
    let (ok, out, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok && out.contains("created: 2"), "{out}{err}");
    assert_eq!(count(&store, "SELECT count(*) FROM patients").await, 2);
    assert_eq!(
        count(&store, "SELECT count(*) FROM audit_events WHERE category = 'demographics' AND action = 'create' AND user_id = (SELECT id FROM users WHERE email = 'admin@clinic.example')").await,
        2,
        "audited as the administrator named"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_import_commands_have_help() {
    for kind in ["patients", "appointments"] {
        let (ok, out, _) = run(&["import", kind, "--help"]);
        assert!(
            ok && out.contains("--dry-run") && out.contains("--as <EMAIL>"),
            "{out}"
        );
    }
    let (ok, out, _) = run(&["bench", "import", "--help"]);
    assert!(ok && out.contains("--patients"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_imported_is_refused_with_the_reason() {
    let dir = temp("import-refuse");
    let file = write(&dir, "p.csv", "id,legal_first_name\r\n1,Ann\r\n");
    let f = file.to_str().unwrap();
    let empty = dir.join("nothing-here");
    let (ok, _, err) = run(&[
        "import",
        "patients",
        f,
        "--as",
        ADMIN_EMAIL,
        "--data-dir",
        empty.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("run `kerato init"), "{err}");
    assert!(!empty.join("kerato.db").exists(), "nothing was created");
    if let Ok(admin) = std::env::var(kerato_store::testing::PG_URL_VAR)
        && !admin.is_empty()
    {
        let url = kerato_store::testing::create_pg_database(&admin)
            .await
            .unwrap();
        let (ok, _, err) = run(&[
            "import",
            "patients",
            f,
            "--as",
            ADMIN_EMAIL,
            "--database-url",
            &url,
        ]);
        assert!(!ok && err.contains("holds no Kerato data"), "{err}");
    }
    let (backend, _) = initialised(&dir).await;
    let b: Vec<&str> = backend.iter().map(String::as_str).collect();
    let attempt = |extra: &[&str]| {
        let mut args = vec!["import", "patients", f];
        args.extend_from_slice(extra);
        args.extend_from_slice(&b);
        run(&args)
    };
    let (ok, _, err) = attempt(&["--as", "someone@clinic.example"]);
    assert!(!ok && err.contains("no staff account"), "{err}");
    let (ok, _, err) = attempt(&["--as", ADMIN_EMAIL]);
    assert!(
        !ok && err.contains("the file has no column \"legal_last_name\""),
        "{err}"
    );
    let bad_mapping = write(
        &dir,
        "m.toml",
        "kind = \"patients\"\nsource = \"x\"\n[columns]\nfrist_name = \"a\"\n",
    );
    let (ok, _, err) = attempt(&[
        "--as",
        ADMIN_EMAIL,
        "--mapping",
        bad_mapping.to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("columns.frist_name: not a field of patients"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "import",
        "appointments",
        f,
        "--as",
        ADMIN_EMAIL,
        "--mapping",
        write(&dir, "p.toml", "kind = \"patients\"\nsource = \"x\"\n[columns]\nlegal_first_name = \"a\"\nlegal_last_name = \"b\"\ndate_of_birth = \"c\"\n").to_str().unwrap(),
    ]);
    assert!(
        !ok && err.contains("the mapping is for patients but appointments"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
