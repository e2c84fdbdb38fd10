//! Patients' privacy rights requests, clinic side: received from the
//! portal or kiosk form or entered by the privacy officer, run on the
//! clock of their legal regime (the domain's `rights`), moved step by step
//! by the privacy officer, alarmed to the privacy officers' inbox when due
//! soon or overdue, and fulfilled: an access request with a package behind
//! a one-time link, opt-outs in the consent registry, a deletion by the
//! retention rules. Every step is audited.
//!
//! - [`requests`]: receiving a request, the dashboard and one request.
//! - [`steps`]: the privacy officer's steps and what fulfilling does.
//! - [`amendments`]: a patient's amendments and statements of disagreement.
//! - [`downloads`]: the one-time links to access packages.
//! - [`alarms`]: the due-soon and overdue alarms.

mod alarms;
mod amendments;
mod downloads;
mod requests;
mod steps;

use kerato_domain::ValidationErrors;
use kerato_domain::calendar::BusinessCalendar;
use kerato_domain::identity::{Resource, Target};
use kerato_domain::ids::OrganisationId;
use kerato_domain::rights::{RequestTimeline, days_left, due_at, is_overdue};
use kerato_domain::time::Timestamp;
use kerato_store::{Tx, tenancy};

use crate::authz::Caller;
use crate::retention::RetentionOverview;
use crate::{App, AppError};

pub use requests::RequestView;

/// The privacy officer's workspace: every request on its clock, the
/// retention schedule, holds and last run, and every policy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacyWorkspace {
    pub requests: Vec<RequestView>,
    pub retention: RetentionOverview,
    pub policies: Vec<kerato_domain::policy::PublishedPolicy>,
}
pub use steps::{Fulfilment, deletion_summary};

fn target(org: OrganisationId) -> Target {
    Target {
        organisation: org,
        location: None,
        resource: Resource::PrivacyRequest,
    }
}

/// A request's clock at `now`: when it is due, the days left and whether
/// it is overdue.
fn clock(
    timeline: &RequestTimeline,
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> (Timestamp, i64, bool) {
    (
        due_at(timeline, calendar),
        days_left(timeline, now, calendar),
        is_overdue(timeline, now, calendar),
    )
}

impl App {
    /// The privacy officer's workspace, read in one transaction with one
    /// audit event.
    pub async fn privacy_workspace(&self, caller: &Caller) -> Result<PrivacyWorkspace, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                kerato_domain::identity::Action::Query,
                Resource::PrivacyRequest,
                "privacy workspace",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let workspace = PrivacyWorkspace {
            requests: self.requests_in(&mut tx, org).await?,
            retention: crate::retention::overview_in(&mut tx, org).await?,
            policies: kerato_store::rights::policies_of(&mut tx, org).await?,
        };
        tx.commit().await?;
        Ok(workspace)
    }

    /// The business calendar of the practice's first location (federal
    /// holidays in its zone); legal clocks of a whole organisation run on
    /// it.
    async fn practice_calendar(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
    ) -> Result<BusinessCalendar, AppError> {
        match tenancy::list_locations(tx, org).await?.first() {
            Some(loc) => self.calendar(tx, loc).await,
            None => Ok(BusinessCalendar::federal(jiff::tz::TimeZone::UTC)),
        }
    }

    /// The policy changes announced and not yet in force at the practice a
    /// public page belongs to (see `server_practice`), for its banner;
    /// `practice` is the one the page's link names, if it names one.
    pub async fn practice_announcements(
        &self,
        practice: Option<OrganisationId>,
    ) -> Result<Vec<crate::policies::Announcement>, AppError> {
        let mut tx = self.store.read().await?;
        let org = server_practice(&mut tx, practice).await?;
        drop(tx);
        self.announcements(org).await
    }
}

/// The practice a public page belongs to: the one named by the page's
/// link, or the server's only practice when the link names none. A server
/// that holds several practices needs the name, so a request never lands
/// at the wrong one.
async fn server_practice(
    tx: &mut Tx,
    practice: Option<OrganisationId>,
) -> Result<OrganisationId, AppError> {
    let all = tenancy::list_organisations(tx).await?;
    match practice {
        None => match all.as_slice() {
            [only] => Ok(only.id),
            [] => Err(AppError::NotReady("this server has no practice yet".into())),
            _ => Err(ValidationErrors::single(
                "practice",
                "open the form from the link your practice gave you: it names the practice",
            )
            .into()),
        },
        Some(id) => all.iter().find(|o| o.id == id).map(|o| o.id).ok_or_else(|| {
            ValidationErrors::single(
                "practice",
                "this link names no practice of this server; open the form from the link your practice gave you",
            )
            .into()
        }),
    }
}
