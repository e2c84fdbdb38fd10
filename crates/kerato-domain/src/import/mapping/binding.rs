//! A mapping bound to one file's header, reading that file's rows.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::Mapping;
use crate::import::RowIssue;
use crate::import::file::SourceRow;

/// A mapping bound to one file's header.
#[derive(Debug, Clone)]
pub struct Binding<'m> {
    pub mapping: &'m Mapping,
    pub(super) header: Vec<String>,
    pub(super) columns: Vec<(&'static str, usize)>,
    pub(super) key: Option<usize>,
    pub(super) skip: Vec<(usize, Vec<String>, String)>,
    /// Columns of the file nothing reads.
    pub ignored: Vec<String>,
    /// Columns of optional fields that the file lacks.
    pub missing: Vec<String>,
}

/// What the mapping made of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowRead {
    /// No value at all.
    Blank,
    /// Left out by a `[skip]` rule, for this reason.
    Skipped(String),
    /// The row cannot be read.
    Refused(Vec<RowIssue>),
    Mapped(MappedRow),
}

/// A row's values by Kerato field, after value maps and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRow {
    pub number: u64,
    /// The row's ID in the other system, or `sha256:` and a hash of its
    /// values.
    pub key: String,
    values: BTreeMap<&'static str, (String, Option<String>)>,
}

/// Longest key a row can be known by.
pub const MAX_KEY_CHARS: usize = 200;

impl MappedRow {
    /// The field's value; `None` when empty.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values
            .get(field)
            .map(|(v, _)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The field's value, or the empty string.
    pub fn text(&self, field: &str) -> String {
        self.get(field).unwrap_or_default().to_string()
    }

    /// The file's column a field was read from.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.values.get(field).and_then(|(_, c)| c.as_deref())
    }

    /// An issue with `field` of this row.
    pub fn issue(&self, field: &str, message: impl Into<String>) -> RowIssue {
        RowIssue {
            row: self.number,
            field: field.to_string(),
            column: self.column(field).map(str::to_string),
            message: message.into(),
        }
    }

    /// Issues for every field problem validation found.
    pub fn issues(&self, errors: &crate::ValidationErrors) -> Vec<RowIssue> {
        errors
            .errors
            .iter()
            .map(|e| self.issue(&e.field, e.message.clone()))
            .collect()
    }
}

fn row_issue(number: u64, message: String) -> RowIssue {
    RowIssue {
        row: number,
        field: "row".into(),
        column: None,
        message,
    }
}

impl Binding<'_> {
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Reads one row through the mapping.
    pub fn read(&self, row: &SourceRow) -> RowRead {
        let cells = match &row.cells {
            Ok(c) => c,
            Err(why) => return RowRead::Refused(vec![row_issue(row.number, why.clone())]),
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            return RowRead::Blank;
        }
        for (i, values, reason) in &self.skip {
            if values.contains(&cells[*i].trim().to_lowercase()) {
                return RowRead::Skipped(reason.clone());
            }
        }
        let m = self.mapping;
        let mut values = BTreeMap::new();
        for (field, i) in &self.columns {
            let raw = cells[*i].trim();
            let value = m.translate(field, raw);
            values.insert(*field, (value, Some(self.header[*i].clone())));
        }
        for (field, value) in &m.defaults {
            let empty = values.get(field).is_none_or(|(v, _)| v.is_empty());
            if empty {
                values.insert(*field, (value.clone(), None));
            }
        }
        let key = match self.key {
            Some(i) => {
                let k = cells[i].trim();
                let column = &self.header[i];
                if k.is_empty() {
                    return RowRead::Refused(vec![RowIssue {
                        row: row.number,
                        field: "key".into(),
                        column: Some(column.clone()),
                        message: format!(
                            "the row has no {column}, its ID in {}: give it one, or remove the row",
                            m.source
                        ),
                    }]);
                }
                if k.chars().count() > MAX_KEY_CHARS {
                    return RowRead::Refused(vec![RowIssue {
                        row: row.number,
                        field: "key".into(),
                        column: Some(column.clone()),
                        message: format!(
                            "the ID is longer than {MAX_KEY_CHARS} characters; is {column} the right key column?"
                        ),
                    }]);
                }
                k.to_string()
            }
            None => content_key(&values),
        };
        RowRead::Mapped(MappedRow {
            number: row.number,
            key,
            values,
        })
    }
}

/// A stable key for a row with no ID: a hash of its mapped values, so the
/// same row read again (even with its columns in another order) has the
/// same key.
fn content_key(values: &BTreeMap<&'static str, (String, Option<String>)>) -> String {
    let mut h = Sha256::new();
    for (field, (value, _)) in values {
        h.update(field.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        h.update([0]);
    }
    format!("sha256:{}", &hex::encode(h.finalize())[..32])
}
