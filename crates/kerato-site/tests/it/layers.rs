//! The site's shape, read from its source tree: areas are folders of
//! layers, `rules` (pure) → `store` (the only SQL) → use cases → `pages`,
//! and every reference points down that order, never back; pages change
//! nothing themselves (no write transaction: that is a use case's); the
//! top-level modules depend on each other without a cycle; no file is too
//! long.
//!
//! A module's dependencies are the `crate::…`, `super::…` and `self::…`
//! paths its files name (comments aside). Inside the crate an area is
//! always named with its layer (`crate::billing::store::invoices_of`), so
//! the direction of every reference can be read; the area's `mod.rs`
//! re-exports are for callers outside the crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of an area, lowest first; any other module of an area is a
/// use case, between `store` and `pages`.
fn rank(layer: &str) -> u8 {
    match layer {
        "rules" => 0,
        "store" => 1,
        "pages" => 3,
        _ => 2,
    }
}

/// The longest a source file may be, tests included or not.
const MAX_LINES: usize = 800;

struct File {
    /// The module path, `["billing", "store"]` for `src/billing/store.rs`.
    module: Vec<String>,
    path: PathBuf,
    text: String,
}

fn files(dir: &Path, src: &Path, out: &mut Vec<File>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("the source tree is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, src, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(src).expect("under src");
            let mut module: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a source file is readable");
            out.push(File { module, path, text });
        }
    }
}

/// The code of a file without its comments, so a path in prose does not
/// count as a dependency, and without its unit tests (at the end of the
/// file), whose `super` is the file's own module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts with `crate`, `super` or `self`, with braced
/// groups expanded: `crate::a::{b::c, d}` gives `crate::a::b::c` and
/// `crate::a::d`.
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let starts_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let rest = &code[i..];
        let root = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|r| rest.starts_with(r));
        match root {
            Some(r) if starts_word => {
                let end = path_end(rest);
                expand(&rest[..end], &mut out);
                i += end.max(r.len());
            }
            _ => i += 1,
        }
    }
    out
}

/// Where a path (with its braces) ends.
fn path_end(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':' || c == '*') => {
                return i;
            }
            _ => {}
        }
    }
    s.len()
}

fn expand(path: &str, out: &mut Vec<Vec<String>>) {
    let Some(open) = path.find('{') else {
        out.push(
            path.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        );
        return;
    };
    let prefix = &path[..open];
    let inner = &path[open + 1..path.rfind('}').unwrap_or(path.len())];
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    for part in parts {
        let part = part.split_whitespace().collect::<Vec<_>>().join(" ");
        let part = part.split(" as ").next().unwrap_or("");
        if part.is_empty() {
            continue;
        }
        if part == "self" {
            expand(prefix.trim_end_matches("::"), out);
        } else {
            expand(&format!("{prefix}{part}"), out);
        }
    }
}

/// The module a path names, from the crate root.
fn resolve(from: &[String], path: &[String]) -> Vec<String> {
    let mut base: Vec<String> = Vec::new();
    let mut segments = path.iter().peekable();
    match segments.next().map(String::as_str) {
        Some("crate") => {}
        Some("self") => base = from.to_vec(),
        Some("super") => {
            base = from.to_vec();
            base.pop();
            while segments.peek().is_some_and(|s| *s == "super") {
                segments.next();
                base.pop();
            }
        }
        _ => return Vec::new(),
    }
    base.extend(segments.cloned());
    base
}

struct Tree {
    files: Vec<File>,
    /// Top-level modules that are areas (they have layers).
    areas: BTreeSet<String>,
    /// Names the crate root re-exports, with the module they come from.
    root_names: BTreeMap<String, String>,
    /// Every module of the crate.
    modules: BTreeSet<Vec<String>>,
}

fn tree() -> Tree {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &src, &mut all);
    let modules: BTreeSet<Vec<String>> = all.iter().map(|f| f.module.clone()).collect();
    let areas = modules
        .iter()
        .filter(|m| m.len() == 2 && ["rules", "store", "pages"].contains(&m[1].as_str()))
        .map(|m| m[0].clone())
        .collect();
    let lib = all
        .iter()
        .find(|f| f.module.is_empty())
        .expect("src/lib.rs is read");
    let mut root_names = BTreeMap::new();
    for line in lib.text.lines() {
        let Some(rest) = line.strip_prefix("pub use ") else {
            continue;
        };
        let mut found = Vec::new();
        expand(rest.trim_end_matches(';'), &mut found);
        for p in found {
            if let (Some(first), Some(last)) = (p.first(), p.last()) {
                root_names.insert(last.clone(), first.clone());
            }
        }
    }
    Tree {
        files: all,
        areas,
        root_names,
        modules,
    }
}

/// The module a reference lands in: the longest module of the crate that
/// starts the resolved path (an item's path goes on past its module).
fn target(tree: &Tree, resolved: &[String]) -> Vec<String> {
    if resolved.len() == 1 {
        // An item of the root, or a name it re-exports from a module.
        return match tree.root_names.get(&resolved[0]) {
            Some(m) => vec![m.clone()],
            None if tree.modules.contains(resolved) => resolved.to_vec(),
            None => Vec::new(),
        };
    }
    (0..=resolved.len())
        .rev()
        .map(|n| resolved[..n].to_vec())
        .find(|m| tree.modules.contains(m))
        .unwrap_or_default()
}

/// Whether a line of the root only declares a module or re-exports names,
/// which makes it no dependency of the root's own code.
fn declaration(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("pub mod ")
        || l.starts_with("mod ")
        || l.starts_with("pub use ")
        || l.starts_with("pub(crate) use ")
}

#[test]
fn top_level_modules_depend_on_each_other_without_a_cycle() {
    let tree = tree();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &tree.files {
        let from = f.module.first().cloned().unwrap_or_else(|| "crate".into());
        let text = if f.module.is_empty() {
            f.text
                .lines()
                .filter(|l| !declaration(l))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            f.text.clone()
        };
        for p in paths(&code(&text)) {
            let to = target(&tree, &resolve(&f.module, &p));
            let to = to.first().cloned().unwrap_or_else(|| "crate".into());
            if to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    assert!(
        edges.get("web").is_some_and(|e| e.contains("crate")),
        "the graph was not read: {edges:?}"
    );
    // Depth-first search for a back edge; the path to it is the cycle.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(next, edges, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        if !state.contains_key(node.as_str()) {
            let cycle = visit(node, &edges, &mut state, &mut Vec::new());
            assert!(
                cycle.is_none(),
                "the site's modules import each other in a cycle: {}",
                cycle.unwrap_or_default().join(" → ")
            );
        }
    }
}

#[test]
fn references_go_down_the_layers_and_name_them() {
    let tree = tree();
    assert!(
        ["accounts", "billing", "tickets", "rights"]
            .iter()
            .all(|a| tree.areas.contains(*a)),
        "the areas were not found: {:?}",
        tree.areas
    );
    let mut wrong = Vec::new();
    for f in &tree.files {
        let Some(area) = f.module.first().filter(|m| tree.areas.contains(*m)) else {
            continue;
        };
        // An area's mod.rs only declares its layers and re-exports them.
        let Some(layer) = f.module.get(1) else {
            continue;
        };
        for p in paths(&code(&f.text)) {
            let to = target(&tree, &resolve(&f.module, &p));
            let Some(to_area) = to.first().filter(|m| tree.areas.contains(*m)) else {
                continue;
            };
            let Some(to_layer) = to.get(1) else {
                wrong.push(format!(
                    "{}: `{}` reaches area {to_area} without naming its layer",
                    f.path.display(),
                    p.join("::")
                ));
                continue;
            };
            if rank(to_layer) > rank(layer) {
                wrong.push(format!(
                    "{}: {area}::{layer} uses {to_area}::{to_layer}, a higher layer (`{}`)",
                    f.path.display(),
                    p.join("::")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether `code` names `word` as a whole (`crate::Site`, not
/// `crate::SiteConfig`).
fn names(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        !code[i + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn rules_do_no_io_and_only_stores_hold_sql() {
    let tree = tree();
    let mut wrong = Vec::new();
    for f in &tree.files {
        let Some(layer) = f
            .module
            .first()
            .filter(|m| tree.areas.contains(*m))
            .and(f.module.get(1))
        else {
            continue;
        };
        let code = code(&f.text);
        // Header types are plain values; requests, responses and routers
        // are the pages' business.
        let io = [
            "kerato_db",
            "sqlx",
            "askama",
            "tokio",
            "reqwest",
            "crate::Site",
            "axum::extract",
            "axum::response",
            "axum::Router",
        ];
        if layer == "rules" {
            for word in io.iter().filter(|w| names(&code, w)) {
                wrong.push(format!("{}: rules name `{word}`", f.path.display()));
            }
        }
        // Every change is a use case's: pages may read the store in a read
        // transaction to fill a page, never open a write one.
        if layer == "pages" && code.contains("store.write()") {
            wrong.push(format!(
                "{}: a page opens a write transaction; make the change a use case",
                f.path.display()
            ));
        }
        let sql = ["sqlx::query", "execute!", "on_tx!"];
        if layer != "store" {
            for word in sql.iter().filter(|w| code.contains(**w)) {
                wrong.push(format!(
                    "{}: SQL (`{word}`) outside the store",
                    f.path.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_source_file_is_too_long() {
    let long: Vec<String> = tree()
        .files
        .iter()
        .map(|f| (f.path.display().to_string(), f.text.lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| format!("{p}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "split these files (at most {MAX_LINES} lines): {long:?}"
    );
}

#[test]
fn paths_are_read_with_their_braces() {
    let mut out = Vec::new();
    expand("crate::a::{b::{c, d}, self, e as f}", &mut out);
    let joined: Vec<String> = out.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "crate::a::b::c",
            "crate::a::b::d",
            "crate::a",
            "crate::a::e"
        ]
    );
    assert_eq!(
        resolve(&["x".into(), "y".into()], &["super".into(), "z".into()]),
        ["x", "z"]
    );
    let found =
        paths("use crate::web::{Layout, SiteError};\nlet s = \"crate\"; super::rules::x();");
    assert_eq!(found.len(), 3, "{found:?}");
}
