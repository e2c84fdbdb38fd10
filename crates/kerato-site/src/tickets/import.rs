//! E-mail intake: reads the support mailbox's maildir and turns each new
//! message into a ticket or a reply (`kerato site import-mail`).
//!
//! Each message is stored in its own transaction and only then moved from
//! `new/` to `cur/`. If the import stops between the two, the next run
//! finds the message's Message-ID already stored and skips it, so nothing
//! is stored twice. Files that cannot be read as e-mail go to `bad/` with
//! the reason counted in the report, and the rest still import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::mail::inbound;
use crate::tickets::rules::Received;
use crate::{Site, SiteError};

/// The largest message file read; support mail is text, and anything
/// larger is almost certainly an attachment the site must not keep.
pub const MAX_MESSAGE_BYTES: u64 = 1024 * 1024;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Messages that opened a ticket.
    pub opened: usize,
    /// Messages added to an existing ticket.
    pub threaded: usize,
    /// Messages whose Message-ID was imported before.
    pub duplicates: usize,
    /// Stored messages from which the PHI guard removed something.
    pub redacted: usize,
    /// Files moved to `bad/`, counted by reason.
    pub bad: BTreeMap<String, usize>,
}

fn io(what: &str, path: &Path, e: &std::io::Error) -> SiteError {
    SiteError::Internal(format!("{what} {}: {e}", path.display()))
}

async fn move_to(file: &Path, dir: &Path) -> Result<(), SiteError> {
    let target = dir.join(file.file_name().unwrap_or_default());
    tokio::fs::rename(file, &target)
        .await
        .map_err(|e| io("could not move", file, &e))
}

/// The message files in `new/`, oldest name first (maildir names start
/// with the delivery time, so an original is stored before its reply).
async fn new_files(new: &Path) -> Result<Vec<PathBuf>, SiteError> {
    let mut entries = tokio::fs::read_dir(new)
        .await
        .map_err(|e| io("could not read", new, &e))?;
    let mut files = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| io("could not read", new, &e))?
    {
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let is_file = entry
            .file_type()
            .await
            .map_err(|e| io("could not read", &entry.path(), &e))?
            .is_file();
        if is_file && !hidden {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Imports every message in `dir/new/`; see the module documentation.
pub async fn import_maildir(site: &Site, dir: &Path) -> Result<ImportReport, SiteError> {
    let new = dir.join("new");
    let cur = dir.join("cur");
    let bad = dir.join("bad");
    for d in [&cur, &bad] {
        tokio::fs::create_dir_all(d)
            .await
            .map_err(|e| io("could not create", d, &e))?;
    }
    let mut report = ImportReport::default();
    for file in new_files(&new).await? {
        let size = tokio::fs::metadata(&file)
            .await
            .map_err(|e| io("could not read", &file, &e))?
            .len();
        let parsed = if size > MAX_MESSAGE_BYTES {
            Err("the message is larger than 1 MiB")
        } else {
            let raw = tokio::fs::read(&file)
                .await
                .map_err(|e| io("could not read", &file, &e))?;
            inbound::parse(&raw)
        };
        let m = match parsed {
            Ok(m) => m,
            Err(reason) => {
                move_to(&file, &bad).await?;
                *report.bad.entry(reason.to_string()).or_default() += 1;
                continue;
            }
        };
        match crate::tickets::email::receive_email(site, &m).await? {
            Received::Duplicate => report.duplicates += 1,
            Received::Opened { redacted } => {
                report.opened += 1;
                report.redacted += usize::from(redacted);
            }
            Received::Threaded { redacted } => {
                report.threaded += 1;
                report.redacted += usize::from(redacted);
            }
        }
        move_to(&file, &cur).await?;
    }
    Ok(report)
}
