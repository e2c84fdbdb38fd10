//! Imports started from the administration page or the API run in the
//! background, so a large file does not hold a request open: the page
//! polls the job for its progress and shows the report when it is done.
//!
//! Jobs live in memory, a few per practice. A server restarted mid-import
//! forgets the job, not the rows: every committed batch is in the ledger,
//! so uploading the file again finishes the import without a duplicate.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{OrganisationId, UserId};
use kerato_domain::import::{ImportJobId, ImportKind, ImportReport, Mapping, read_table};
use kerato_domain::time::Timestamp;

use super::{ImportRequest, Progress, mapping_errors};
use crate::{App, AppError, Caller};

/// Jobs kept per practice; older ones are forgotten.
const KEPT_PER_PRACTICE: usize = 10;

/// Where a job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportJobState {
    Running {
        done: u64,
        total: u64,
    },
    Finished(Box<ImportReport>),
    /// It stopped; the sentence says why and what to do.
    Failed(String),
}

/// A job as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub id: ImportJobId,
    pub kind: ImportKind,
    pub source: String,
    pub dry_run: bool,
    pub started_at: Timestamp,
    pub started_by: UserId,
    pub state: ImportJobState,
    /// A finished dry run whose file is still here, so it can be run.
    pub can_run: bool,
}

/// The file and mapping of a job, kept after a dry run so that running it
/// for real needs no second upload.
#[derive(Debug)]
struct Input {
    mapping: Mapping,
    file: Vec<u8>,
}

#[derive(Debug, Default)]
struct Counter {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counter {
    fn start(&self, rows: u64) {
        self.total.store(rows, Ordering::Relaxed);
    }
    fn advance(&self, rows: u64) {
        self.done.fetch_add(rows, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Entry {
    organisation: OrganisationId,
    job: ImportJob,
    counter: Arc<Counter>,
    input: Option<Arc<Input>>,
}

impl Entry {
    fn view(&self) -> ImportJob {
        let mut job = self.job.clone();
        if let ImportJobState::Running { .. } = job.state {
            job.state = ImportJobState::Running {
                done: self.counter.done.load(Ordering::Relaxed),
                total: self.counter.total.load(Ordering::Relaxed),
            };
        }
        job.can_run =
            job.dry_run && self.input.is_some() && matches!(job.state, ImportJobState::Finished(_));
        job
    }
}

/// The practice's import jobs, newest last.
#[derive(Debug, Default)]
pub struct ImportJobs {
    entries: Mutex<VecDeque<Entry>>,
}

impl ImportJobs {
    fn with<T>(&self, f: impl FnOnce(&mut VecDeque<Entry>) -> T) -> T {
        // A poisoned lock means a panic elsewhere mid-update; the list of
        // jobs is still a list of jobs.
        let mut guard = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

impl App {
    /// Starts importing `file` in the background and returns the job; the
    /// file and mapping are checked first, so a file that cannot be read
    /// at all is refused at once.
    pub async fn start_import(
        &self,
        caller: &Caller,
        mapping: Mapping,
        file: Vec<u8>,
        dry_run: bool,
    ) -> Result<ImportJob, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let table =
            read_table(&file).map_err(|e| ValidationErrors::single("file", e.to_string()))?;
        mapping.bind(&table.header).map_err(mapping_errors)?;
        drop(table);
        Ok(self.spawn_import(caller, Arc::new(Input { mapping, file }), dry_run))
    }

    /// Runs a finished dry run's file for real, as a new job.
    pub async fn run_after_dry_run(
        &self,
        caller: &Caller,
        dry_run: ImportJobId,
    ) -> Result<ImportJob, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        let input = self.imports.with(|entries| {
            let entry = entries
                .iter()
                .find(|e| e.organisation == org && e.job.id == dry_run)
                .ok_or(AppError::NotFound("import"))?;
            match (&entry.input, entry.view().can_run) {
                (Some(input), true) => Ok(input.clone()),
                _ => Err(AppError::Conflict(
                    "only a finished dry run can be run; upload the file again".into(),
                )),
            }
        })?;
        Ok(self.spawn_import(caller, input, false))
    }

    fn spawn_import(&self, caller: &Caller, input: Arc<Input>, dry_run: bool) -> ImportJob {
        let now = self.now();
        let job = ImportJob {
            id: ImportJobId::new(now, self.random_id_bits()),
            kind: input.mapping.kind,
            source: input.mapping.source.clone(),
            dry_run,
            started_at: now,
            started_by: caller.actor.user_id,
            state: ImportJobState::Running { done: 0, total: 0 },
            can_run: false,
        };
        let counter = Arc::new(Counter::default());
        let org = caller.actor.organisation_id;
        self.imports.with(|entries| {
            entries.push_back(Entry {
                organisation: org,
                job: job.clone(),
                counter: counter.clone(),
                input: Some(input.clone()),
            });
            while entries.iter().filter(|e| e.organisation == org).count() > KEPT_PER_PRACTICE {
                if let Some(i) = entries.iter().position(|e| e.organisation == org) {
                    entries.remove(i);
                }
            }
        });
        let (app, caller, id) = (self.clone(), caller.clone(), job.id);
        tokio::spawn(async move {
            let req = ImportRequest {
                mapping: &input.mapping,
                file: &input.file,
                dry_run,
            };
            let state = match app.import(&caller, &req, counter.as_ref()).await {
                Ok(report) => ImportJobState::Finished(Box::new(report)),
                Err(AppError::Validation(v)) => ImportJobState::Failed(v.to_string()),
                Err(e @ (AppError::Forbidden(_) | AppError::Conflict(_))) => {
                    ImportJobState::Failed(e.to_string())
                }
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "import stopped");
                    ImportJobState::Failed(
                        "the import stopped on an internal error (logged); run it again: rows already imported are skipped".into(),
                    )
                }
            };
            app.imports.with(|entries| {
                if let Some(e) = entries.iter_mut().find(|e| e.job.id == id) {
                    e.job.state = state;
                    // A real run's file is not needed any more.
                    if !dry_run {
                        e.input = None;
                    }
                }
            });
        });
        job
    }

    /// One of the practice's import jobs.
    pub async fn import_job(
        &self,
        caller: &Caller,
        id: ImportJobId,
    ) -> Result<ImportJob, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        self.imports
            .with(|entries| {
                entries
                    .iter()
                    .find(|e| e.organisation == org && e.job.id == id)
                    .map(Entry::view)
            })
            .ok_or(AppError::NotFound("import"))
    }

    /// The practice's recent import jobs, newest first.
    pub async fn import_jobs(&self, caller: &Caller) -> Result<Vec<ImportJob>, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        Ok(self.imports.with(|entries| {
            entries
                .iter()
                .rev()
                .filter(|e| e.organisation == org)
                .map(Entry::view)
                .collect()
        }))
    }
}
