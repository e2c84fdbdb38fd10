//! The PHI boundary: the site links no clinical crate, and no column of its
//! schema looks like protected health information.

use crate::{TestSite, spawn};

/// Crates that hold or handle PHI; the site may depend on none of them.
const CLINICAL: &[&str] = &[
    "kerato-domain",
    "kerato-store",
    "kerato-app",
    "kerato-web",
    "kerato-formats",
];

#[test]
fn the_site_depends_on_no_clinical_crate() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "kerato-site",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("kerato-core"),
        "the tree was not read: {tree}"
    );
    for name in CLINICAL {
        assert!(
            !tree
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "kerato-site depends on {name}"
        );
    }
}

/// Column names that would mean the site stores PHI. Matched as whole
/// words of the snake_case name, so `updated_at` does not match `dob`.
const PHI_WORDS: &[&[&str]] = &[
    &["dob"],
    &["birth"],
    &["birthdate"],
    &["diagnosis"],
    &["diagnoses"],
    &["icd"],
    &["mrn"],
    &["medical", "record"],
    &["chart"],
    &["patient"],
    &["ssn"],
    &["social", "security"],
    &["member", "id"],
    &["insurance"],
    &["policy", "number"],
    &["prescription"],
    &["rx"],
    &["lesion"],
    &["biopsy"],
    &["pathology"],
    &["allergy"],
    &["medication"],
];

fn looks_like_phi(column: &str) -> bool {
    let words: Vec<&str> = column.split('_').collect();
    PHI_WORDS
        .iter()
        .any(|phrase| words.windows(phrase.len()).any(|w| w == *phrase))
}

#[test]
fn the_scan_recognises_phi_like_names() {
    for bad in [
        "patient_dob",
        "date_of_birth",
        "diagnosis_code",
        "mrn",
        "insurance_member_id",
        "member_id",
    ] {
        assert!(looks_like_phi(bad), "{bad}");
    }
    for fine in [
        "updated_at",
        "email",
        "practice_name",
        "subject",
        "body",
        "seats",
    ] {
        assert!(!looks_like_phi(fine), "{fine}");
    }
}

/// Every (table, column) of the site schema, on either backend.
pub(crate) async fn columns(t: &TestSite) -> Vec<(String, String)> {
    let mut tx = t.site.store.read().await.unwrap();
    match tx.backend() {
        kerato_db::Backend::Sqlite => kerato_db::on_tx!(tx, c => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
        )
        .fetch_all(&mut **c)
        .await)
        .unwrap(),
        kerato_db::Backend::Postgres => kerato_db::on_tx!(tx, c => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        .fetch_all(&mut **c)
        .await)
        .unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_site_column_looks_like_phi() {
    let t = spawn().await;
    let columns = columns(&t).await;
    assert!(columns.len() > 20, "the schema was not read: {columns:?}");
    let bad: Vec<String> = columns
        .iter()
        .filter(|(_, col)| looks_like_phi(col))
        .map(|(t, c)| format!("{t}.{c}"))
        .collect();
    assert!(
        bad.is_empty(),
        "PHI-like columns in the site schema: {bad:?}"
    );
}
