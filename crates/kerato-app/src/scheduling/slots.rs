//! Find next available: free slots for a visit type across the
//! practice's providers and locations.

use jiff::civil::{Date, Time};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentTypeId, LocationId, ProviderId};
use kerato_domain::providers::Provider;
use kerato_domain::scheduling::{
    BookableResource, SlotQuery, SlotSearch, breaks_between, overlaps,
};
use kerato_domain::time::Timestamp;
use kerato_store::providers;
use kerato_store::scheduling as store;
use kerato_store::{Tx, tenancy};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

use super::{MINUTE, day_bounds};

/// A free slot that find-next-available offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotOffer {
    pub provider_id: ProviderId,
    pub provider_name: String,
    pub location_id: LocationId,
    pub location_name: String,
    pub starts_at: Timestamp,
    /// The clinic's local date and time, as a booking names them.
    pub date: Date,
    pub time: Time,
}

/// How far ahead find-next-available looks.
pub const HORIZON_DAYS: i64 = 60;
/// The grid on which slots are offered.
const STEP_MINUTES: i64 = 15;

impl App {
    /// Free slots, earliest first, for an appointment type across the
    /// practice's providers and locations (or the one provider or location
    /// asked for), honouring templates, breaks, closures, other bookings
    /// and the type's resources.
    pub async fn find_slots(
        &self,
        caller: &Caller,
        q: &SlotQuery,
    ) -> Result<Vec<SlotOffer>, AppError> {
        let org = caller.actor.organisation_id;
        let tx = self.store.read().await?;
        let act = Act::new(
            Action::Query,
            Target {
                organisation: org,
                location: q.location,
                resource: Resource::Appointment,
            },
            "schedule",
        );
        let mut tx = self.guard(tx, caller, act).await?;
        let offers = self.slots_in(&mut tx, org, q).await?;
        tx.commit().await?;
        Ok(offers)
    }

    async fn slots_in(
        &self,
        tx: &mut Tx,
        org: kerato_domain::ids::OrganisationId,
        q: &SlotQuery,
    ) -> Result<Vec<SlotOffer>, AppError> {
        let kind = match q.appointment_type {
            Some(t) => store::find_type(tx, t)
                .await?
                .filter(|k| k.organisation_id == org)
                .ok_or(AppError::NotFound("appointment type"))?,
            None => {
                return Err(ValidationErrors::single(
                    "appointment_type_id",
                    "choose an appointment type",
                )
                .into());
            }
        };
        let asked: Vec<Provider> = providers::providers_of(tx, org)
            .await?
            .into_iter()
            .filter(|p| q.provider.is_none_or(|id| id == p.id))
            .collect();
        if q.provider.is_some() {
            match asked.first() {
                None => return Err(AppError::NotFound("provider")),
                // The one provider asked for says why, rather than nothing
                // being found.
                Some(p) => {
                    if let Some(why) = p.refuses(kind.id, &kind.name, kind.specialty) {
                        return Err(ValidationErrors::single("provider_id", why).into());
                    }
                }
            }
        }
        let providers: Vec<Provider> = asked
            .into_iter()
            .filter(|p| p.refuses(kind.id, &kind.name, kind.specialty).is_none())
            .collect();
        let locations = tenancy::list_locations(tx, org).await?;
        if let Some(l) = q.location
            && !locations.iter().any(|x| x.id == l)
        {
            return Err(AppError::NotFound("location"));
        }
        let resources = store::resources_of(tx, org).await?;
        let now = self.now();
        let limit = q.limit.clamp(1, 50);
        let mut offers = Vec::new();
        for loc in locations
            .iter()
            .filter(|l| q.location.is_none_or(|id| id == l.id))
        {
            let tz = loc.time_zone.zone();
            let from = match q.from {
                Some(d) => day_bounds(loc, d)?.0.max(now),
                None => now,
            };
            let until = from.plus_micros(HORIZON_DAYS * 24 * 60 * MINUTE);
            let first_day = from.to_jiff().to_zoned_datetime(tz.clone()).date();
            let held = store::resources_busy(tx, loc.id, from, until).await?;
            let here: Vec<&BookableResource> = resources
                .iter()
                .filter(|r| r.location_id == loc.id)
                .collect();
            if kind
                .resources
                .iter()
                .any(|k| !here.iter().any(|r| r.kind == *k))
            {
                // This location lacks a device the type needs.
                continue;
            }
            for p in providers.iter().filter(|p| p.locations.contains(&loc.id)) {
                let hours = providers::working_hours(tx, p.id, loc.id).await?;
                if hours.is_empty() {
                    continue;
                }
                let busy = store::busy(tx, p.id, from, until).await?;
                let mut blocked = breaks_between(
                    &store::breaks_of(tx, p.id).await?,
                    tz,
                    first_day,
                    HORIZON_DAYS + 1,
                );
                blocked.extend(store::closures(tx, p.id, loc.id, from, until).await?);
                let search = SlotSearch {
                    hours: &hours,
                    tz,
                    from,
                    duration_minutes: kind.duration_minutes,
                    step_minutes: STEP_MINUTES,
                    busy: &busy,
                    blocked: &blocked,
                    horizon_days: HORIZON_DAYS,
                };
                let resources_free = |s: Timestamp, e: Timestamp, overbook: bool| {
                    overbook
                        || kind.resources.iter().all(|k| {
                            here.iter().filter(|r| r.kind == *k).any(|r| {
                                !held.iter().any(|(id, hs, he, _)| {
                                    *id == r.id && overlaps((s, e), (*hs, *he))
                                })
                            })
                        })
                };
                for start in search.starts(resources_free, limit) {
                    let local = start.to_jiff().to_zoned_datetime(tz.clone());
                    offers.push(SlotOffer {
                        provider_id: p.id,
                        provider_name: p.name.clone(),
                        location_id: loc.id,
                        location_name: loc.name.clone(),
                        starts_at: start,
                        date: local.date(),
                        time: local.time(),
                    });
                }
            }
        }
        offers.sort_by(|a, b| {
            (a.starts_at, &a.provider_name, a.location_id).cmp(&(
                b.starts_at,
                &b.provider_name,
                b.location_id,
            ))
        });
        offers.truncate(limit);
        Ok(offers)
    }

    /// The first free start for `provider` at `location` for an appointment
    /// of `kind`, from now on, within the next 60 days.
    pub async fn next_available(
        &self,
        caller: &Caller,
        provider: ProviderId,
        location: LocationId,
        kind: AppointmentTypeId,
    ) -> Result<Option<Timestamp>, AppError> {
        let offers = self
            .find_slots(
                caller,
                &SlotQuery {
                    appointment_type: Some(kind),
                    provider: Some(provider),
                    location: Some(location),
                    from: None,
                    limit: 1,
                },
            )
            .await?;
        Ok(offers.first().map(|o| o.starts_at))
    }
}
