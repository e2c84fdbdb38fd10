//! The practice's set-up (providers, locations, appointment types, working
//! hours and breaks) kept in memory for bookings.
//!
//! Every booking checks its slot against the set-up, and reading it takes
//! five queries, more than the booking's own checks and writes. The set-up
//! changes a few times a day, so a booking instead reads one counter that
//! database triggers move with every change to it
//! ([`store::reference_version`]) and reuses what an earlier booking read
//! at the same version. Entries are only ever served to a transaction that
//! saw the version they were read at (or read them itself after seeing
//! it), so a booking never checks against a set-up older than the one its
//! own transaction can see.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

use kerato_domain::ids::{AppointmentTypeId, LocationId, OrganisationId, ProviderId};
use kerato_domain::providers::Provider;
use kerato_domain::scheduling::AppointmentType;
use kerato_domain::scheduling::{Break, WorkingHours};
use kerato_domain::tenancy::Location;
use kerato_store::providers;
use kerato_store::scheduling as store;
use kerato_store::{StoreError, Tx, tenancy};

/// More entries than this and the cache starts over: a bound on memory
/// that a practice's real set-up (tens of providers) never reaches.
const MAX_ENTRIES: usize = 20_000;

#[derive(Default)]
struct Entries {
    version: i64,
    providers: HashMap<ProviderId, Provider>,
    locations: HashMap<(OrganisationId, LocationId), Location>,
    types: HashMap<AppointmentTypeId, AppointmentType>,
    hours: HashMap<(ProviderId, LocationId), WorkingHours>,
    breaks: HashMap<ProviderId, Vec<Break>>,
}

impl Entries {
    fn len(&self) -> usize {
        self.providers.len()
            + self.locations.len()
            + self.types.len()
            + self.hours.len()
            + self.breaks.len()
    }
}

/// What has been read of the set-up, at one version.
#[derive(Default)]
pub(crate) struct ReferenceCache {
    entries: Mutex<Entries>,
}

impl std::fmt::Debug for ReferenceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceCache").finish_non_exhaustive()
    }
}

/// The cache as seen by one transaction: the version it read.
pub(crate) struct Refs<'a> {
    cache: &'a ReferenceCache,
    version: i64,
}

impl ReferenceCache {
    /// Reads the set-up version in `tx`; later look-ups through the result
    /// are served from memory when they were read at that version.
    pub(crate) async fn at<'a>(&'a self, tx: &mut Tx) -> Result<Refs<'a>, StoreError> {
        let version = store::reference_version(tx).await?;
        Ok(Refs {
            cache: self,
            version,
        })
    }
}

impl Refs<'_> {
    /// Runs `f` on the entries if they are at this transaction's version,
    /// first dropping them if they are older.
    fn with<T>(&self, f: impl FnOnce(&mut Entries) -> T) -> Option<T> {
        let mut entries = self
            .cache
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.version > entries.version || entries.len() > MAX_ENTRIES {
            *entries = Entries {
                version: self.version,
                ..Entries::default()
            };
        }
        // A transaction that saw an older version than the cache (it
        // began before a change committed) reads for itself.
        (entries.version == self.version).then(|| f(&mut entries))
    }

    fn get<K: Eq + Hash, V: Clone>(
        &self,
        map: fn(&mut Entries) -> &mut HashMap<K, V>,
        key: &K,
    ) -> Option<V> {
        self.with(|e| map(e).get(key).cloned()).flatten()
    }

    fn put<K: Eq + Hash, V: Clone>(
        &self,
        map: fn(&mut Entries) -> &mut HashMap<K, V>,
        key: K,
        value: &V,
    ) {
        self.with(|e| map(e).insert(key, value.clone()));
    }

    pub(crate) async fn provider(
        &self,
        tx: &mut Tx,
        id: ProviderId,
    ) -> Result<Option<Provider>, StoreError> {
        if let Some(p) = self.get(|e| &mut e.providers, &id) {
            return Ok(Some(p));
        }
        let found = providers::find_provider(tx, id).await?;
        if let Some(p) = &found {
            self.put(|e| &mut e.providers, id, p);
        }
        Ok(found)
    }

    pub(crate) async fn location(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
        id: LocationId,
    ) -> Result<Option<Location>, StoreError> {
        if let Some(l) = self.get(|e| &mut e.locations, &(org, id)) {
            return Ok(Some(l));
        }
        let found = tenancy::get_location(tx, org, id).await?;
        if let Some(l) = &found {
            self.put(|e| &mut e.locations, (org, id), l);
        }
        Ok(found)
    }

    pub(crate) async fn appointment_type(
        &self,
        tx: &mut Tx,
        id: AppointmentTypeId,
    ) -> Result<Option<AppointmentType>, StoreError> {
        if let Some(t) = self.get(|e| &mut e.types, &id) {
            return Ok(Some(t));
        }
        let found = store::find_type(tx, id).await?;
        if let Some(t) = &found {
            self.put(|e| &mut e.types, id, t);
        }
        Ok(found)
    }

    pub(crate) async fn hours(
        &self,
        tx: &mut Tx,
        provider: ProviderId,
        location: LocationId,
    ) -> Result<WorkingHours, StoreError> {
        let key = (provider, location);
        if let Some(w) = self.get(|e| &mut e.hours, &key) {
            return Ok(w);
        }
        let found = providers::working_hours(tx, provider, location).await?;
        self.put(|e| &mut e.hours, key, &found);
        Ok(found)
    }

    pub(crate) async fn breaks(
        &self,
        tx: &mut Tx,
        provider: ProviderId,
    ) -> Result<Vec<Break>, StoreError> {
        if let Some(b) = self.get(|e| &mut e.breaks, &provider) {
            return Ok(b);
        }
        let found = store::breaks_of(tx, provider).await?;
        self.put(|e| &mut e.breaks, provider, &found);
        Ok(found)
    }
}
