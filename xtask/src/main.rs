//! `cargo xtask ci`: the one command that installs what the tests need and
//! runs every check, the way CI does.
//!
//! Steps: install missing Debian packages and the Python validators, start a
//! throwaway PostgreSQL cluster on a loopback port (as the `postgres` user
//! when run as root), then `cargo fmt --check`, `cargo clippy -D warnings`,
//! the whole test suite on SQLite and again on PostgreSQL, and a closing
//! summary line. The cluster is stopped and removed however the run ends.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("pg") => {
            // Starts a cluster for local work and prints its URL; Ctrl-C stops it.
            let pg = Postgres::start(&cache_dir()?)?;
            println!("KERATO_TEST_PG_URL={}", pg.url);
            println!("press Enter to stop the cluster");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Ok(())
        }
        _ => {
            eprintln!("usage: cargo xtask ci    run every check as CI does");
            eprintln!("       cargo xtask pg    start a throwaway PostgreSQL for local tests");
            std::process::exit(2);
        }
    }
}

/// Where CI keeps state between runs on the same machine (the venv, the
/// PostgreSQL cluster directory). Outside the clone, so a fresh clone reuses it.
fn cache_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("KERATO_CI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/kerato-ci"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn ci() -> Result<()> {
    let started = Instant::now();
    let cache = cache_dir()?;
    ensure_debian_packages()?;
    let python = ensure_python_validators(&cache)?;

    step("cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("cargo clippy", || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;

    let sqlite = step("tests on SQLite", || {
        run_tests(
            cargo()
                .args(["test", "--workspace", "--no-fail-fast"])
                .env("KERATO_PYTHON", &python),
        )
    })?;
    let pg = Postgres::start(&cache)?;
    let postgres = step("tests on PostgreSQL", || {
        run_tests(
            cargo()
                .args(["test", "--workspace", "--no-fail-fast"])
                .env("KERATO_PYTHON", &python)
                .env("KERATO_TEST_PG_URL", &pg.url),
        )
    });
    drop(pg);
    let postgres = postgres?;

    let passed = sqlite.passed + postgres.passed;
    let failed = sqlite.failed + postgres.failed;
    println!();
    println!(
        "ci: sqlite {} passed, {} failed; postgres {} passed, {} failed; {} s",
        sqlite.passed,
        sqlite.failed,
        postgres.passed,
        postgres.failed,
        started.elapsed().as_secs()
    );
    println!("{passed} passed, {failed} failed");
    if failed > 0 || sqlite.passed == 0 || postgres.passed == 0 {
        bail!("tests failed or none ran");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    eprintln!("==> {name}");
    let t = Instant::now();
    let out = f().with_context(|| format!("step failed: {name}"))?;
    eprintln!("<== {name} ({:.0} s)", t.elapsed().as_secs_f64());
    Ok(out)
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} exited with {status}");
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Installs the Debian packages the build and tests need, if any is missing.
fn ensure_debian_packages() -> Result<()> {
    let mut missing = Vec::new();
    if pg_bin_dir().is_none() {
        missing.push("postgresql");
    }
    if !Path::new("/usr/include/openssl/ssl.h").exists() {
        missing.push("libssl-dev");
    }
    if Command::new("pkg-config")
        .arg("--version")
        .output()
        .is_err()
    {
        missing.push("pkg-config");
    }
    // The browser test drives Debian's Chromium through its chromedriver.
    if !Path::new("/usr/bin/chromedriver").exists() {
        missing.extend(["chromium", "chromium-driver"]);
    }
    // The prescription PDF tests read their output back with poppler's pdftotext and pdfinfo.
    if !Path::new("/usr/bin/pdftotext").exists() {
        missing.push("poppler-utils");
    }
    if Command::new("python3")
        .args(["-m", "venv", "--help"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        missing.push("python3-venv");
    }
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "missing Debian packages: run `sudo apt-get install -y {}` and try again",
            missing.join(" ")
        );
    }
    step(&format!("apt-get install {}", missing.join(" ")), || {
        run(Command::new("apt-get").arg("update").arg("-q"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    })
}

/// The validators the tests call: a virtualenv with pinned versions.
const PYTHON_PACKAGES: &[&str] = &["openapi-spec-validator==0.7.2"];

fn ensure_python_validators(cache: &Path) -> Result<PathBuf> {
    let venv = cache.join("venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("kerato-packages.txt");
    let wanted = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    step("python validators", || {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(PYTHON_PACKAGES))?;
        std::fs::write(&stamp, &wanted)?;
        Ok(())
    })?;
    Ok(python)
}

/// A PostgreSQL cluster for one CI run, on a free loopback port.
struct Postgres {
    url: String,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    fn start(cache: &Path) -> Result<Self> {
        let bin = pg_bin_dir().context("PostgreSQL is not installed")?;
        let as_postgres = is_root();
        let dir = cache.join(format!("pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if as_postgres {
            // initdb refuses to run as root; the cluster belongs to `postgres`.
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let data = dir.join("data");
        let pg = Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            dir: dir.clone(),
            bin: bin.clone(),
            as_postgres,
        };
        pg.run_pg(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        )?;
        // fsync off: this cluster is thrown away, and test speed matters more.
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c max_connections=300",
            dir.display()
        );
        pg.run_pg(
            "pg_ctl",
            &[
                "-D",
                &data.display().to_string(),
                "-l",
                &dir.join("log").display().to_string(),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        )?;
        eprintln!("PostgreSQL running at {}", pg.url);
        Ok(pg)
    }

    fn run_pg(&self, tool: &str, args: &[&str]) -> Result<()> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.args(args).current_dir("/").stdout(Stdio::null());
        run(&mut cmd)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let _ = self.run_pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
}

/// Runs `cargo test`, passing its output through and adding up the
/// `test result:` lines of every test binary.
fn run_tests(cmd: &mut Command) -> Result<Counts> {
    let mut child = cmd.stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut counts = Counts::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            counts.passed += number_before(rest, " passed");
            counts.failed += number_before(rest, " failed");
        }
    }
    let status = child.wait()?;
    if !status.success() {
        eprintln!("cargo test exited with {status}");
        counts.failed = counts.failed.max(1);
    }
    Ok(counts)
}

fn number_before(text: &str, label: &str) -> u64 {
    text.find(label)
        .and_then(|end| {
            let start = text[..end]
                .rfind(|c: char| !c.is_ascii_digit())
                .map_or(0, |i| i + 1);
            text[start..end].parse().ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::number_before;

    #[test]
    fn reads_cargo_test_result_lines() {
        let line =
            "ok. 15 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.12s";
        assert_eq!(number_before(line, " passed"), 15);
        assert_eq!(number_before(line, " failed"), 2);
        assert_eq!(number_before("FAILED. 0 passed; 1 failed;", " passed"), 0);
    }
}
