//! Imports from another system: a CSV export read once ([`file`]), its
//! columns mapped to Kerato's fields by a mapping file or a preset
//! ([`mapping`]), and each row turned into the same validated input the
//! registration form or the booking API produces ([`patients`],
//! [`appointments`]). What the import writes, and how it stays idempotent,
//! is `kerato-app`'s; the rules of what a row may be are here.

pub mod appointments;
pub mod file;
pub mod mapping;
pub mod patients;

pub use file::{FileError, SourceRow, SourceTable, read_table};
pub use mapping::{Binding, DoubleBooking, MappedRow, Mapping, MappingError, Preset, RowRead};

typed_id!(
    /// One import run started from the administration page or the API.
    ImportJobId,
    "import job"
);

string_enum!(
    /// What a file holds.
    ImportKind {
        Patients = "patients", "Patients";
        Appointments = "appointments", "Appointments";
    }
);

impl ImportKind {
    /// The kind of record one row becomes, as the import ledger names it.
    pub fn record(self) -> &'static str {
        match self {
            Self::Patients => "patient",
            Self::Appointments => "appointment",
        }
    }
}

/// One problem with one row: which row (numbered as a spreadsheet shows
/// it, the header being row 1), which Kerato field and source column, and
/// a sentence on how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowIssue {
    pub row: u64,
    /// The Kerato field, or `row` for a problem with the whole row.
    pub field: String,
    /// The file's column the field was read from, when there is one.
    pub column: Option<String>,
    pub message: String,
}

/// A row that seems to be a chart Kerato already has (or an earlier row of
/// the same file): reported and not created.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateRow {
    pub row: u64,
    /// What it matches: `MRN 0000042`, or `row 17` of this file.
    pub matches: Vec<String>,
}

/// Rows left out on purpose by the mapping's `[skip]` rules, by reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedRows {
    pub reason: String,
    pub rows: u64,
}

/// What an import did, or in a dry run would do, row by row.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows in the file (the header not counted).
    pub rows: u64,
    /// Records created (in a dry run: that would be created).
    pub created: u64,
    /// Rows an earlier import of the same source already brought in.
    pub already_imported: u64,
    pub duplicates: Vec<DuplicateRow>,
    /// Every refused row's problems; a row can have several.
    pub refused: Vec<RowIssue>,
    pub skipped: Vec<SkippedRows>,
    /// Rows with no value at all.
    pub blank: u64,
    /// Appointments imported as double bookings (`double_booking =
    /// "overbook"`), by row.
    pub overbooked: Vec<u64>,
    /// Columns of the file no field is read from (their values are not
    /// imported).
    pub ignored_columns: Vec<String>,
    /// Optional fields the mapping reads from a column the file lacks.
    pub missing_columns: Vec<String>,
}

impl ImportReport {
    /// How many distinct rows were refused.
    pub fn refused_rows(&self) -> usize {
        let rows: std::collections::BTreeSet<u64> = self.refused.iter().map(|i| i.row).collect();
        rows.len()
    }

    pub(crate) fn skip(&mut self, reason: &str) {
        match self.skipped.iter_mut().find(|s| s.reason == reason) {
            Some(s) => s.rows += 1,
            None => self.skipped.push(SkippedRows {
                reason: reason.to_string(),
                rows: 1,
            }),
        }
    }

    /// Counts a row the mapping read as blank or skipped; `true` when it
    /// was one of those, so the caller goes on to the next row.
    pub fn left_out(&mut self, read: &RowRead) -> bool {
        match read {
            RowRead::Blank => self.blank += 1,
            RowRead::Skipped(reason) => self.skip(reason),
            RowRead::Refused(issues) => self.refused.extend(issues.iter().cloned()),
            RowRead::Mapped(_) => return false,
        }
        true
    }
}
