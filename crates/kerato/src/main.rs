//! The `kerato` binary: one program for the clinic system, the vendor site
//! and their operations (init, migrate, check, demo, bench).

mod bench;
mod bench_http;
mod cli;
mod config;
mod datadir;
mod import;
mod serve;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the error and its causes, joined, so scripts and
            // people see what is wrong without a backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates its own arena (up to eight per
/// core) and keeps what is freed in it. The server allocates on its runtime
/// workers and on one thread per database connection, and the arenas'
/// leftovers made its resident memory grow to 125 MB serving a
/// 100,000-chart registry, against 66 MB with two arenas and the same
/// throughput (`kerato bench http`). Called first thing in `main`, before
/// any other thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets a tunable of the C allocator; it is called
    // before any other thread starts, so nothing allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
