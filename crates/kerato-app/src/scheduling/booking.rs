//! Booking one appointment or a series: every rule a slot must meet,
//! checked under the provider's booking lock, and the appointment written
//! with its audit event in the same transaction.

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentId, PatientId, ResourceId, SeriesId};
use kerato_domain::providers::Provider;
use kerato_domain::scheduling::{
    Appointment, AppointmentType, BookableResource, BookingInput, Recurrence, ResourceKind,
    VisitStatus, breaks_between, first_block, overlaps, resolve_local_time, window_for,
};
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
use kerato_domain::waitlist::{WaitlistEntry, WaitlistStatus};
use kerato_store::Tx;
use kerato_store::providers;
use kerato_store::scheduling as store;
use kerato_store::waitlist;

use crate::authz::{Act, Caller};
use crate::reference::Refs;
use crate::{App, AppError};

use super::MINUTE;

/// What the booking checks found for a slot: whether it double-books
/// and which resources it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SlotPlan {
    pub(super) overbooked: bool,
    pub(super) resources: Vec<ResourceId>,
}

/// A slot being checked, before anything is written.
pub(super) struct SlotCheck<'a> {
    /// The set-up as this transaction sees it.
    pub(super) refs: &'a Refs<'a>,
    /// Who is booked: they must be a live chart of the practice.
    pub(super) patient: PatientId,
    pub(super) provider: &'a Provider,
    pub(super) location: &'a Location,
    pub(super) kind: &'a AppointmentType,
    pub(super) starts_at: Timestamp,
    pub(super) ends_at: Timestamp,
    /// The appointment being moved, whose own times do not clash.
    pub(super) moving: Option<AppointmentId>,
    pub(super) chosen: &'a [ResourceId],
}

impl App {
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
    pub(super) async fn plan_slot(
        &self,
        tx: &mut Tx,
        c: &SlotCheck<'_>,
    ) -> Result<SlotPlan, AppError> {
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
