//! What a booking script reads before it books: the visit types, the rooms
//! and devices, the closures in a run of days, and a location's day.

use std::collections::HashMap;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{LocationId, OrganisationId, ProviderId};
use kerato_domain::providers::Provider;
use kerato_domain::scheduling::queries::{
    ClosureFilter, ResourceFilter, ScheduleDay, closure_days,
};
use kerato_domain::scheduling::{AppointmentType, BookableResource, Closure, resolve_local_time};
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
use kerato_store::scheduling as store;
use kerato_store::{Tx, providers, tenancy};

use kerato_domain::identity::Target;

use super::{GuardedDay, MINUTE, ScheduleLine, day_bounds};
use crate::authz::Act;
use crate::authz::Caller;
use crate::{App, AppError};

/// A closure with the local days it covers, in the zone of the location
/// it closes (for time off anywhere, the provider's first location's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureDays {
    pub closure: Closure,
    /// The IANA name of the zone the days are counted in.
    pub time_zone: String,
    pub first_day: Date,
    /// The day of the closure's last instant.
    pub last_day: Date,
}

/// One appointment of a day, with the rooms and devices it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledVisit {
    pub line: ScheduleLine,
    pub resources: Vec<BookableResource>,
}

/// A location's local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySchedule {
    pub location: Location,
    pub date: Date,
    pub visits: Vec<ScheduledVisit>,
}

const DAY: i64 = 86_400_000_000;

/// Reads `location` only if it is the organisation's.
async fn location_of(
    tx: &mut Tx,
    org: OrganisationId,
    id: LocationId,
) -> Result<Location, AppError> {
    tenancy::get_location(tx, org, id)
        .await?
        .ok_or(AppError::NotFound("location"))
}

impl App {
    /// A transaction in which `caller` reads the practice's scheduling
    /// set-up, the read audited.
    pub(super) async fn set_up_read(&self, caller: &Caller) -> Result<Tx, AppError> {
        self.guard_org(
            caller,
            Action::Query,
            Resource::Appointment,
            "scheduling set-up",
        )
        .await
    }

    /// The practice's visit types with what each needs, for a booking.
    pub async fn visit_types(&self, caller: &Caller) -> Result<Vec<AppointmentType>, AppError> {
        let mut tx = self.set_up_read(caller).await?;
        let types = store::types_of(&mut tx, caller.actor.organisation_id).await?;
        tx.commit().await?;
        Ok(types)
    }

    /// The practice's rooms, lanes and devices, of one location or all; a
    /// location of another practice is not found.
    pub async fn resources_at(
        &self,
        caller: &Caller,
        filter: &ResourceFilter,
    ) -> Result<Vec<BookableResource>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self.set_up_read(caller).await?;
        if let Some(l) = filter.location {
            location_of(&mut tx, org, l).await?;
        }
        let mut rows = store::resources_of(&mut tx, org).await?;
        tx.commit().await?;
        rows.retain(|r| filter.location.is_none_or(|l| r.location_id == l));
        Ok(rows)
    }

    /// The holidays and time off whose local days meet `filter.from` to
    /// `filter.to`. With a location, those that keep anyone from seeing
    /// patients there (its holidays, time off there, time off anywhere of
    /// a provider who works there); with a provider, those that keep that
    /// provider from seeing patients (their time off, and holidays where
    /// they work); with both, those that keep that provider from seeing
    /// patients at that location. A location or provider of another
    /// practice is not found.
    pub async fn closures_between(
        &self,
        caller: &Caller,
        filter: &ClosureFilter,
    ) -> Result<Vec<ClosureDays>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self.set_up_read(caller).await?;
        let locations: HashMap<LocationId, Location> = tenancy::list_locations(&mut tx, org)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let providers: HashMap<ProviderId, Provider> =
            kerato_store::providers::providers_of(&mut tx, org)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
        if filter.location.is_some_and(|l| !locations.contains_key(&l)) {
            return Err(AppError::NotFound("location"));
        }
        if filter.provider.is_some_and(|p| !providers.contains_key(&p)) {
            return Err(AppError::NotFound("provider"));
        }
        // Every zone is within a day of UTC, so a day either side of the
        // UTC days holds every closure whose local days meet the range.
        let midnight = |d: Date| {
            resolve_local_time(&TimeZone::UTC, "", d, Time::midnight(), None)
                .map_err(AppError::NotReady)
        };
        let from = Timestamp::from_micros(midnight(filter.from)?.as_micros() - DAY);
        let until = Timestamp::from_micros(midnight(filter.to)?.as_micros() + 2 * DAY);
        let rows = store::time_off_between(&mut tx, org, from, until).await?;
        tx.commit().await?;

        let works_at = |p: ProviderId, l: LocationId| {
            providers.get(&p).is_some_and(|p| p.locations.contains(&l))
        };
        let applies = |row: &Closure| match (filter.provider, filter.location) {
            (None, None) => true,
            (Some(p), Some(l)) => match row.provider_id {
                Some(rp) => rp == p && row.location_id.is_none_or(|rl| rl == l),
                None => row.location_id == Some(l),
            },
            (Some(p), None) => match row.provider_id {
                Some(rp) => rp == p,
                None => row.location_id.is_some_and(|rl| works_at(p, rl)),
            },
            (None, Some(l)) => match (row.provider_id, row.location_id) {
                (_, Some(rl)) => rl == l,
                (Some(rp), None) => works_at(rp, l),
                (None, None) => false,
            },
        };
        let zone_of = |row: &Closure| {
            row.location_id
                .or_else(|| {
                    row.provider_id
                        .and_then(|p| providers.get(&p))
                        .and_then(|p| p.locations.first().copied())
                })
                .and_then(|l| locations.get(&l))
                .map(|l| (l.time_zone.as_str().to_string(), l.time_zone.zone().clone()))
                .unwrap_or_else(|| ("UTC".to_string(), TimeZone::UTC))
        };
        Ok(rows
            .into_iter()
            .filter(applies)
            .filter_map(|row| {
                let (name, tz) = zone_of(&row);
                let (first_day, last_day) = closure_days(row.starts_at, row.ends_at, &tz);
                (first_day <= filter.to && last_day >= filter.from).then_some(ClosureDays {
                    closure: row,
                    time_zone: name,
                    first_day,
                    last_day,
                })
            })
            .collect())
    }

    /// A location's local day: every appointment with its patient's name,
    /// provider, type, status and the rooms and devices it holds. It names
    /// patients, so it is location-scoped and audited as a query of the
    /// schedule, as the schedule page is.
    pub async fn schedule_day(
        &self,
        caller: &Caller,
        day: &ScheduleDay,
    ) -> Result<DaySchedule, AppError> {
        let mut d = self.guarded_day(caller, day.location, day.date).await?;
        let held = store::held_resources(&mut d.tx, day.location, d.bounds.0, d.bounds.1).await?;
        let resources: HashMap<_, BookableResource> =
            store::resources_of(&mut d.tx, caller.actor.organisation_id)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
        d.tx.commit().await?;
        let visits = d
            .lines
            .into_iter()
            .map(|line| {
                let mut held: Vec<BookableResource> = held
                    .iter()
                    .filter(|(a, _)| *a == line.appointment.id)
                    .filter_map(|(_, r)| resources.get(r).cloned())
                    .collect();
                held.sort_by(|a, b| (a.kind.as_str(), &a.name).cmp(&(b.kind.as_str(), &b.name)));
                ScheduledVisit {
                    line,
                    resources: held,
                }
            })
            .collect();
        Ok(DaySchedule {
            location: d.location,
            date: day.date,
            visits,
        })
    }
}

impl App {
    /// A location's appointments on a local date, with names, for the
    /// schedule and the flow board. Audited as a query of PHI.
    pub async fn day_schedule(
        &self,
        caller: &Caller,
        location: LocationId,
        date: Date,
    ) -> Result<Vec<ScheduleLine>, AppError> {
        let day = self.guarded_day(caller, location, date).await?;
        day.tx.commit().await?;
        Ok(day.lines)
    }

    /// Reads a location's day for `caller` in a transaction that has
    /// audited it as a query of the schedule (location-scoped). A location
    /// of another practice is not found.
    pub(crate) async fn guarded_day(
        &self,
        caller: &Caller,
        location: LocationId,
        date: Date,
    ) -> Result<GuardedDay, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self.store.read().await?;
        let loc = tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let act = Act::new(
            Action::Query,
            Target {
                organisation: org,
                location: Some(location),
                resource: Resource::Appointment,
            },
            "schedule",
        );
        let mut tx = self.guard(tx, caller, act).await?;
        let bounds = day_bounds(&loc, date)?;
        let lines = self
            .schedule_lines(&mut tx, location, bounds.0, bounds.1)
            .await?;
        Ok(GuardedDay {
            tx,
            location: loc,
            bounds,
            lines,
        })
    }

    /// The appointments at `location` starting in `[start, end)` with their
    /// names, in one query however many there are.
    pub(crate) async fn schedule_lines(
        &self,
        tx: &mut Tx,
        location: LocationId,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<ScheduleLine>, AppError> {
        let now = self.now();
        // One query for the whole run of days, not several per appointment;
        // the few providers' and visit types' names come from the set-up.
        let day = store::day_lines(tx, location, start, end).await?;
        let refs = self.reference.at(tx).await?;
        let mut lines = Vec::with_capacity(day.len());
        for l in day {
            let a = &l.appointment;
            let provider_name = refs
                .provider(tx, a.provider_id)
                .await?
                .map_or_else(String::new, |p| p.name);
            let type_name = refs
                .appointment_type(tx, a.appointment_type_id)
                .await?
                .map_or_else(String::new, |t| t.name);
            let waiting = l
                .arrived_at
                .filter(|_| !a.is_finished())
                .map(|t| (now.as_micros() - t.as_micros()) / MINUTE);
            lines.push(ScheduleLine {
                patient_name: format!("{}, {}", l.patient_last, l.patient_first),
                provider_name,
                type_name,
                waiting_minutes: waiting,
                appointment: l.appointment,
            });
        }
        Ok(lines)
    }

    /// The practice's rooms, lanes and devices.
    pub async fn resources(&self, caller: &Caller) -> Result<Vec<BookableResource>, AppError> {
        self.resources_at(caller, &Default::default()).await
    }

    /// Closures (time off, holidays) that have not ended yet.
    pub async fn upcoming_closures(&self, caller: &Caller) -> Result<Vec<Closure>, AppError> {
        let mut tx = self.set_up_read(caller).await?;
        let rows =
            store::upcoming_time_off(&mut tx, caller.actor.organisation_id, self.now()).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// The practice's providers and appointment types, for booking forms.
    pub async fn booking_choices(
        &self,
        caller: &Caller,
    ) -> Result<(Vec<Provider>, Vec<AppointmentType>), AppError> {
        let org = caller.actor.organisation_id;
        let tx = self.store.read().await?;
        let act = Act::new(
            Action::Query,
            Target {
                organisation: org,
                location: None,
                resource: Resource::Appointment,
            },
            "scheduling set-up",
        );
        let mut tx = self.guard(tx, caller, act).await?;
        let providers = providers::providers_of(&mut tx, org).await?;
        let types = store::types_of(&mut tx, org).await?;
        tx.commit().await?;
        Ok((providers, types))
    }
}
