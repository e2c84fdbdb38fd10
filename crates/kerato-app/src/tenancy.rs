//! Organisations and their locations.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LocationId, OrganisationId};
use kerato_domain::tenancy::{
    Location, LocationFields, Organisation, OrganisationKind, OrganisationName, validate_name,
};
use kerato_store::Tx;
use kerato_store::tenancy as store;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

fn location_target(org: OrganisationId, location: Option<LocationId>) -> Target {
    Target {
        organisation: org,
        location,
        resource: Resource::Location,
    }
}

impl App {
    /// Creates an organisation inside the caller's transaction.
    pub(crate) async fn create_organisation_in(
        &self,
        tx: &mut Tx,
        name: &str,
        kind: OrganisationKind,
    ) -> Result<Organisation, AppError> {
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "name", name);
        let name = errors.into_result(name)?.unwrap_or_default();
        let now = self.now();
        let org = Organisation {
            id: OrganisationId::new(now, self.random_id_bits()),
            name,
            kind,
            created_at: now,
            updated_at: now,
        };
        store::insert_organisation(tx, &org).await?;
        Ok(org)
    }

    /// Whether this installation has been set up with an organisation.
    pub async fn is_initialised(&self) -> Result<bool, AppError> {
        let mut tx = self.store.read().await?;
        Ok(!store::list_organisations(&mut tx).await?.is_empty())
    }

    /// The caller's organisation.
    pub async fn organisation(&self, caller: &Caller) -> Result<Organisation, AppError> {
        let mut tx = self.store.read().await?;
        store::get_organisation(&mut tx, caller.actor.organisation_id)
            .await?
            .ok_or(AppError::NotFound("organisation"))
    }

    pub async fn rename_organisation(
        &self,
        caller: &Caller,
        name: &OrganisationName,
    ) -> Result<Organisation, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let name = name.0.clone();
        let org_id = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let current = store::get_organisation(&mut tx, org_id)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        let mut org = current.clone();
        org.name = name;
        org.updated_at = self.now();
        let target = Target {
            organisation: org_id,
            location: None,
            resource: Resource::Organisation,
        };
        let act = Act::new(Action::Update, target, "organisation")
            .id(org_id)
            .old(&current)
            .new_value(&org);
        let mut tx = self.guard(tx, caller, act).await?;
        store::update_organisation(&mut tx, &org).await?;
        tx.commit().await?;
        Ok(org)
    }

    /// The locations the caller works at (or holds break-glass access to).
    pub async fn list_locations(&self, caller: &Caller) -> Result<Vec<Location>, AppError> {
        let org = caller.actor.organisation_id;
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Location, "locations")
            .await?;
        let now = self.now();
        let all = store::list_locations(&mut tx, org).await?;
        tx.commit().await?;
        Ok(all
            .into_iter()
            .filter(|l| {
                caller.actor.locations.includes(l.id)
                    || caller
                        .actor
                        .emergency
                        .iter()
                        .any(|g| g.location == l.id && g.expires_at > now)
            })
            .collect())
    }

    pub async fn get_location(
        &self,
        caller: &Caller,
        id: LocationId,
    ) -> Result<Location, AppError> {
        let mut tx = self.store.read().await?;
        let loc = store::find_location(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let act = Act::new(
            Action::View,
            location_target(loc.organisation_id, Some(id)),
            "location",
        )
        .id(id);
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        Ok(loc)
    }

    /// A location to edit: the caller must be allowed to change it.
    pub async fn location_to_edit(
        &self,
        caller: &Caller,
        id: LocationId,
    ) -> Result<Location, AppError> {
        self.require(caller, Resource::Location, Action::Update, Some(id))
            .await?;
        self.get_location(caller, id).await
    }

    pub async fn create_location(
        &self,
        caller: &Caller,
        fields: &LocationFields,
    ) -> Result<Location, AppError> {
        self.require(caller, Resource::Location, Action::Create, None)
            .await?;
        let fields = fields.clone();
        let org = caller.actor.organisation_id;
        let now = self.now();
        let location = Location::create(
            LocationId::new(now, self.random_id_bits()),
            org,
            fields,
            now,
        );
        let tx = self.store.write().await?;
        let act = Act::new(Action::Create, location_target(org, None), "location")
            .id(location.id)
            .new_value(&location);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_location(&mut tx, &location).await?;
        tx.commit().await?;
        Ok(location)
    }

    /// Replaces a location's fields. `expected_version` is the version the
    /// editor started from; if someone saved in between, nothing is written
    /// and the caller is told to reload.
    pub async fn update_location(
        &self,
        caller: &Caller,
        id: LocationId,
        expected_version: i64,
        fields: &LocationFields,
    ) -> Result<Location, AppError> {
        // The role check first, so a caller without the right learns nothing
        // from the record; the location check comes with the record below.
        self.require(caller, Resource::Location, Action::Update, None)
            .await?;
        let fields = fields.clone();
        let mut tx = self.store.write().await?;
        let current = store::find_location(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let updated = current.updated(fields, self.now());
        let act = Act::new(
            Action::Update,
            location_target(current.organisation_id, Some(id)),
            "location",
        )
        .id(id)
        .old(&current)
        .new_value(&updated);
        let mut tx = self.guard(tx, caller, act).await?;
        if current.version != expected_version || !store::update_location(&mut tx, &updated).await?
        {
            return Err(stale(current.version));
        }
        tx.commit().await?;
        Ok(updated)
    }
}

fn stale(current: i64) -> AppError {
    AppError::Conflict(format!(
        "this location was changed by someone else (now version {current}); reload it and apply your change again"
    ))
}
