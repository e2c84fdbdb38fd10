//! The practice's scheduling set-up: appointment types, rooms and
//! devices, weekly breaks and closed days.

use std::collections::BTreeSet;

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentTypeId, BlockId, LocationId, ProviderId, ResourceId};
use kerato_domain::scheduling::{
    AppointmentType, BookableResource, Break, Closure, ClosureKind, MAX_DURATION_MINUTES,
    ResourceKind, TypeInput,
};
use kerato_store::providers;
use kerato_store::scheduling as store;
use kerato_store::tenancy;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

use super::day_bounds;

fn valid_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn config_target(caller: &Caller) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: None,
        resource: Resource::Organisation,
    }
}

impl App {
    /// A plain appointment type: no specialty, no resources.
    pub async fn create_appointment_type(
        &self,
        caller: &Caller,
        name: &str,
        duration_minutes: i64,
    ) -> Result<AppointmentType, AppError> {
        self.define_appointment_type(
            caller,
            &TypeInput {
                name: name.into(),
                duration_minutes,
                specialty: None,
                colour: None,
                new_patient: false,
                resources: BTreeSet::new(),
            },
        )
        .await
    }

    pub async fn define_appointment_type(
        &self,
        caller: &Caller,
        input: &TypeInput,
    ) -> Result<AppointmentType, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut errors = ValidationErrors::new();
        let name = kerato_domain::tenancy::validate_name(&mut errors, "name", &input.name);
        let duration_minutes = input.duration_minutes;
        if !(5..=MAX_DURATION_MINUTES).contains(&duration_minutes) || duration_minutes % 5 != 0 {
            errors.add(
                "duration_minutes",
                format!("a duration is 5 to {MAX_DURATION_MINUTES} minutes, in steps of 5"),
            );
        }
        let colour = input
            .colour
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("#3b6ea5")
            .to_ascii_lowercase();
        if !valid_colour(&colour) {
            errors.add("colour", "write the colour as #rrggbb, e.g. #3b6ea5");
        }
        let name = errors.into_result(name)?.unwrap_or_default();
        let t = AppointmentType {
            id: AppointmentTypeId::new(self.now(), self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            name,
            duration_minutes,
            specialty: input.specialty,
            colour,
            new_patient: input.new_patient,
            resources: input.resources.clone(),
        };
        let tx = self.store.write().await?;
        let act = Act::new(Action::Update, config_target(caller), "scheduling set-up").id(t.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_type(&mut tx, &t, self.now()).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Adds a room, lane or device at a location.
    pub async fn create_resource(
        &self,
        caller: &Caller,
        location: LocationId,
        kind: ResourceKind,
        name: &str,
    ) -> Result<BookableResource, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut errors = ValidationErrors::new();
        let name = kerato_domain::tenancy::validate_name(&mut errors, "name", name);
        let mut tx = self.store.write().await?;
        if tenancy::get_location(&mut tx, caller.actor.organisation_id, location)
            .await?
            .is_none()
        {
            errors.add("location_id", "no such location in this practice");
        }
        let name = errors.into_result(name)?.unwrap_or_default();
        let r = BookableResource {
            id: ResourceId::new(self.now(), self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            location_id: location,
            kind,
            name,
        };
        let act = Act::new(Action::Update, config_target(caller), "scheduling set-up").id(r.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_resource(&mut tx, &r, self.now()).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Adds a weekly break (lunch, admin time) to a provider's template.
    pub async fn add_break(
        &self,
        caller: &Caller,
        provider: ProviderId,
        b: Break,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut errors = ValidationErrors::new();
        if b.end <= b.start {
            errors.add("end", "the break must end after it starts");
        }
        let label = kerato_domain::tenancy::validate_name(&mut errors, "label", &b.label);
        let label = errors.into_result(label)?.unwrap_or_default();
        let mut tx = self.store.write().await?;
        providers::find_provider(&mut tx, provider)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("provider"))?;
        let act = Act::new(Action::Update, config_target(caller), "scheduling set-up").id(provider);
        let mut tx = self.guard(tx, caller, act).await?;
        let id = BlockId::new(self.now(), self.random_id_bits());
        store::insert_break(&mut tx, id, provider, &Break { label, ..b }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes whole local days, `first` to `last` inclusive: a provider's
    /// time off (at one location, or all of theirs) or a location's holiday
    /// (every provider there). Days are the location's midnights, so a
    /// closure is right across a DST change.
    pub async fn close_days(
        &self,
        caller: &Caller,
        provider: Option<ProviderId>,
        location: Option<LocationId>,
        first: Date,
        last: Date,
        reason: &str,
    ) -> Result<Closure, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut errors = ValidationErrors::new();
        let reason = kerato_domain::tenancy::validate_name(&mut errors, "reason", reason);
        if last < first {
            errors.add("last", "the last day comes before the first");
        } else if (last - first).get_days() > 366 {
            errors.add("last", "close at most a year at a time");
        }
        if provider.is_none() && location.is_none() {
            errors.add("location_id", "choose a provider, a location, or both");
        }
        let reason = errors.into_result(reason)?.unwrap_or_default();
        let mut tx = self.store.write().await?;
        let p = match provider {
            Some(id) => Some(
                providers::find_provider(&mut tx, id)
                    .await?
                    .filter(|p| p.organisation_id == org)
                    .ok_or(AppError::NotFound("provider"))?,
            ),
            None => None,
        };
        // The days are the named location's, or, for time off wherever the
        // provider works, those of the provider's first location.
        let days_of = match (location, &p) {
            (Some(l), _) => Some(l),
            (None, Some(p)) => p.locations.first().copied(),
            (None, None) => None,
        }
        .ok_or_else(|| ValidationErrors::single("location_id", "the provider works nowhere yet"))?;
        let loc = tenancy::get_location(&mut tx, org, days_of)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let now = self.now();
        let row = Closure {
            id: BlockId::new(now, self.random_id_bits()),
            organisation_id: org,
            provider_id: provider,
            location_id: location,
            kind: if provider.is_some() {
                ClosureKind::TimeOff
            } else {
                ClosureKind::Holiday
            },
            starts_at: day_bounds(&loc, first)?.0,
            ends_at: day_bounds(&loc, last)?.1,
            reason,
        };
        let act = Act::new(Action::Update, config_target(caller), "scheduling set-up");
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_time_off(&mut tx, &row, now).await?;
        tx.commit().await?;
        Ok(row)
    }
}
