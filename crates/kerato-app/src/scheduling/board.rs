//! The patient flow board and the week grid: read views over the schedule
//! for the front desk, each one audited query.

use std::collections::HashMap;

use jiff::civil::Date;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentId, LocationId, ResourceId};
use kerato_domain::scheduling::{BookableResource, VisitStatus};
use kerato_domain::time::Timestamp;
use kerato_store::{scheduling as store, tenancy};

use super::{ScheduleLine, day_bounds};
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// One patient on the flow board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowCard {
    pub line: ScheduleLine,
    pub status: VisitStatus,
    /// Minutes in the current step, since the last move.
    pub in_step_minutes: Option<i64>,
}

/// The board: one column per step of the visit, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBoard {
    pub columns: Vec<(VisitStatus, Vec<FlowCard>)>,
    /// When the board was read, for the "as of" line.
    pub at: Timestamp,
}

/// The steps the board shows, in the order of a visit.
pub const FLOW_STEPS: [VisitStatus; 6] = [
    VisitStatus::Booked,
    VisitStatus::Arrived,
    VisitStatus::Pretest,
    VisitStatus::WithProvider,
    VisitStatus::Checkout,
    VisitStatus::Done,
];

/// A week (or any run of days) at a location, with each appointment's
/// resources, for the grid by provider or by resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekView {
    pub days: Vec<Date>,
    /// (local date, line) for every appointment of the run.
    pub lines: Vec<(Date, ScheduleLine)>,
    pub held: HashMap<AppointmentId, Vec<ResourceId>>,
    pub resources: Vec<BookableResource>,
    /// Appointment type colours by type ID, for the grid.
    pub colours: HashMap<String, String>,
}

fn schedule_target(caller: &Caller, location: LocationId) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: Some(location),
        resource: Resource::Appointment,
    }
}

impl App {
    /// A day's flow at a location (today unless `date` says otherwise):
    /// who is waiting where, and for how long.
    pub async fn flow_board(
        &self,
        caller: &Caller,
        location: LocationId,
        date: Option<Date>,
    ) -> Result<FlowBoard, AppError> {
        let org = caller.actor.organisation_id;
        let tx = self.store.read().await?;
        let act = Act::new(
            Action::Query,
            schedule_target(caller, location),
            "flow board",
        );
        let mut tx = self.guard(tx, caller, act).await?;
        let loc = tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let now = self.now();
        let today = now
            .to_jiff()
            .to_zoned_datetime(loc.time_zone.zone().clone())
            .date();
        let (start, end) = day_bounds(&loc, date.unwrap_or(today))?;
        let lines = self.schedule_lines(&mut tx, location, start, end).await?;
        let moves: HashMap<_, _> = store::last_moves(&mut tx, location, start, end)
            .await?
            .into_iter()
            .collect();
        tx.commit().await?;
        let mut columns: Vec<(VisitStatus, Vec<FlowCard>)> =
            FLOW_STEPS.iter().map(|s| (*s, Vec::new())).collect();
        for line in lines {
            let status = line.appointment.status;
            let Some(column) = columns.iter_mut().find(|(s, _)| *s == status) else {
                // No-shows and cancellations are not on the board.
                continue;
            };
            let in_step_minutes = moves
                .get(&line.appointment.id)
                .filter(|_| status != VisitStatus::Booked && status != VisitStatus::Done)
                .map(|t| (now.as_micros() - t.as_micros()) / 60_000_000);
            column.1.push(FlowCard {
                line,
                status,
                in_step_minutes,
            });
        }
        Ok(FlowBoard { columns, at: now })
    }

    /// `days` local days from `first` at a location, for the week grid.
    pub async fn week_schedule(
        &self,
        caller: &Caller,
        location: LocationId,
        first: Date,
        days: i64,
    ) -> Result<WeekView, AppError> {
        let org = caller.actor.organisation_id;
        let days = days.clamp(1, 14);
        let tx = self.store.read().await?;
        let act = Act::new(Action::Query, schedule_target(caller, location), "schedule");
        let mut tx = self.guard(tx, caller, act).await?;
        let loc = tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let dates: Vec<Date> = (0..days)
            .filter_map(|d| first.checked_add(jiff::Span::new().days(d)).ok())
            .collect();
        let (start, _) = day_bounds(&loc, first)?;
        let (_, end) = day_bounds(&loc, *dates.last().unwrap_or(&first))?;
        let zone = loc.time_zone.zone().clone();
        let lines = self
            .schedule_lines(&mut tx, location, start, end)
            .await?
            .into_iter()
            .map(|l| {
                let day = l
                    .appointment
                    .starts_at
                    .to_jiff()
                    .to_zoned_datetime(zone.clone())
                    .date();
                (day, l)
            })
            .collect();
        let mut held: HashMap<AppointmentId, Vec<ResourceId>> = HashMap::new();
        for (a, r) in store::held_resources(&mut tx, location, start, end).await? {
            held.entry(a).or_default().push(r);
        }
        let resources = store::resources_of(&mut tx, org)
            .await?
            .into_iter()
            .filter(|r| r.location_id == location)
            .collect();
        let colours = store::types_of(&mut tx, org)
            .await?
            .into_iter()
            .map(|t| (t.id.to_string(), t.colour))
            .collect();
        tx.commit().await?;
        Ok(WeekView {
            days: dates,
            lines,
            held,
            resources,
            colours,
        })
    }
}
