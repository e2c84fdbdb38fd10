//! The privacy statement and the cookie policy are ours: no text in the
//! repository and no served document names another company as the one
//! running this site, the vendor's name and contact details come from the
//! `[site]` settings, and the promises they make are the numbers the code
//! keeps.

use std::path::{Path, PathBuf};

use kerato_core::rights_request::{Period, Regime};
use kerato_site::SiteConfig;

use crate::spawn_with;

/// What would name the company whose documents were once copied here, or
/// a tool this site does not use: its name, its web address, its phone
/// number and its street. Each is written in two parts, so that this file
/// does not match itself.
const FOREIGN: &[[&str; 2]] = &[
    ["m.s.", " group"],
    ["ms", "group"],
    ["ms group", " software"],
    ["766-", "7756"],
    ["766", "7756"],
    ["204 mills", " avenue"],
    ["29657", "-1429"],
    ["google", " analytics"],
];

fn foreign_in(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    FOREIGN
        .iter()
        .map(|[a, b]| format!("{a}{b}"))
        .filter(|needle| lower.contains(needle.as_str()))
        .collect()
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The files git tracks, or, in a copy without git, every file outside
/// `target`, hidden directories and demo data.
fn tracked_files(root: &Path) -> Vec<PathBuf> {
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output();
    if let Ok(out) = listed
        && out.status.success()
    {
        return out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
            .collect();
    }
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" || name.starts_with("kerato-demo") {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

#[test]
fn no_text_in_the_repository_names_another_company_as_ours() {
    let root = repository_root();
    let files = tracked_files(&root);
    assert!(
        files.iter().any(|f| f.ends_with("README.md")),
        "the scan found the repository at {}",
        root.display()
    );
    let mut found = Vec::new();
    for file in &files {
        // Binary files (images, fonts, data) hold no prose.
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for needle in foreign_in(&text) {
            found.push(format!("{}: {needle}", file.display()));
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// Settings unlike the defaults, so that a document that wrote the
/// vendor's details into its text instead of taking them from here shows.
fn harbor_light() -> SiteConfig {
    SiteConfig {
        vendor_name: "Harbor Light Software LLC".into(),
        contact_email: "privacy@harborlight.example".into(),
        contact_phone: "1-800-555-0123".into(),
        postal_address: "12 Quay Street, Portland, ME 04101".into(),
        usage_log_days: 14,
        ..SiteConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_served_document_is_ours_and_names_the_configured_vendor() {
    let t = spawn_with(harbor_light()).await;
    // The demo announces a second version of the statement.
    kerato_site::demo::seed(&t.site).await.unwrap();
    for path in [
        "/privacy",
        "/cookies",
        "/privacy/versions/1",
        "/privacy/versions/2",
        "/cookies/versions/1",
    ] {
        let (status, body) = t.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(foreign_in(&body), Vec::<String>::new(), "{path}");
        for default in ["Kerato Software", "info@kerato.example", "1-800-555-0199"] {
            assert!(!body.contains(default), "{path} names {default}");
        }
        assert!(
            body.contains("14 days"),
            "{path}: the configured log period"
        );
    }
    let (_, statement) = t.get("/privacy").await;
    for ours in [
        "Harbor Light Software LLC",
        "privacy@harborlight.example",
        "1-800-555-0123",
        "12 Quay Street, Portland, ME 04101",
    ] {
        assert!(statement.contains(ours), "the statement lacks {ours}");
    }
    // Without a postal address the statement has no empty line for one.
    let t = spawn_with(SiteConfig {
        postal_address: String::new(),
        ..harbor_light()
    })
    .await;
    let (_, statement) = t.get("/privacy").await;
    assert!(!statement.contains("Post:"), "an empty address line");
    assert!(!statement.contains('{'), "an unfilled placeholder");
}

/// The statement's promises are the product's numbers: if one of these
/// changes, the statement must change with it (by a new version).
#[tokio::test(flavor = "multi_thread")]
async fn the_statement_promises_what_the_code_keeps() {
    use kerato_core::policy::MATERIAL_NOTICE_DAYS;
    use kerato_core::retention::{ACCOUNT_YEARS_AFTER_CLOSURE, MARKETING_YEARS_AFTER_INTERACTION};
    let rule = Regime::Statement.rule();
    let (Period::Days(answer), Some(Period::Days(extra))) = (rule.respond_within, rule.extension)
    else {
        panic!("the statement's regime counts days");
    };
    assert_eq!(
        (
            ACCOUNT_YEARS_AFTER_CLOSURE,
            MARKETING_YEARS_AFTER_INTERACTION
        ),
        (1, 3)
    );
    let t = spawn_with(harbor_light()).await;
    let (_, statement) = t.get("/privacy").await;
    for promise in [
        format!("within {answer} days"),
        format!("to {} days in all", answer + extra),
        format!("at least {MATERIAL_NOTICE_DAYS} days before"),
        "for one year after it is closed".to_string(),
        "three years after your last interaction".to_string(),
        "child under 13".to_string(),
        "encrypted in transit".to_string(),
        "encrypted at rest".to_string(),
        "Global Privacy Control".to_string(),
        "never reach us".to_string(),
        "never sent to us".to_string(),
        "deleted after 14 days".to_string(),
        format!("works for {} hours", kerato_site::rights::VERIFY_HOURS),
        format!("once, for {} days", kerato_site::rights::DOWNLOAD_DAYS),
    ] {
        assert!(
            statement.contains(&promise),
            "the statement does not say {promise:?}"
        );
    }
    let (_, cookies) = t.get("/cookies").await;
    for promise in [
        "kerato_csrf",
        "kerato_site_session",
        "kerato_consent",
        "kept for one year",
        "a count per page per day",
        "deleted after 14 days",
    ] {
        assert!(
            cookies.contains(promise),
            "the cookie policy does not say {promise:?}"
        );
    }
    assert!(
        !cookies.contains("kerato_prefs"),
        "the cookie policy lists a cookie the site never sets"
    );
    assert!(
        !statement.contains("available upon request")
            && !cookies.contains("available upon request"),
        "the cookie policy is published"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_copy_that_is_not_ours_is_withdrawn_and_ours_takes_its_place() {
    use kerato_core::policy::PolicyKind;
    use sha2::{Digest, Sha256};
    let t = spawn_with(SiteConfig::default()).await;
    // A statement copied from elsewhere, stored as version 1.
    let copied = "Privacy Statement\n1. Who We Are\nWe are Another Company Inc.\n";
    let mut tx = t.site.store.write().await.unwrap();
    kerato_db::execute!(
        &mut tx,
        sqlx::query("UPDATE site_policies SET body = $1 WHERE kind = 'privacy_statement'")
            .bind(copied)
    )
    .unwrap();
    tx.commit().await.unwrap();
    let (_, body) = t.get("/privacy").await;
    assert!(body.contains("Another Company"));
    // A later version of our own is already announced.
    kerato_site::policies::publish(
        &t.site,
        "staff:test",
        kerato_site::policies::NewVersion {
            kind: PolicyKind::PrivacyStatement,
            title: "Privacy Statement",
            body: kerato_site::policies::FIRST_STATEMENT,
            summary: "A clearer section on retention.",
            material: true,
            effective_at: crate::NOW.plus_micros(31 * 86_400_000_000),
        },
    )
    .await
    .unwrap();
    let hash = hex::encode(Sha256::digest(copied.trim().as_bytes()));
    let withdrawn = kerato_site::policies::withdraw_copies(&t.site, &[hash.as_str()])
        .await
        .unwrap();
    assert_eq!(withdrawn, 1);
    t.site.prepare().await.unwrap();
    let (status, body) = t.get("/privacy").await;
    assert_eq!(status, 200);
    assert!(!body.contains("Another Company"), "{body}");
    assert!(
        body.contains("Version 1, effective"),
        "ours is in force until the announced version"
    );
    let mut tx = t.site.store.read().await.unwrap();
    let docs = kerato_site::policies::all(&mut tx).await.unwrap();
    assert_eq!(
        docs.iter()
            .filter(|d| d.version.kind == PolicyKind::PrivacyStatement)
            .map(|d| d.version.version)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    let events = kerato_site::audit::about(&mut tx, "policy:privacy_statement:1")
        .await
        .unwrap();
    assert!(
        events.iter().any(|e| e.action == "policy.withdrawn"),
        "{events:?}"
    );
}
