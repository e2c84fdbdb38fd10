//! Imports from another system: patients and appointments from a CSV
//! export, by administrators, from the command line, the administration
//! page or the API.
//!
//! Every row is validated by the rules the registration form and bookings
//! use, and every chart is written as registration writes it (its MRN, the
//! name index and its audit event). Rows are written in batches of
//! [`BATCH_ROWS`], each batch one transaction that also remembers, in the
//! import ledger, which source row became which record: a file imported
//! twice creates nothing the second time, and an import killed part-way
//! is finished by running it again. A dry run reads the same way and
//! writes no record; its one audit event says that the registry was
//! searched for the rows' duplicates.

mod appointments;
mod jobs;
mod patients;
pub mod synthetic;

pub use jobs::{ImportJob, ImportJobState, ImportJobs};

use std::collections::HashMap;

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Role, Target};
use kerato_domain::import::{
    ImportKind, ImportReport, MappedRow, Mapping, MappingError, RowIssue, RowRead, SourceRow,
    read_table,
};
use kerato_store::Tx;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// Rows written per transaction: enough that a commit's cost is spread
/// thin, few enough that a batch holds the writer for a fraction of a
/// second and a crash loses at most one batch of work.
pub const BATCH_ROWS: usize = 500;

/// Something that shows how far an import is: the command line's progress
/// bar, a background job's counter.
pub trait Progress: Send + Sync {
    /// The import has this many data rows to read.
    fn start(&self, rows: u64);
    /// This many more rows are done.
    fn advance(&self, rows: u64);
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _rows: u64) {}
    fn advance(&self, _rows: u64) {}
}

/// An import to run: a file, the mapping that reads it, and whether to
/// write anything.
#[derive(Debug, Clone, Copy)]
pub struct ImportRequest<'a> {
    pub mapping: &'a Mapping,
    pub file: &'a [u8],
    pub dry_run: bool,
}

/// A mapping's problems as validation errors of the `mapping` field.
pub fn mapping_errors(e: MappingError) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    for p in e.problems {
        errors.add("mapping", p);
    }
    errors
}

impl App {
    /// Imports `req.file` as `req.mapping` says, as `caller` (an
    /// administrator), and reports what happened to every row.
    pub async fn import(
        &self,
        caller: &Caller,
        req: &ImportRequest<'_>,
        progress: &dyn Progress,
    ) -> Result<ImportReport, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let table =
            read_table(req.file).map_err(|e| ValidationErrors::single("file", e.to_string()))?;
        let binding = req.mapping.bind(&table.header).map_err(mapping_errors)?;
        let mut report = ImportReport {
            dry_run: req.dry_run,
            rows: table.rows.len() as u64,
            ignored_columns: binding.ignored.clone(),
            missing_columns: binding.missing.clone(),
            ..ImportReport::default()
        };
        progress.start(report.rows);
        if req.dry_run {
            self.audit_dry_run(caller, req.mapping, report.rows).await?;
        }
        let mut run = Run {
            caller,
            binding: &binding,
            report: &mut report,
            dry_run: req.dry_run,
        };
        match req.mapping.kind {
            ImportKind::Patients => {
                self.import_patients(&mut run, &table.rows, progress)
                    .await?
            }
            ImportKind::Appointments => {
                self.import_appointments(&mut run, &table.rows, progress)
                    .await?
            }
        }
        // Rows are refused at different steps; the report lists them in
        // the file's order (a row's own problems keep theirs).
        report.refused.sort_by_key(|i| i.row);
        Ok(report)
    }

    /// A dry run searches the registry for the rows' duplicates and writes
    /// no record; this event is what it leaves, naming no patient.
    async fn audit_dry_run(
        &self,
        caller: &Caller,
        mapping: &Mapping,
        rows: u64,
    ) -> Result<(), AppError> {
        let target = Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource: match mapping.kind {
                ImportKind::Patients => Resource::Patient,
                ImportKind::Appointments => Resource::Appointment,
            },
        };
        let act = Act::new(Action::Query, target, "import dry run").new_value(&serde_json::json!({
            "kind": mapping.kind.as_str(), "source": mapping.source, "rows": rows,
        }));
        let tx = self.store.write().await?;
        self.guard(tx, caller, act).await?.commit().await?;
        Ok(())
    }

    /// One batch's transaction (a read for a dry run, which writes
    /// nothing, a write otherwise) and its rows still to import: read
    /// through the mapping (blank, skipped and unreadable rows counted in
    /// the report on the way), less those an earlier import of the same
    /// source brought in (counted) and those whose ID an earlier row of the
    /// file had (refused).
    async fn open_batch(
        &self,
        run: &mut Run<'_>,
        batch: &[SourceRow],
        keys: &mut HashMap<String, u64>,
    ) -> Result<(Tx, Vec<MappedRow>), AppError> {
        let mut tx = if run.dry_run {
            self.store.read().await?
        } else {
            self.store.write().await?
        };
        let mut mapped = Vec::with_capacity(batch.len());
        for row in batch {
            let read = run.binding.read(row);
            if !run.report.left_out(&read)
                && let RowRead::Mapped(m) = read
            {
                mapped.push(m);
            }
        }
        let wanted: Vec<&str> = mapped.iter().map(|m| m.key.as_str()).collect();
        let done = kerato_store::import::already_imported(
            &mut tx,
            run.caller.actor.organisation_id,
            run.mapping().kind.record(),
            &run.mapping().source,
            &wanted,
        )
        .await?;
        let mut fresh = Vec::with_capacity(mapped.len());
        for row in mapped {
            if done.contains_key(&row.key) {
                run.report.already_imported += 1;
            } else if !run.repeated_key(keys, &row) {
                fresh.push(row);
            }
        }
        Ok((tx, fresh))
    }

    /// The caller the command line imports as: an active administrator of
    /// the practice, named by their sign-in e-mail, whose name every
    /// record's audit event then carries. Named `unsafe_` because it acts
    /// without a sign-in: whoever runs the command holds the data
    /// directory and its key already.
    pub async fn unsafe_import_caller(&self, email: &str) -> Result<Caller, AppError> {
        let mut tx = self.store.read().await?;
        let found = kerato_store::identity::find_user_by_email(&mut tx, email.trim()).await?;
        drop(tx);
        let user = match found {
            Some((user, _)) if user.active && user.role == Role::Admin => user,
            Some((user, _)) if user.active => {
                return Err(AppError::Forbidden(format!(
                    "{} is not an administrator; imports are run as an administrator",
                    user.email
                )));
            }
            Some(_) => {
                return Err(AppError::Forbidden(
                    "that account is deactivated; name an active administrator".into(),
                ));
            }
            None => {
                return Err(ValidationErrors::single(
                    "as",
                    "no staff account has that e-mail address; name an administrator's sign-in e-mail",
                )
                .into());
            }
        };
        self.unsafe_caller_for(user.id).await
    }
}

/// What every row of one import shares.
struct Run<'a> {
    caller: &'a Caller,
    binding: &'a kerato_domain::import::Binding<'a>,
    report: &'a mut ImportReport,
    dry_run: bool,
}

impl Run<'_> {
    fn mapping(&self) -> &Mapping {
        self.binding.mapping
    }

    /// Refuses a row whose ID already appeared earlier in the file;
    /// `true` when it did.
    fn repeated_key(&mut self, seen: &mut HashMap<String, u64>, row: &MappedRow) -> bool {
        match seen.get(&row.key) {
            Some(first) => {
                let key = self.mapping().key.clone();
                let message = match &key {
                    Some(column) => format!(
                        "row {first} has the same {column}; each row needs its own ID (remove the repeated row)"
                    ),
                    None => format!("row {first} is the same row; remove the repeated one"),
                };
                self.report.refused.push(RowIssue {
                    row: row.number,
                    field: "key".into(),
                    column: key,
                    message,
                });
                true
            }
            None => {
                seen.insert(row.key.clone(), row.number);
                false
            }
        }
    }
}
