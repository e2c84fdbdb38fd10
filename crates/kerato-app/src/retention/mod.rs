//! The retention job: each day, for each practice, finds what the
//! retention schedule says is due, skips what a legal hold covers, and
//! deletes the rest in small transactions; and the privacy officer's
//! legal holds.
//!
//! What each class deletes:
//!
//! - A clinical record (adult or minor) is the whole chart: every row the
//!   patient data registry lists, in its order, in one transaction per
//!   patient. The audit trail stays (see below). A chart waits, counted as
//!   kept, while any of its rows may not go: a signed exam (the schema
//!   keeps them unchangeable), a merged chart, documentation or an FTC
//!   confirmation whose own minimum period has not run, or photos when
//!   this process was not given the key to their files.
//! - Marketing data is a patient's answers for one marketing purpose (the
//!   registry says which purposes those are), due three years after the
//!   last answer or on the day the latest answer is a no.
//! - Children's non-clinical data is the same marketing answers of a
//!   patient who was under 13 when the first of them was recorded: they
//!   go at once. Reminder, photography and prescription consents serve the
//!   child's care and stay with the chart.
//! - An FTC confirmation goes three years after it was recorded.
//! - Usage logs are staff sign-in sessions, which carry the client address,
//!   due the configured days after their last request.
//! - The audit trail is pseudonymised, never deleted: an event ten years
//!   old (the domain's rule) that is about no patient, or about a chart
//!   that is gone, has its patient ID, old and new values and detail
//!   nulled, a batch a transaction. Its hash (version 2) covers a digest
//!   of those fields rather than the fields, so the chain still verifies,
//!   and the database allows that one change and no other (migration 21).
//!   An event about a chart still kept is not due, because the trail is
//!   never kept for less time than its record; a legal hold over the
//!   patient keeps its events. Events written before migration 21 (hash
//!   version 1) hash the plaintext itself and stay as they are.
//!
//!
//! - [`run`]: the job.
//! - [`holds`]: the privacy officer's legal holds.

mod holds;
mod run;

use std::collections::BTreeMap;

use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::OrganisationId;
use kerato_domain::retention::{DataClass, Hold, RetentionRule, RetentionSchedule, rule};
use kerato_domain::time::Timestamp;
use kerato_store::retention as store;
use kerato_store::{Tx, tenancy};

use crate::authz::Caller;
use crate::{App, AppError};

pub(crate) use holds::holds_covering;

/// What one class came to in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassCounts {
    /// Records deleted (or that a dry run would delete): charts, consent
    /// histories, confirmations, sessions.
    pub records: u64,
    /// The database rows those records took with them.
    pub rows: u64,
    /// Records due but covered by a legal hold.
    pub held: u64,
    /// Records due but kept because part of them may not go yet.
    pub kept: u64,
}

impl ClassCounts {
    fn add(&mut self, other: ClassCounts) {
        self.records += other.records;
        self.rows += other.rows;
        self.held += other.held;
        self.kept += other.kept;
    }
}

/// One practice's part of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PracticeRun {
    pub organisation: OrganisationId,
    /// The practice's date the rules were applied on.
    pub today: String,
    pub classes: BTreeMap<DataClass, ClassCounts>,
}

/// What a run did, or in a dry run would have done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    /// When the run started, the date its report carries.
    pub ran_at: Timestamp,
    pub dry_run: bool,
    pub practices: Vec<PracticeRun>,
}

impl RetentionReport {
    /// The counts of `class` over every practice.
    pub fn total(&self, class: DataClass) -> ClassCounts {
        let mut sum = ClassCounts::default();
        for practice in &self.practices {
            if let Some(counts) = practice.classes.get(&class) {
                sum.add(*counts);
            }
        }
        sum
    }
}

/// The classes a run weighs, in the order it weighs them. The audit trail
/// comes last, so an event about a chart deleted in this run is weighed
/// in the same run.
pub const RUN_CLASSES: [DataClass; 8] = [
    DataClass::ClinicalAdult,
    DataClass::ClinicalMinor,
    DataClass::MarketingData,
    DataClass::ChildNonClinical,
    DataClass::FtcRxConfirmation,
    DataClass::UsageLogs,
    DataClass::HipaaDocumentation,
    DataClass::AuditTrail,
];

/// The privacy officer's view of retention: the schedule as the practice's
/// rules make it, the holds, and the latest run's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionOverview {
    pub schedule: Vec<RetentionRule>,
    pub holds: Vec<Hold>,
    /// When the job last ran, whether it was a dry run, and its counts.
    pub last_run: Option<(Timestamp, bool, BTreeMap<DataClass, ClassCounts>)>,
}

impl App {
    /// The retention schedule, holds and last run of the caller's practice.
    pub async fn retention_overview(&self, caller: &Caller) -> Result<RetentionOverview, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::PrivacyRequest,
                "retention overview",
            )
            .await?;
        let overview = overview_in(&mut tx, caller.actor.organisation_id).await?;
        tx.commit().await?;
        Ok(overview)
    }
}

/// The retention overview of `org`, read in `tx`.
pub(crate) async fn overview_in(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<RetentionOverview, AppError> {
    let first = tenancy::list_locations(tx, org).await?;
    // The same schedule the job applies (see `run_retention`).
    let schedule = first
        .first()
        .and_then(|l| RetentionSchedule::new(&l.address.state, None).ok())
        .unwrap_or_default();
    let holds = store::holds(tx, org).await?;
    let last_run = match store::last_run(tx, org).await? {
        Some((at, dry, report)) => Some((
            at,
            dry,
            serde_json::from_str(&report)
                .map_err(|e| AppError::corrupt(format!("a retention report: {e}")))?,
        )),
        None => None,
    };
    Ok(RetentionOverview {
        schedule: DataClass::ALL.iter().map(|c| rule(*c, &schedule)).collect(),
        holds,
        last_run,
    })
}
