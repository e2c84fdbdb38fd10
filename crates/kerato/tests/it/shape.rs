//! The code keeps its shape: the rules ARCHITECTURE.md sets for layers and
//! module size, checked over the workspace's sources so a change that
//! breaks one fails here rather than in a review.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The workspace's `crates/` directory.
fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/")
        .to_path_buf()
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The sources of every crate, without tests, benches or build scripts:
/// `crates/*/src/**.rs`.
fn crate_sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            out.extend(sources(&src));
        }
    }
    out
}

/// The longest a source file may grow; an area's file that nears it
/// becomes a folder of cohesive modules (CONTRIBUTING.md).
const MAX_LINES: usize = 800;

#[test]
fn no_source_file_exceeds_800_lines() {
    let long: Vec<String> = crate_sources()
        .into_iter()
        .filter_map(|path| {
            let n = std::fs::read_to_string(&path).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", path.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these into folders of cohesive modules: {long:#?}"
    );
}

#[test]
fn the_web_layer_never_names_the_store() {
    let web = crates_dir().join("kerato-web/src");
    let naming: Vec<String> = sources(&web)
        .into_iter()
        .filter(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .contains("kerato_store")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        naming.is_empty(),
        "kerato-web reaches the store only through kerato-app's use cases and kerato-domain's types: {naming:#?}"
    );
    let manifest = std::fs::read_to_string(crates_dir().join("kerato-web/Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dev-dependencies]")
        .next()
        .unwrap_or_default();
    assert!(
        !deps.contains("kerato-store"),
        "kerato-web must not depend on kerato-store outside its tests"
    );
}

/// The type names a file imports from the store (`use kerato_store::…`).
fn store_imports(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("use kerato_store") {
        let stmt = &rest[at..];
        let end = stmt.find(';').unwrap_or(stmt.len());
        for word in stmt[..end].split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if word.starts_with(|c: char| c.is_ascii_uppercase()) {
                names.insert(word.to_string());
            }
        }
        rest = &stmt[end..];
    }
    names
}

/// The public signatures of a file: each `pub fn`/`pub async fn` up to its
/// body, each `pub` field, each `pub type`, and each `pub use`.
fn public_signatures(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if line.starts_with("pub fn ") || line.starts_with("pub async fn ") {
            let mut sig = String::new();
            while i < lines.len() {
                sig.push_str(lines[i]);
                sig.push(' ');
                if lines[i].contains('{') || lines[i].trim_end().ends_with(';') {
                    break;
                }
                i += 1;
            }
            out.push(sig);
        } else if line.starts_with("pub use ")
            || line.starts_with("pub type ")
            || (line.starts_with("pub ") && line.contains(':') && !line.contains('('))
        {
            out.push(line.to_string());
        }
        i += 1;
    }
    out
}

/// Store types the application may name in its API: the encrypted file
/// store the binary builds the application with is a storage handle, like
/// `kerato_db::Store`, not a record.
const STORAGE_HANDLES: &[&str] = &["AttachmentStore"];

#[test]
fn the_application_exports_no_store_type() {
    let app = crates_dir().join("kerato-app/src");
    let mut leaks = Vec::new();
    for path in sources(&app) {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut imported = store_imports(&text);
        imported.retain(|name| !STORAGE_HANDLES.contains(&name.as_str()));
        for sig in public_signatures(&text) {
            let names_store = sig
                .replace("kerato_store::attachments::AttachmentStore", "")
                .contains("kerato_store")
                || sig
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| imported.contains(w));
            if names_store {
                leaks.push(format!("{}: {}", path.display(), sig.trim()));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "kerato-app's public API names store types; return kerato-domain types instead: {leaks:#?}"
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    // The scanners above must find what they exist to find, or they pass
    // by seeing nothing.
    let sample = "use kerato_store::scheduling::{AppointmentRow, insert};\n\
                  pub async fn book(\n    &self,\n) -> Result<AppointmentRow, E> {\n}\n\
                  pub struct X {\n    pub row: AppointmentRow,\n}\n";
    let imported = store_imports(sample);
    assert!(imported.contains("AppointmentRow") && !imported.contains("insert"));
    let sigs = public_signatures(sample);
    assert_eq!(sigs.len(), 2, "{sigs:?}");
    assert!(sigs.iter().all(|s| s.contains("AppointmentRow")));
    assert!(crate_sources().len() > 100);
}
