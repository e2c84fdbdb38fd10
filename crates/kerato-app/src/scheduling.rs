//! Scheduling: practice set-up (providers, appointment types, weekly
//! windows) and booking, which is atomic per provider on both backends.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{
    AppointmentId, AppointmentTypeId, BlockId, LocationId, PatientId, ProviderId, ResourceId,
    SeriesId,
};
use kerato_domain::providers::Provider;
use kerato_domain::scheduling::booking::cancel_reason;
use kerato_domain::scheduling::{
    Appointment, AppointmentType, BookableResource, BookingInput, Break, Closure, ClosureKind,
    MAX_DURATION_MINUTES, Recurrence, RepeatedHour, RescheduleInput, ResourceKind, SlotQuery,
    SlotSearch, VisitStatus, breaks_between, first_block, overlaps, resolve_local_time, window_for,
};
use kerato_domain::tenancy::{Location, Specialty};
use kerato_domain::time::Timestamp;
use kerato_domain::waitlist::{WaitlistEntry, WaitlistStatus};
use kerato_store::providers;
use kerato_store::scheduling as store;
use kerato_store::waitlist;
use kerato_store::{Tx, tenancy};

use crate::authz::{Act, Caller};
use crate::reference::Refs;
use crate::{App, AppError};

mod reads;

pub use reads::{ClosureDays, DaySchedule, ScheduledVisit};

const MINUTE: i64 = 60_000_000;

/// An appointment type as the practice defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeInput {
    pub name: String,
    pub duration_minutes: i64,
    pub specialty: Option<Specialty>,
    /// `#rrggbb`; a default when absent.
    pub colour: Option<String>,
    pub new_patient: bool,
    pub resources: BTreeSet<ResourceKind>,
}

/// What the booking checks found for a slot: whether it double-books
/// and which resources it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SlotPlan {
    overbooked: bool,
    resources: Vec<ResourceId>,
}

/// A slot being checked, before anything is written.
struct SlotCheck<'a> {
    /// The set-up as this transaction sees it.
    refs: &'a Refs<'a>,
    /// Who is booked: they must be a live chart of the practice.
    patient: PatientId,
    provider: &'a Provider,
    location: &'a Location,
    kind: &'a AppointmentType,
    starts_at: Timestamp,
    ends_at: Timestamp,
    /// The appointment being moved, whose own times do not clash.
    moving: Option<AppointmentId>,
    chosen: &'a [ResourceId],
}

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

    /// Books an appointment. Everything is checked inside one transaction
    /// that first takes the provider's booking lock (then its resources'),
    /// so of many requests for the same slot exactly one succeeds; the rest
    /// get a conflict.
    ///
    /// The one permission check is the guard inside the booking's
    /// transaction, once the slot's checks have passed (they only read), so
    /// that the audit event and the appointment commit together.
    pub async fn book_appointment(
        &self,
        caller: &Caller,
        input: &BookingInput,
    ) -> Result<Appointment, AppError> {
        match self.store.backend() {
            kerato_store::Backend::Sqlite => self.book_batched(caller, input).await,
            kerato_store::Backend::Postgres => self.book(caller, input, None).await,
        }
    }

    /// One booking of a group commit, inside the batch's transaction: the
    /// same checks, audit and writes as [`App::book`]. A refusal (a broken
    /// rule, a denial) comes back as a [`Step`] and, on SQLite, has written
    /// nothing, because the checks only read there; an `Err` means a write
    /// failed part-way and the transaction must not be committed.
    ///
    /// [`Step`]: crate::batch::Step
    pub(crate) async fn book_step(
        &self,
        tx: &mut Tx,
        refs: &Refs<'_>,
        caller: &Caller,
        input: &BookingInput,
    ) -> Result<crate::batch::Step, AppError> {
        let org = caller.actor.organisation_id;
        let planned = match self
            .book_in(tx, refs, org, input, input.slot.date, None)
            .await
        {
            Ok(planned) => planned,
            Err(refused) => return Ok(crate::batch::Step::Refused(refused)),
        };
        let act = booking_act(&planned);
        if let Some(why) = self.guard_in(tx, caller, &act).await? {
            return Ok(crate::batch::Step::Denied(act, why));
        }
        store::insert_appointment(tx, &planned.row).await?;
        for r in &planned.resources {
            store::hold_resource(tx, &planned.row, *r).await?;
        }
        Ok(crate::batch::Step::Booked(planned.row))
    }

    /// Books `input`; when it takes up a waitlist offer, the entry is closed
    /// in the same transaction.
    pub(crate) async fn book(
        &self,
        caller: &Caller,
        input: &BookingInput,
        from_waitlist: Option<&WaitlistEntry>,
    ) -> Result<Appointment, AppError> {
        let mut tx = self.store.write().await?;
        let refs = self.reference.at(&mut tx).await?;
        let row = match self.book_step(&mut tx, &refs, caller, input).await? {
            crate::batch::Step::Booked(row) => row,
            crate::batch::Step::Refused(e) => return Err(e),
            crate::batch::Step::Denied(act, why) => {
                drop(tx);
                return Err(self.record_denial(caller, &act, why).await?);
            }
        };
        if let Some(entry) = from_waitlist
            && !waitlist::close(
                &mut tx,
                entry,
                WaitlistStatus::Booked,
                Some(row.id),
                self.now(),
            )
            .await?
        {
            return Err(AppError::Conflict(
                "the waitlist entry changed meanwhile; reload".into(),
            ));
        }
        tx.commit().await?;
        Ok(row)
    }

    /// Whether `input` could be booked now, checked in `tx` (which then
    /// holds the provider's lock); nothing is written.
    pub(crate) async fn check_booking(
        &self,
        tx: &mut Tx,
        org: kerato_domain::ids::OrganisationId,
        input: &BookingInput,
    ) -> Result<(), AppError> {
        let refs = self.reference.at(tx).await?;
        self.book_in(tx, &refs, org, input, input.slot.date, None)
            .await
            .map(|_| ())
    }

    /// Books a recurring series (phototherapy three times a week for eight
    /// weeks): every occurrence at the same local time, all or nothing. If
    /// any date cannot be booked, nothing is, and the error lists every
    /// such date with its reason.
    pub async fn book_series(
        &self,
        caller: &Caller,
        input: &BookingInput,
        recurrence: &Recurrence,
    ) -> Result<Vec<Appointment>, AppError> {
        let org = caller.actor.organisation_id;
        let series = SeriesId::new(self.now(), self.random_id_bits());
        let mut tx = self.store.write().await?;
        let refs = self.reference.at(&mut tx).await?;
        let mut planned = Vec::new();
        let mut refused = Vec::new();
        for date in recurrence.dates(input.slot.date) {
            match self
                .book_in(&mut tx, &refs, org, input, date, Some(series))
                .await
            {
                Ok(a) => {
                    // Occurrences of the series must not clash with each
                    // other either; none is written until all are checked.
                    let clash = planned.iter().any(|p: &Planned| {
                        overlaps(
                            (p.row.starts_at, p.row.ends_at),
                            (a.row.starts_at, a.row.ends_at),
                        )
                    });
                    if clash {
                        refused.push(format!("{date}: clashes with another occurrence"));
                    } else {
                        planned.push(a);
                    }
                }
                Err(AppError::Validation(v)) => refused.push(format!("{date}: {v}")),
                Err(AppError::Conflict(m)) => refused.push(format!("{date}: {m}")),
                Err(other) => return Err(other),
            }
        }
        if !refused.is_empty() {
            return Err(AppError::Conflict(format!(
                "{} of {} dates cannot be booked, so none was: {}",
                refused.len(),
                refused.len() + planned.len(),
                refused.join("; ")
            )));
        }
        let Some(first) = planned.first() else {
            return Err(ValidationErrors::single("weekdays", "the series has no dates").into());
        };
        let mut act = booking_act(first);
        act.new = serde_json::to_string(&serde_json::json!({
            "series": series.to_string(), "pattern": recurrence.describe(), "count": planned.len(),
        }))
        .ok();
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_series(
            &mut tx,
            series,
            org,
            input.patient_id,
            &recurrence.describe(),
            self.now(),
        )
        .await?;
        // A series' own occurrences are not checked against each other by
        // the store, so they are inserted only after the loop above.
        for p in &planned {
            store::insert_appointment(&mut tx, &p.row).await?;
            for r in &p.resources {
                store::hold_resource(&mut tx, &p.row, *r).await?;
            }
        }
        tx.commit().await?;
        Ok(planned.into_iter().map(|p| p.row).collect())
    }

    /// Checks a booking of `input` on `date` for `org` inside `tx`
    /// (holding the locks) and returns what would be written; nothing is
    /// written.
    async fn book_in(
        &self,
        tx: &mut Tx,
        refs: &Refs<'_>,
        org: kerato_domain::ids::OrganisationId,
        input: &BookingInput,
        date: Date,
        series: Option<SeriesId>,
    ) -> Result<Planned, AppError> {
        let slot = &input.slot;
        providers::lock_provider(tx, slot.provider_id).await?;
        let mut e = ValidationErrors::new();
        let provider = refs
            .provider(tx, slot.provider_id)
            .await?
            .filter(|p| p.organisation_id == org);
        let location = refs.location(tx, org, slot.location_id).await?;
        let kind = refs
            .appointment_type(tx, slot.appointment_type_id)
            .await?
            .filter(|t| t.organisation_id == org);
        if provider.is_none() {
            e.add("provider_id", "no such provider in this practice");
        }
        if location.is_none() {
            e.add("location_id", "no such location in this practice");
        }
        if kind.is_none() {
            e.add(
                "appointment_type_id",
                "no such appointment type in this practice",
            );
        }
        let (Some(provider), Some(location), Some(kind)) = (provider, location, kind) else {
            // The patient is checked with the slot (one statement) when the
            // rest is in order; here, so that every bad field is named.
            if !store::patient_bookable(tx, input.patient_id, org).await? {
                e.add("patient_id", "no such patient in this practice");
            }
            return Err(e.into());
        };
        let starts_at = resolve_local_time(
            location.time_zone.zone(),
            location.time_zone.as_str(),
            date,
            slot.time,
            slot.repeated_hour,
        )
        .map_err(|m| ValidationErrors::single("time", m))?;
        let minutes = slot.duration_minutes.unwrap_or(kind.duration_minutes);
        let ends_at = starts_at.plus_micros(minutes * MINUTE);
        let plan = self
            .plan_slot(
                tx,
                &SlotCheck {
                    refs,
                    patient: input.patient_id,
                    provider: &provider,
                    location: &location,
                    kind: &kind,
                    starts_at,
                    ends_at,
                    moving: None,
                    chosen: &slot.resource_ids,
                },
            )
            .await?;
        let now = self.now();
        Ok(Planned {
            row: Appointment {
                id: AppointmentId::new(now, self.random_id_bits()),
                organisation_id: org,
                location_id: slot.location_id,
                provider_id: slot.provider_id,
                patient_id: input.patient_id,
                appointment_type_id: slot.appointment_type_id,
                starts_at,
                ends_at,
                status: VisitStatus::Booked,
                overbooked: plan.overbooked,
                version: 1,
                created_at: now,
                series_id: series,
            },
            resources: plan.resources,
            minutes,
        })
    }

    /// Every rule a slot must meet, checked under the provider's lock: the
    /// type's specialty, the future, the template, breaks and closures, the
    /// provider's other appointments, and one free resource of each kind
    /// the type needs (locked in ID order) or the ones chosen.
    async fn plan_slot(&self, tx: &mut Tx, c: &SlotCheck<'_>) -> Result<SlotPlan, AppError> {
        let (p, loc, kind) = (c.provider, c.location, c.kind);
        // What the slot depends on besides the set-up (the patient, the
        // closures, the provider's other appointments), in one statement.
        let facts = store::slot_facts(
            tx,
            &store::SlotQuestion {
                patient: c.patient,
                organisation: loc.organisation_id,
                provider: p.id,
                location: loc.id,
                from: c.starts_at,
                until: c.ends_at,
                except: c.moving,
            },
        )
        .await?;
        if !facts.patient_ok {
            return Err(
                ValidationErrors::single("patient_id", "no such patient in this practice").into(),
            );
        }
        if !p.locations.contains(&loc.id) {
            return Err(ValidationErrors::single(
                "location_id",
                format!("{} does not work at {}", p.name, loc.name),
            )
            .into());
        }
        if let Some(why) = p.refuses(kind.id, &kind.name, kind.specialty) {
            return Err(ValidationErrors::single("appointment_type_id", why).into());
        }
        if c.starts_at < self.now() {
            return Err(ValidationErrors::single(
                "date",
                "that time has passed; choose a time in the future",
            )
            .into());
        }
        let tz = loc.time_zone.zone();
        let hours = c.refs.hours(tx, p.id, loc.id).await?;
        let Some(window) = window_for(&hours, tz, c.starts_at, c.ends_at) else {
            return Err(ValidationErrors::single(
                "time",
                format!(
                    "{} does not see patients at {} then; use find next available",
                    p.name, loc.name
                ),
            )
            .into());
        };
        let day = c.starts_at.to_jiff().to_zoned_datetime(tz.clone()).date();
        let mut blocked = breaks_between(&c.refs.breaks(tx, p.id).await?, tz, day, 1);
        blocked.extend(facts.closure);
        if let Some(b) = first_block(&blocked, c.starts_at, c.ends_at) {
            return Err(ValidationErrors::single(
                "time",
                format!("{} is not available then ({})", p.name, b.reason),
            )
            .into());
        }
        let own = c.moving;
        let clash = facts.busy;
        if clash && !window.overbook {
            return Err(AppError::Conflict(format!(
                "{} is already booked at that time; choose another time",
                p.name
            )));
        }
        let mut overbooked = clash;
        // Resources: the chosen ones must be here; each kind the type needs
        // and no chosen resource covers gets the first free one.
        // Most visits need no room or device: skip the resource queries.
        let all = if kind.resources.is_empty() && c.chosen.is_empty() {
            Vec::new()
        } else {
            store::resources_of(tx, loc.organisation_id).await?
        };
        let mut chosen = Vec::new();
        for id in c.chosen {
            match all.iter().find(|r| r.id == *id) {
                Some(r) if r.location_id == loc.id => chosen.push(r.clone()),
                Some(r) => {
                    return Err(ValidationErrors::single(
                        "resource_ids",
                        format!("{} is not at {}; choose one there", r.name, loc.name),
                    )
                    .into());
                }
                None => {
                    return Err(ValidationErrors::single(
                        "resource_ids",
                        "no such resource in this practice",
                    )
                    .into());
                }
            }
        }
        let needed: Vec<ResourceKind> = kind
            .resources
            .iter()
            .copied()
            .filter(|k| !chosen.iter().any(|r| r.kind == *k))
            .collect();
        let mut candidates: Vec<&BookableResource> = all
            .iter()
            .filter(|r| r.location_id == loc.id && needed.contains(&r.kind))
            .chain(chosen.iter())
            .collect();
        candidates.sort_by_key(|r| r.id);
        candidates.dedup_by_key(|r| r.id);
        for r in &candidates {
            store::lock_resource(tx, r.id).await?;
        }
        let held = if candidates.is_empty() {
            Vec::new()
        } else {
            store::resources_busy(tx, loc.id, c.starts_at, c.ends_at).await?
        };
        let in_use = |id: ResourceId| held.iter().any(|(r, _, _, a)| *r == id && Some(*a) != own);
        let mut taken: Vec<ResourceId> = Vec::new();
        for r in &chosen {
            if in_use(r.id) {
                if !window.overbook {
                    return Err(AppError::Conflict(format!(
                        "{} is in use at that time; choose another time or resource",
                        r.name
                    )));
                }
                overbooked = true;
            }
            taken.push(r.id);
        }
        for k in needed {
            let of_kind: Vec<&&BookableResource> =
                candidates.iter().filter(|r| r.kind == k).collect();
            let Some(first) = of_kind.first() else {
                return Err(ValidationErrors::single(
                    "appointment_type_id",
                    format!(
                        "{} needs a {} and {} has none",
                        kind.name,
                        k.label().to_lowercase(),
                        loc.name
                    ),
                )
                .into());
            };
            match of_kind.iter().find(|r| !in_use(r.id)) {
                Some(free) => taken.push(free.id),
                None if window.overbook => {
                    overbooked = true;
                    taken.push(first.id);
                }
                None => {
                    return Err(AppError::Conflict(format!(
                        "every {} at {} is in use at that time; choose another time",
                        k.label().to_lowercase(),
                        loc.name
                    )));
                }
            }
        }
        Ok(SlotPlan {
            overbooked,
            resources: taken,
        })
    }
}

/// An appointment checked and ready to write.
struct Planned {
    row: Appointment,
    resources: Vec<ResourceId>,
    minutes: i64,
}

fn booking_act(p: &Planned) -> Act {
    let a = &p.row;
    let mut act = Act::new(
        Action::Create,
        Target {
            organisation: a.organisation_id,
            location: Some(a.location_id),
            resource: Resource::Appointment,
        },
        "appointment",
    )
    .id(a.id);
    act.patient_id = Some(a.patient_id.to_string());
    act.new = serde_json::to_string(&serde_json::json!({
        "provider": a.provider_id.to_string(), "starts_at": a.starts_at.to_string(), "minutes": p.minutes,
        "resources": p.resources.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))
    .ok();
    act
}

/// The instants a location's local day `date` starts and ends (the next
/// midnight), which DST can make 23 or 25 hours apart.
pub(crate) fn day_bounds(loc: &Location, date: Date) -> Result<(Timestamp, Timestamp), AppError> {
    let tz = loc.time_zone.zone();
    let start = resolve_local_time(tz, "", date, Time::midnight(), Some(RepeatedHour::First))
        .map_err(AppError::NotReady)?;
    let next = date
        .tomorrow()
        .map_err(|e| AppError::NotReady(e.to_string()))?;
    let end = resolve_local_time(tz, "", next, Time::midnight(), Some(RepeatedHour::First))
        .map_err(AppError::NotReady)?;
    Ok((start, end))
}

/// A location's day read inside a transaction that audited the read; the
/// caller may read more in it before committing.
pub(crate) struct GuardedDay {
    pub tx: Tx,
    pub location: Location,
    /// The instants the day starts and ends.
    pub bounds: (Timestamp, Timestamp),
    pub lines: Vec<ScheduleLine>,
}

/// One line of the day's schedule, with what the front desk needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleLine {
    pub appointment: Appointment,
    pub patient_name: String,
    pub provider_name: String,
    pub type_name: String,
    /// Minutes since arrival for a patient still in the building.
    pub waiting_minutes: Option<i64>,
}

impl App {
    async fn appointment_for_update(
        &self,
        caller: &Caller,
        id: AppointmentId,
    ) -> Result<(kerato_store::Tx, Appointment), AppError> {
        self.require(caller, Resource::Appointment, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let a = store::find_appointment(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("appointment"))?;
        Ok((tx, a))
    }

    fn appointment_act(a: &Appointment, action: Action, what: serde_json::Value) -> Act {
        let target = Target {
            organisation: a.organisation_id,
            location: Some(a.location_id),
            resource: Resource::Appointment,
        };
        let mut act = Act::new(action, target, "appointment").id(a.id);
        act.patient_id = Some(a.patient_id.to_string());
        act.old = serde_json::to_string(
            &serde_json::json!({ "status": a.status, "starts_at": a.starts_at.to_string() }),
        )
        .ok();
        act.new = serde_json::to_string(&what).ok();
        act
    }

    /// Moves an appointment along the visit (arrived, pretest, with the
    /// provider, checkout, done), or marks it a no-show or cancelled.
    pub async fn set_visit_status(
        &self,
        caller: &Caller,
        id: AppointmentId,
        to: VisitStatus,
        reason: Option<&str>,
    ) -> Result<Appointment, AppError> {
        let (tx, a) = self.appointment_for_update(caller, id).await?;
        let from = a.status;
        let act = Self::appointment_act(
            &a,
            Action::Update,
            serde_json::json!({ "status": to.as_str(), "reason": reason }),
        );
        let mut tx = self.guard(tx, caller, act).await?;
        if !from.can_move_to(to) {
            return Err(AppError::Conflict(format!(
                "an appointment that is {} cannot become {}",
                from.label().to_lowercase(),
                to.label().to_lowercase()
            )));
        }
        let reason = if to == VisitStatus::Cancelled {
            let mut e = ValidationErrors::new();
            let reason = cancel_reason(&mut e, reason);
            e.into_result(reason)?
        } else {
            reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(String::from)
        };
        let now = self.now();
        if !store::set_status(
            &mut tx,
            &a,
            to,
            reason.as_deref(),
            &caller.actor.user_id.to_string(),
            now,
        )
        .await?
        {
            return Err(AppError::Conflict(
                "the appointment changed meanwhile; reload".into(),
            ));
        }
        if to == VisitStatus::Cancelled {
            self.offer_freed_slot(&mut tx, &a).await?;
        }
        tx.commit().await?;
        Ok(Appointment {
            status: to,
            version: a.version + 1,
            ..a
        })
    }

    /// Moves a booked appointment to another local date and time, with the
    /// same checks as a new booking, under the provider's booking lock; the
    /// appointment keeps its resources when they are free, else gets others.
    /// The slot it leaves is offered to the waitlist.
    pub async fn reschedule_appointment(
        &self,
        caller: &Caller,
        id: AppointmentId,
        to: &RescheduleInput,
    ) -> Result<Appointment, AppError> {
        let (mut tx, a) = self.appointment_for_update(caller, id).await?;
        let act = Self::appointment_act(
            &a,
            Action::Update,
            serde_json::json!({ "date": to.date.to_string(), "time": to.time.strftime("%H:%M").to_string() }),
        );
        if a.status != VisitStatus::Booked {
            return Err(AppError::Conflict(
                "only a booked appointment can be moved".into(),
            ));
        }
        providers::lock_provider(&mut tx, a.provider_id).await?;
        let refs = self.reference.at(&mut tx).await?;
        let location = refs
            .location(&mut tx, a.organisation_id, a.location_id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let provider = refs
            .provider(&mut tx, a.provider_id)
            .await?
            .ok_or(AppError::NotFound("provider"))?;
        let kind = refs
            .appointment_type(&mut tx, a.appointment_type_id)
            .await?
            .ok_or(AppError::NotFound("appointment type"))?;
        let starts_at = resolve_local_time(
            location.time_zone.zone(),
            location.time_zone.as_str(),
            to.date,
            to.time,
            to.repeated_hour,
        )
        .map_err(|m| ValidationErrors::single("time", m))?;
        let ends_at = starts_at.plus_micros(a.ends_at.as_micros() - a.starts_at.as_micros());
        let plan = self
            .plan_slot(
                &mut tx,
                &SlotCheck {
                    refs: &refs,
                    patient: a.patient_id,
                    provider: &provider,
                    location: &location,
                    kind: &kind,
                    starts_at,
                    ends_at,
                    moving: Some(a.id),
                    chosen: &[],
                },
            )
            .await?;
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::move_appointment(&mut tx, &a, starts_at, ends_at, plan.overbooked, self.now())
            .await?
        {
            return Err(AppError::Conflict(
                "the appointment changed meanwhile; reload".into(),
            ));
        }
        store::release_resources(&mut tx, a.id).await?;
        let moved = Appointment {
            starts_at,
            ends_at,
            overbooked: plan.overbooked,
            version: a.version + 1,
            ..a.clone()
        };
        for r in &plan.resources {
            store::hold_resource(&mut tx, &moved, *r).await?;
        }
        self.offer_freed_slot(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(moved)
    }

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
        let tx = self.store.write().await?;
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
        let mut tx = self.store.write().await?;
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
}

impl App {
    /// One appointment, for its page; the read is audited.
    pub async fn appointment(
        &self,
        caller: &Caller,
        id: AppointmentId,
    ) -> Result<Appointment, AppError> {
        self.require(caller, Resource::Appointment, Action::View, None)
            .await?;
        let mut tx = self.store.write().await?;
        let a = store::find_appointment(&mut tx, id)
            .await?
            .filter(|a| a.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("appointment"))?;
        let act = Self::appointment_act(&a, Action::View, serde_json::Value::Null);
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Cancels the booked appointments of a series from `from` on (the
    /// patient stops phototherapy early), with one reason; each freed slot
    /// is offered to the waitlist. Returns how many were cancelled.
    pub async fn cancel_series(
        &self,
        caller: &Caller,
        from: AppointmentId,
        reason: &str,
    ) -> Result<usize, AppError> {
        let mut e = ValidationErrors::new();
        let reason = cancel_reason(&mut e, Some(reason));
        let reason = e.into_result(reason)?.unwrap_or_default();
        let reason = reason.as_str();
        let (tx, first) = self.appointment_for_update(caller, from).await?;
        let series = first.series_id.ok_or_else(|| {
            ValidationErrors::single("series", "this appointment is not part of a series")
        })?;
        let act = Self::appointment_act(
            &first,
            Action::Update,
            serde_json::json!({ "status": "cancelled", "series": series.to_string(), "reason": reason }),
        );
        let mut tx = self.guard(tx, caller, act).await?;
        let rest = store::series_from(&mut tx, series, first.starts_at).await?;
        let by = caller.actor.user_id.to_string();
        for a in &rest {
            if !store::set_status(
                &mut tx,
                a,
                VisitStatus::Cancelled,
                Some(reason),
                &by,
                self.now(),
            )
            .await?
            {
                return Err(AppError::Conflict(
                    "an appointment of the series changed meanwhile; reload".into(),
                ));
            }
            self.offer_freed_slot(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(rest.len())
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
        let tx = self.store.write().await?;
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
