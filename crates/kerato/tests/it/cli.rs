//! init, check, migrate, print-config, --help; and what a wrong key does.

use std::os::unix::fs::PermissionsExt;

use sha2::{Digest, Sha256};

use crate::support::{init, run, run_with_env, temp};

#[test]
fn every_command_has_help() {
    for cmd in [
        "init",
        "serve",
        "migrate",
        "check",
        "print-config",
        "demo",
        "site",
        "site-retention",
        "site-import-mail",
        "bench",
    ] {
        let (ok, out, err) = run(&[cmd, "--help"]);
        assert!(ok && out.contains("Usage: kerato"), "{cmd}: {out}{err}");
    }
    let (ok, out, _) = run(&["bench", "store", "--help"]);
    assert!(ok && out.contains("--rows"));
    let (ok, out, _) = run(&["bench", "audit", "--help"]);
    assert!(ok && out.contains("--events"));
    let (ok, out, _) = run(&["audit", "verify", "--help"]);
    assert!(ok && out.contains("--data-dir"));
    let (ok, out, _) = run(&["user", "reset-password", "--help"]);
    assert!(ok && out.contains("--email"));
    let (ok, out, _) = run(&["retention", "run", "--help"]);
    assert!(ok && out.contains("--dry-run"));
    let (ok, out, _) = run(&["telemetry", "preview", "--help"]);
    assert!(ok && out.contains("--data-dir"));
    let (ok, out, _) = run(&["--help"]);
    assert!(ok && out.contains("print-config"));
}

#[test]
fn init_makes_a_private_key_a_certificate_and_a_database() {
    let dir = temp("init");
    let data = dir.join("data");
    let out = init(&data);
    assert!(
        out.contains("admin@clinic.example with the one-time password"),
        "{out}"
    );
    let key = data.join("db.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);
    assert_eq!(
        std::fs::metadata(data.join("tls/key.pem"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );

    // The printed fingerprint is the SHA-256 of the certificate's DER bytes.
    let pem = std::fs::read_to_string(data.join("tls/cert.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64_decode(&b64);
    let expected: Vec<String> = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert!(out.contains(&expected.join(":")), "{out}");

    let (ok, out, err) = run(&["check", "--data-dir", data.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("integrity_check: ok") && out.contains("SQLCipher 4."),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "schema: version {n} of {n}",
            n = kerato_store::MIGRATIONS.last().unwrap().version
        )),
        "{out}"
    );

    let (ok, out, _) = run(&["migrate", "--data-dir", data.to_str().unwrap()]);
    assert!(ok && out.contains("applied 0 migration(s)"), "{out}");

    // A second init changes nothing and says so.
    let before = std::fs::read(&key).unwrap();
    let (ok, _, err) = run(&[
        "init",
        "--admin-email",
        "a@b.example",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("already initialised"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_or_missing_key_is_one_clear_line_and_touches_nothing() {
    let dir = temp("wrongkey");
    let data = dir.join("data");
    init(&data);
    let db = data.join("kerato.db");
    let before = std::fs::read(&db).unwrap();
    let files_before: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let wrong = "ab".repeat(32);
    for cmd in ["check", "serve", "migrate"] {
        let (ok, _, err) = run_with_env(
            &[cmd, "--data-dir", data.to_str().unwrap()],
            &[("KERATO_DB_KEY", &wrong)],
        );
        assert!(!ok, "{cmd} succeeded with a wrong key");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{cmd}: {err}");
        assert!(
            lines[0].contains("database key does not open"),
            "{cmd}: {err}"
        );
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{cmd} changed the database file"
        );
    }
    let files_after: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files_before, files_after);

    let (ok, _, err) = run_with_env(
        &["check", "--data-dir", data.to_str().unwrap()],
        &[("KERATO_DB_KEY", "xyz")],
    );
    assert!(
        !ok && err.contains("not 64 hexadecimal characters"),
        "{err}"
    );

    std::fs::remove_file(data.join("db.key")).unwrap();
    let (ok, _, err) = run(&["check", "--data-dir", data.to_str().unwrap()]);
    assert!(!ok && err.contains("no database key"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn serve_on_an_empty_directory_says_to_run_init() {
    let dir = temp("empty");
    let (ok, _, err) = run(&[
        "serve",
        "--data-dir",
        dir.join("nothing").to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert!(!ok && err.contains("kerato init"), "{err}");
    assert!(!dir.join("nothing/kerato.db").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn print_config_prints_a_commented_toml_example() {
    let (ok, out, _) = run(&["print-config"]);
    assert!(ok);
    assert!(
        out.contains("[server]") && out.contains("[database]") && out.contains("KERATO_DB_KEY")
    );
    assert!(out.lines().filter(|l| l.starts_with('#')).count() > 10);
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    let (ok, _, err) = run(&["serve", "--bind", "not-an-address"]);
    assert!(
        !ok && err.contains("invalid value 'not-an-address'"),
        "{err}"
    );
    let (ok, _, err) = run(&["bench", "store", "--rows", "5"]);
    assert!(
        !ok && err.contains("--rows") && err.contains("10..=1000000"),
        "{err}"
    );
    let (ok, _, err) = run(&["serve", "--tls", "maybe"]);
    assert!(!ok && err.contains("possible values"), "{err}");
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn retention_run_prints_counts_per_class() {
    let dir = temp("retention");
    let data = dir.join("data");
    init(&data);
    let data = data.to_str().unwrap();
    let (ok, out, err) = run(&["retention", "run", "--dry-run", "--data-dir", data]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("(dry run):"), "{out}");
    assert!(
        out.contains("Clinical record (adult): would delete 0 charts of adults (0 rows); 0 due but under a legal hold; 0 due but kept while part must stay"),
        "{out}"
    );
    assert!(
        out.contains("Audit trail: would pseudonymise 0 audit events (0 rows)"),
        "{out}"
    );
    let (ok, out, err) = run(&["retention", "run", "--data-dir", data]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Usage logs: deleted 0 staff sign-in sessions (0 rows)"),
        "{out}"
    );
    assert!(
        out.contains("Audit trail: pseudonymised 0 audit events (0 rows)"),
        "{out}"
    );
    assert!(!out.contains("dry run"), "{out}");
}

/// The preview prints exactly the shared schema (`Report` refuses unknown
/// fields) for yesterday, with the installation ID kept between runs.
#[test]
fn telemetry_preview_prints_the_report_that_would_be_sent() {
    let dir = temp("telemetry");
    let data = dir.join("data");
    init(&data);
    let data = data.to_str().unwrap();
    let (ok, out, err) = run(&["telemetry", "preview", "--data-dir", data]);
    assert!(ok, "{out}{err}");
    let report: kerato_domain::telemetry::Report = serde_json::from_str(&out).unwrap();
    report.validate().unwrap();
    let today = kerato_domain::time::Clock::now(&kerato_app::clock::SystemClock)
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    // A run across UTC midnight reports the day before the one it started on.
    assert!(
        [
            today.yesterday().unwrap(),
            today.yesterday().unwrap().yesterday().unwrap()
        ]
        .contains(&report.day),
        "{out}"
    );
    let (ok, again, err) = run(&["telemetry", "preview", "--data-dir", data]);
    assert!(ok, "{again}{err}");
    let again: kerato_domain::telemetry::Report = serde_json::from_str(&again).unwrap();
    assert_eq!(again.installation, report.installation);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_mail_is_imported_redacted_and_the_site_retention_job_runs_dry() {
    let dir = temp("site-cli");
    let data = dir.join("site");
    // The site's first start makes its data; the commands then work on it.
    crate::support::start_site_once(&data).await;
    let maildir = dir.join("mail");
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::write(
        maildir.join("new").join("1.eml"),
        "From: Ann <ann@leeeye.example>\nSubject: Printer\nMessage-ID: <1@leeeye.example>\n\n\
         The printer jams. Patient SSN 219-09-9999 was on the label.\n",
    )
    .unwrap();
    std::fs::write(maildir.join("new").join("2.eml"), "not a mail at all").unwrap();
    let args = [
        "site-import-mail",
        "--data-dir",
        data.to_str().unwrap(),
        "--maildir",
        maildir.to_str().unwrap(),
    ];
    let (ok, out, err) = run(&args);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("1 new tickets") && out.contains("1 redacted"),
        "{out}"
    );
    assert!(out.contains("1 moved to bad/"), "{out}");
    let (ok, out, _) = run(&args);
    assert!(
        ok && out.contains("0 new tickets"),
        "a second import finds nothing: {out}"
    );
    let (ok, out, err) = run(&[
        "site-retention",
        "--data-dir",
        data.to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Closed customer accounts") && out.contains("would delete 0"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
