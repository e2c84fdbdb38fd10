//! Organisations and their locations.

use kerato_domain::ValidationErrors;
use kerato_domain::ids::{LocationId, OrganisationId};
use kerato_domain::tenancy::{
    Location, LocationInput, Organisation, OrganisationKind, validate_name,
};
use kerato_store::Tx;
use kerato_store::tenancy as store;

use crate::{App, AppError};

impl App {
    pub async fn create_organisation(
        &self,
        name: &str,
        kind: OrganisationKind,
    ) -> Result<Organisation, AppError> {
        let mut tx = self.store.write().await?;
        let org = self.create_organisation_in(&mut tx, name, kind).await?;
        tx.commit().await?;
        Ok(org)
    }

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

    pub async fn list_organisations(&self) -> Result<Vec<Organisation>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(store::list_organisations(&mut tx).await?)
    }

    /// The organisation this installation serves: the first one created.
    /// Until the identity issue ties every request to a signed-in user's
    /// organisation, the web pages work on this one.
    pub async fn home_organisation(&self) -> Result<Organisation, AppError> {
        self.list_organisations()
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("organisation"))
    }

    pub async fn rename_organisation(
        &self,
        id: OrganisationId,
        name: &str,
    ) -> Result<Organisation, AppError> {
        let mut errors = ValidationErrors::new();
        let name = validate_name(&mut errors, "name", name);
        let name = errors.into_result(name)?.unwrap_or_default();
        let mut tx = self.store.write().await?;
        let mut org = store::get_organisation(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        org.name = name;
        org.updated_at = self.now();
        store::update_organisation(&mut tx, &org).await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn list_locations(&self, org: OrganisationId) -> Result<Vec<Location>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(store::list_locations(&mut tx, org).await?)
    }

    pub async fn get_location(
        &self,
        org: OrganisationId,
        id: LocationId,
    ) -> Result<Location, AppError> {
        let mut tx = self.store.read().await?;
        store::get_location(&mut tx, org, id)
            .await?
            .ok_or(AppError::NotFound("location"))
    }

    pub async fn create_location(
        &self,
        org: OrganisationId,
        input: &LocationInput,
    ) -> Result<Location, AppError> {
        let mut tx = self.store.write().await?;
        let location = self.create_location_in(&mut tx, org, input).await?;
        tx.commit().await?;
        Ok(location)
    }

    /// Creates a location inside the caller's transaction.
    pub(crate) async fn create_location_in(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
        input: &LocationInput,
    ) -> Result<Location, AppError> {
        let fields = input.validate()?;
        let now = self.now();
        let location = Location::create(
            LocationId::new(now, self.random_id_bits()),
            org,
            fields,
            now,
        );
        store::get_organisation(tx, org)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        store::insert_location(tx, &location).await?;
        Ok(location)
    }

    /// Replaces a location's fields. `expected_version` is the version the
    /// editor started from; if someone saved in between, nothing is written
    /// and the caller is told to reload.
    pub async fn update_location(
        &self,
        org: OrganisationId,
        id: LocationId,
        expected_version: i64,
        input: &LocationInput,
    ) -> Result<Location, AppError> {
        let fields = input.validate()?;
        let mut tx = self.store.write().await?;
        let current = store::get_location(&mut tx, org, id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        if current.version != expected_version {
            return Err(stale(current.version));
        }
        let updated = current.updated(fields, self.now());
        if !store::update_location(&mut tx, &updated).await? {
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
