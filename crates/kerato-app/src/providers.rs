//! Providers and their working hours, as the administrator sets them up:
//! who sees patients, with which identifiers, where, which visit types, and
//! when. Anyone who books may read them; only who administers the practice
//! may change them, and every change is audited with the set-up.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Role, Target};
use kerato_domain::ids::{HoursTemplateId, ProviderId};
use kerato_domain::providers::hours::{HoursFields, HoursTemplate, weekday_name};
use kerato_domain::providers::{Provider, ProviderFields, VisitTypeScope};
use kerato_store::providers as store;
use kerato_store::{Tx, identity, scheduling, tenancy};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// The audit category of every set-up change here.
const CATEGORY: &str = "provider set-up";

fn setup_act(caller: &Caller, id: impl ToString) -> Act {
    Act::new(
        Action::Update,
        Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource: Resource::Organisation,
        },
        CATEGORY,
    )
    .id(id)
}

impl App {
    /// Every provider of the practice, by name: what a booking chooses from.
    pub async fn providers(&self, caller: &Caller) -> Result<Vec<Provider>, AppError> {
        self.require(caller, Resource::Appointment, Action::Query, None)
            .await?;
        let mut tx = self.store.read().await?;
        Ok(store::providers_of(&mut tx, caller.actor.organisation_id).await?)
    }

    /// One provider of the practice.
    pub async fn provider(&self, caller: &Caller, id: ProviderId) -> Result<Provider, AppError> {
        self.require(caller, Resource::Appointment, Action::Query, None)
            .await?;
        let mut tx = self.store.read().await?;
        own_provider(&mut tx, caller, id).await
    }

    /// Adds a provider.
    pub async fn create_provider(
        &self,
        caller: &Caller,
        fields: &ProviderFields,
    ) -> Result<Provider, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let fields = fields.clone();
        let mut tx = self.store.write().await?;
        check_practice_records(&mut tx, caller, &fields, None).await?;
        let provider = from_fields(
            ProviderId::new(self.now(), self.random_id_bits()),
            caller,
            fields,
            1,
        );
        let act = setup_act(caller, provider.id).new_value(&provider.to_input());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_provider(&mut tx, &provider, self.now()).await?;
        tx.commit().await?;
        Ok(provider)
    }

    /// Saves an edit of a provider made from `version`; a stale edit is a
    /// conflict that changes nothing.
    pub async fn update_provider(
        &self,
        caller: &Caller,
        id: ProviderId,
        version: i64,
        fields: &ProviderFields,
    ) -> Result<Provider, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let fields = fields.clone();
        let mut tx = self.store.write().await?;
        let before = own_provider(&mut tx, caller, id).await?;
        check_practice_records(&mut tx, caller, &fields, Some(id)).await?;
        let after = from_fields(id, caller, fields, version + 1);
        let act = setup_act(caller, id)
            .old(&before.to_input())
            .new_value(&after.to_input());
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::update_provider(&mut tx, &after, version, self.now()).await? {
            return Err(AppError::Conflict(
                "someone else saved this provider since you opened it; reload and make your change again"
                    .into(),
            ));
        }
        tx.commit().await?;
        Ok(after)
    }

    /// A provider's working-hours templates, in the order they took effect.
    pub async fn provider_hours(
        &self,
        caller: &Caller,
        provider: ProviderId,
    ) -> Result<Vec<HoursTemplate>, AppError> {
        self.require(caller, Resource::Appointment, Action::Query, None)
            .await?;
        let mut tx = self.store.read().await?;
        own_provider(&mut tx, caller, provider).await?;
        Ok(store::hours_of(&mut tx, provider).await?)
    }

    /// One working-hours template of the practice; with `provider` (as an
    /// API address names it), it must be that provider's too.
    pub async fn hours_template(
        &self,
        caller: &Caller,
        provider: Option<ProviderId>,
        id: HoursTemplateId,
    ) -> Result<HoursTemplate, AppError> {
        self.require(caller, Resource::Appointment, Action::Query, None)
            .await?;
        let mut tx = self.store.read().await?;
        own_hours(&mut tx, caller, provider, id).await
    }

    /// Adds a working-hours template. It must be at one of the provider's
    /// locations and clash with none of their other templates.
    pub async fn add_hours(
        &self,
        caller: &Caller,
        provider: ProviderId,
        hours: &HoursFields,
    ) -> Result<HoursTemplate, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let template = HoursTemplate {
            id: HoursTemplateId::new(self.now(), self.random_id_bits()),
            provider_id: provider,
            location_id: hours.location_id,
            pattern: hours.pattern.clone(),
        };
        let mut tx = self.store.write().await?;
        self.check_hours(&mut tx, caller, &template).await?;
        let act = setup_act(caller, provider).new_value(&template.to_input());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_hours(&mut tx, &template, self.now()).await?;
        tx.commit().await?;
        Ok(template)
    }

    /// Replaces a template's location, dates and windows (with
    /// `provider`, a template of that provider's). Appointments already
    /// booked stay as they are.
    pub async fn replace_hours(
        &self,
        caller: &Caller,
        provider: Option<ProviderId>,
        id: HoursTemplateId,
        hours: &HoursFields,
    ) -> Result<HoursTemplate, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let before = own_hours(&mut tx, caller, provider, id).await?;
        let template = HoursTemplate {
            location_id: hours.location_id,
            pattern: hours.pattern.clone(),
            ..before.clone()
        };
        self.check_hours(&mut tx, caller, &template).await?;
        let act = setup_act(caller, before.provider_id)
            .old(&before.to_input())
            .new_value(&template.to_input());
        let mut tx = self.guard(tx, caller, act).await?;
        store::replace_hours(&mut tx, &template).await?;
        tx.commit().await?;
        Ok(template)
    }

    /// Removes a template (with `provider`, a template of that
    /// provider's) and gives it back. Appointments already booked stay as
    /// they are.
    pub async fn remove_hours(
        &self,
        caller: &Caller,
        provider: Option<ProviderId>,
        id: HoursTemplateId,
    ) -> Result<HoursTemplate, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let before = own_hours(&mut tx, caller, provider, id).await?;
        let act = setup_act(caller, before.provider_id).old(&before.to_input());
        let mut tx = self.guard(tx, caller, act).await?;
        store::delete_hours(&mut tx, id).await?;
        tx.commit().await?;
        Ok(before)
    }

    /// The template's provider is the practice's, works at its location,
    /// and is not already working elsewhere then.
    async fn check_hours(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        template: &HoursTemplate,
    ) -> Result<(), AppError> {
        let p = own_provider(tx, caller, template.provider_id).await?;
        if !p.locations.contains(&template.location_id) {
            return Err(ValidationErrors::single(
                "location_id",
                format!(
                    "{} does not work at that location; add it to their locations first",
                    p.name
                ),
            )
            .into());
        }
        let locations = tenancy::list_locations(tx, caller.actor.organisation_id).await?;
        for other in store::hours_of(tx, p.id).await? {
            if other.id == template.id {
                continue;
            }
            if let Some((date, new, old)) = template.pattern.first_clash(&other.pattern) {
                let place = locations
                    .iter()
                    .find(|l| l.id == other.location_id)
                    .map_or("another location", |l| l.name.as_str());
                return Err(ValidationErrors::single(
                    "days",
                    format!(
                        "{} {}–{} clashes with {}'s hours at {place} ({}–{}), first on {}; end one template before the other starts, or change the hours",
                        weekday_name(new.weekday),
                        new.start.strftime("%H:%M"),
                        new.end.strftime("%H:%M"),
                        p.name,
                        old.start.strftime("%H:%M"),
                        old.end.strftime("%H:%M"),
                        date.strftime("%m/%d/%Y"),
                    ),
                )
                .into());
            }
        }
        Ok(())
    }
}

/// A provider of the caller's practice, or not found (another practice's
/// provider does not exist for this caller).
async fn own_provider(tx: &mut Tx, caller: &Caller, id: ProviderId) -> Result<Provider, AppError> {
    store::find_provider(tx, id)
        .await?
        .filter(|p| p.organisation_id == caller.actor.organisation_id)
        .ok_or(AppError::NotFound("provider"))
}

/// A template of the caller's practice (and of `provider`, when given), or
/// not found.
async fn own_hours(
    tx: &mut Tx,
    caller: &Caller,
    provider: Option<ProviderId>,
    id: HoursTemplateId,
) -> Result<HoursTemplate, AppError> {
    let t = store::find_hours(tx, id)
        .await?
        .filter(|t| provider.is_none_or(|p| p == t.provider_id))
        .ok_or(AppError::NotFound("working-hours template"))?;
    own_provider(tx, caller, t.provider_id)
        .await
        .map_err(|_| AppError::NotFound("working-hours template"))?;
    Ok(t)
}

/// The user, locations and visit types named are the practice's own, and
/// the user is a clinician not already another provider.
async fn check_practice_records(
    tx: &mut Tx,
    caller: &Caller,
    fields: &ProviderFields,
    editing: Option<ProviderId>,
) -> Result<(), AppError> {
    let org = caller.actor.organisation_id;
    let mut errors = ValidationErrors::new();
    if let Some(user) = fields.user_id {
        match identity::get_user(tx, user).await? {
            Some((u, _)) if u.organisation_id == org => {
                if !matches!(u.role, Role::Physician | Role::Optometrist) {
                    errors.add(
                        "user_id",
                        format!(
                            "{} is a {} account; only physicians and optometrists see patients as providers",
                            u.display_name,
                            u.role.label()
                        ),
                    );
                }
                if let Some(other) = store::provider_of_user(tx, user).await?
                    && Some(other.id) != editing
                {
                    errors.add(
                        "user_id",
                        format!("{} is already the provider {}", u.display_name, other.name),
                    );
                }
            }
            _ => errors.add("user_id", "no such staff account in this practice"),
        }
    }
    let locations = tenancy::list_locations(tx, org).await?;
    if fields
        .locations
        .iter()
        .any(|l| !locations.iter().any(|x| x.id == *l))
    {
        errors.add(
            "location_ids",
            "a chosen location does not belong to this practice",
        );
    }
    if let VisitTypeScope::Only(types) = &fields.visit_types {
        let known = scheduling::types_of(tx, org).await?;
        if types.iter().any(|t| !known.iter().any(|k| k.id == *t)) {
            errors.add(
                "visit_type_ids",
                "a chosen visit type does not belong to this practice",
            );
        }
    }
    errors.into_result(()).map_err(AppError::from)
}

fn from_fields(id: ProviderId, caller: &Caller, f: ProviderFields, version: i64) -> Provider {
    Provider {
        id,
        organisation_id: caller.actor.organisation_id,
        name: f.name,
        user_id: f.user_id,
        credentials: f.credentials,
        npi: f.npi,
        taxonomy: f.taxonomy,
        specialties: f.specialties,
        locations: f.locations,
        visit_types: f.visit_types,
        status: f.status,
        version,
    }
}
