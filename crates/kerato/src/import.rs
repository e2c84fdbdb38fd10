//! `kerato import patients|appointments FILE`: another system's export
//! brought into a practice's data, as one of its administrators, with a
//! progress bar and a report of every row; and `kerato bench import`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use kerato_app::App;
use kerato_app::clock::SystemClock;
use kerato_app::import::synthetic::{self, Book};
use kerato_app::import::{ImportRequest, Progress};
use kerato_domain::import::{ImportKind, ImportReport, Mapping, Preset};
use kerato_store::{ClinicSchema, OpenMode, Store};

use crate::cli::DataArgs;
use crate::config::Config;
use crate::datadir;

/// The bundled mappings, as the command line names them.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PresetArg {
    /// Kerato's own column names.
    Generic,
    /// OpenEMR's patient_data and openemr_postcalendar_events exports.
    Openemr,
}

impl From<PresetArg> for Preset {
    fn from(p: PresetArg) -> Self {
        match p {
            PresetArg::Generic => Preset::Generic,
            PresetArg::Openemr => Preset::OpenEmr,
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, with a header row).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The administrator the import runs as (their sign-in e-mail); every
    /// record's audit event names them.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: String,
    /// A bundled mapping; with --mapping, the file is laid over it.
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// A mapping file (TOML): which column each field comes from, value
    /// maps, date and time formats. See docs/import.md.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Check every row and report what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write every refused, duplicate and double-booked row to this
    /// CSV file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// The mapping the arguments ask for.
fn mapping(kind: ImportKind, preset: Option<PresetArg>, file: Option<&Path>) -> Result<Mapping> {
    let text = file
        .map(|f| {
            std::fs::read_to_string(f)
                .with_context(|| format!("reading the mapping file {}", f.display()))
        })
        .transpose()?;
    Mapping::choose(kind, preset.map(Preset::from), text.as_deref())
        .map_err(|e| anyhow::anyhow!("the mapping: {e}"))
}

/// The progress bar on standard error (drawn only on a terminal).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, rows: u64) {
        self.0.set_length(rows);
    }
    fn advance(&self, rows: u64) {
        self.0.inc(rows);
    }
}

fn bar(what: &str) -> Bar {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows, {per_sec}, {eta} left")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    Bar(bar)
}

/// Opens the data directory's store, refusing one that holds no Kerato
/// data or whose schema is not this binary's.
async fn open(config: &Config, data: &DataArgs) -> Result<Store> {
    let store = datadir::open_store(config, data, OpenMode::Existing).await?;
    let status = store.schema_status().await?;
    if status.current == 0 {
        let location = store.location().to_string();
        store.close().await;
        bail!("{location} holds no Kerato data (no schema): run `kerato init` first");
    }
    if !status.pending.is_empty() {
        store.close().await;
        bail!("the schema is behind this kerato: run `kerato migrate`");
    }
    Ok(store)
}

pub async fn run(config: &Config, kind: ImportKind, args: &ImportArgs) -> Result<()> {
    let mapping = mapping(kind, args.preset, args.mapping.as_deref())?;
    let file =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let store = open(config, &args.data).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock));
    let result = async {
        let caller = app
            .unsafe_import_caller(&args.as_user)
            .await
            .map_err(|e| anyhow::anyhow!("--as: {e}"))?;
        let progress = bar(&format!("importing {kind}"));
        let report = app
            .import(
                &caller,
                &ImportRequest {
                    mapping: &mapping,
                    file: &file,
                    dry_run: args.dry_run,
                },
                &progress,
            )
            .await;
        progress.0.finish_and_clear();
        report.map_err(|e| anyhow::anyhow!("{e}"))
    }
    .await;
    store.close().await;
    let report = result?;
    print!("{}", summary(kind, &mapping.source, &report));
    if let Some(path) = &args.report {
        std::fs::write(path, report_csv(&report))
            .with_context(|| format!("writing the report to {}", path.display()))?;
        println!("report: {}", path.display());
    }
    Ok(())
}

/// The report as a person reads it: counts, then every row that was not
/// imported and why.
pub fn summary(kind: ImportKind, source: &str, r: &ImportReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "import of {kind} from {source}{}: {} rows",
        if r.dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        },
        r.rows
    );
    let created = if r.dry_run { "would create" } else { "created" };
    let _ = writeln!(out, "  {created}: {}", r.created);
    let _ = writeln!(out, "  already imported: {}", r.already_imported);
    let _ = writeln!(
        out,
        "  duplicates of charts Kerato has (not created): {}",
        r.duplicates.len()
    );
    let _ = writeln!(out, "  refused: {} rows", r.refused_rows());
    if !r.overbooked.is_empty() {
        let _ = writeln!(out, "  double bookings: {}", r.overbooked.len());
    }
    for s in &r.skipped {
        let _ = writeln!(out, "  skipped: {} ({})", s.rows, s.reason);
    }
    if r.blank > 0 {
        let _ = writeln!(out, "  blank rows: {}", r.blank);
    }
    if !r.ignored_columns.is_empty() {
        let _ = writeln!(
            out,
            "columns not imported: {}",
            r.ignored_columns.join(", ")
        );
    }
    if !r.missing_columns.is_empty() {
        let _ = writeln!(
            out,
            "optional columns the file lacks: {}",
            r.missing_columns.join(", ")
        );
    }
    for d in &r.duplicates {
        let _ = writeln!(
            out,
            "row {}: duplicate of {}, not created",
            d.row,
            d.matches.join(", ")
        );
    }
    for i in &r.refused {
        let field = match &i.column {
            Some(c) => format!("{} ({c})", i.field),
            None => i.field.clone(),
        };
        let _ = writeln!(out, "row {}: {field}: {}", i.row, i.message);
    }
    for row in &r.overbooked {
        let _ = writeln!(out, "row {row}: imported as a double booking");
    }
    out
}

/// Every row that was not simply imported, as CSV for a spreadsheet.
pub fn report_csv(r: &ImportReport) -> String {
    use kerato_domain::import::file::csv_line;
    let mut out = csv_line(&["row", "outcome", "field", "column", "reason"]);
    for d in &r.duplicates {
        out.push_str(&csv_line(&[
            &d.row.to_string(),
            "duplicate",
            "",
            "",
            &format!("same person as {}", d.matches.join(", ")),
        ]));
    }
    for i in &r.refused {
        out.push_str(&csv_line(&[
            &i.row.to_string(),
            "refused",
            &i.field,
            i.column.as_deref().unwrap_or(""),
            &i.message,
        ]));
    }
    for row in &r.overbooked {
        out.push_str(&csv_line(&[
            &row.to_string(),
            "double booking",
            "",
            "",
            "imported as a double booking",
        ]));
    }
    out
}

/// `kerato bench import`: a practice set up through the application, then
/// `patients` patients and twice as many appointments imported from
/// synthetic OpenEMR exports, timed; then the same files again.
pub async fn bench(patients: u32, pg_url: Option<&str>) -> Result<()> {
    let (store, dir) = crate::bench::bench_store(pg_url).await?;
    let n = patients as usize;
    println!(
        "kerato bench import on {}: {n} patients, {} appointments (synthetic OpenEMR exports)",
        store.backend().name(),
        2 * n
    );
    let clock = Arc::new(SystemClock);
    store
        .migrate(kerato_domain::time::Clock::now(clock.as_ref()))
        .await?;
    let app = App::new(store.clone(), clock);
    let fail = |e: kerato_app::AppError| anyhow::anyhow!("{e}");
    let (caller, loc) = crate::bench::bench_practice(&app).await?;
    let mut providers = Vec::new();
    for i in 1..=8 {
        let name = format!("Dr. Bench {i}");
        app.create_provider(
            &caller,
            &kerato_domain::providers::ProviderInput::new(&name, &[loc.id]).validate()?,
        )
        .await
        .map_err(fail)?;
        providers.push(name);
    }
    app.create_appointment_type(&caller, "Office visit", 30)
        .await
        .map_err(fail)?;
    let book = Book {
        providers,
        location: loc.name.clone(),
        visit_type: "Office visit".into(),
        first_day: jiff::civil::Date::constant(2026, 1, 5),
    };
    let patient_file = synthetic::patients_csv(Preset::OpenEmr, n);
    let event_file = synthetic::appointments_csv(Preset::OpenEmr, &book, 2 * n, n);
    let pm = Mapping::preset(Preset::OpenEmr, ImportKind::Patients, None)?;
    let am = Mapping::preset(
        Preset::OpenEmr,
        ImportKind::Appointments,
        Some(&synthetic::openemr_overlay(&book)),
    )?;
    let run = |mapping: &Mapping, file: &str, dry_run: bool| {
        let (app, caller, mapping, file) = (
            app.clone(),
            caller.clone(),
            mapping.clone(),
            file.to_string(),
        );
        async move {
            let started = Instant::now();
            let report = app
                .import(
                    &caller,
                    &ImportRequest {
                        mapping: &mapping,
                        file: file.as_bytes(),
                        dry_run,
                    },
                    &kerato_app::import::NoProgress,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            anyhow::ensure!(
                report.refused.is_empty(),
                "the benchmark's rows were refused: {:?}",
                report.refused.first()
            );
            Ok::<_, anyhow::Error>((report, started.elapsed().as_secs_f64()))
        }
    };
    let (_, dry) = run(&pm, &patient_file, true).await?;
    let (r, p_secs) = run(&pm, &patient_file, false).await?;
    anyhow::ensure!(r.created == n as u64, "not every patient was created");
    let (r, a_secs) = run(&am, &event_file, false).await?;
    anyhow::ensure!(
        r.created == 2 * n as u64,
        "not every appointment was created"
    );
    let (r, again) = run(&pm, &patient_file, false).await?;
    anyhow::ensure!(r.created == 0, "the second run created patients");
    println!(
        "patients      {:>8.0}/s imported   ({n} in {p_secs:.1} s; each with its MRN, name index and audit event)",
        n as f64 / p_secs
    );
    println!(
        "appointments  {:>8.0}/s imported   ({} in {a_secs:.1} s; each checked for double booking and audited)",
        2.0 * n as f64 / a_secs,
        2 * n
    );
    println!(
        "dry run       {:>8.0} patients/s checked, nothing written",
        n as f64 / dry
    );
    println!(
        "again         {:>8.0} patients/s found already imported, nothing created",
        n as f64 / again
    );
    store.close().await;
    if let Some(d) = dir {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(())
}
