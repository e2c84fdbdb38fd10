//! Scheduling: practice set-up (providers, appointment types, weekly
//! windows) and booking, which is atomic per provider on both backends.

use jiff::civil::{Date, Time};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentId, AppointmentTypeId, LocationId, PatientId, ProviderId};
use kerato_domain::scheduling::{RepeatedHour, Window, resolve_local_time, window_for};
use kerato_store::scheduling as store;
pub use kerato_store::scheduling::{AppointmentRow, AppointmentTypeRow, ProviderRow};
use kerato_store::{patients as patient_store, tenancy};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

const MINUTE: i64 = 60_000_000;
/// The longest appointment that can be booked, in minutes.
pub const MAX_DURATION_MINUTES: i64 = 8 * 60;

/// A booking as the front desk asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    pub provider_id: String,
    pub patient_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    /// The clinic's local date, `YYYY-MM-DD`.
    pub date: String,
    /// The clinic's local time, `HH:MM`.
    pub time: String,
    /// Which occurrence, when the time happens twice as DST ends.
    #[serde(default)]
    pub repeated_hour: Option<RepeatedHour>,
    /// Overrides the type's duration.
    #[serde(default)]
    pub duration_minutes: Option<i64>,
}

fn config_target(caller: &Caller) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: None,
        resource: Resource::Organisation,
    }
}

impl App {
    pub async fn create_provider(
        &self,
        caller: &Caller,
        name: &str,
        locations: &[LocationId],
    ) -> Result<ProviderRow, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut errors = ValidationErrors::new();
        let name = kerato_domain::tenancy::validate_name(&mut errors, "name", name);
        let mut tx = self.store.write().await?;
        for loc in locations {
            if tenancy::get_location(&mut tx, caller.actor.organisation_id, *loc)
                .await?
                .is_none()
            {
                errors.add(
                    "locations",
                    "a chosen location does not belong to this practice",
                );
            }
        }
        let name = errors.into_result(name)?.unwrap_or_default();
        let provider = ProviderRow {
            id: ProviderId::new(self.now(), self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            name,
            locations: locations.to_vec(),
        };
        let act =
            Act::new(Action::Update, config_target(caller), "scheduling set-up").id(provider.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_provider(&mut tx, &provider, self.now()).await?;
        tx.commit().await?;
        Ok(provider)
    }

    pub async fn create_appointment_type(
        &self,
        caller: &Caller,
        name: &str,
        duration_minutes: i64,
    ) -> Result<AppointmentTypeRow, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut errors = ValidationErrors::new();
        let name = kerato_domain::tenancy::validate_name(&mut errors, "name", name);
        if !(5..=MAX_DURATION_MINUTES).contains(&duration_minutes) || duration_minutes % 5 != 0 {
            errors.add(
                "duration_minutes",
                format!("a duration is 5 to {MAX_DURATION_MINUTES} minutes, in steps of 5"),
            );
        }
        let name = errors.into_result(name)?.unwrap_or_default();
        let t = AppointmentTypeRow {
            id: AppointmentTypeId::new(self.now(), self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            name,
            duration_minutes,
        };
        let tx = self.store.write().await?;
        let act = Act::new(Action::Update, config_target(caller), "scheduling set-up").id(t.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_type(&mut tx, &t, self.now()).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Adds a weekly window in which `provider` sees patients at `location`.
    pub async fn add_window(
        &self,
        caller: &Caller,
        provider: ProviderId,
        location: LocationId,
        window: Window,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let p = store::find_provider(&mut tx, provider)
            .await?
            .ok_or(AppError::NotFound("provider"))?;
        if p.organisation_id != caller.actor.organisation_id || !p.locations.contains(&location) {
            return Err(ValidationErrors::single(
                "location_id",
                "this provider does not work at that location",
            )
            .into());
        }
        let act = Act::new(Action::Update, config_target(caller), "scheduling set-up").id(provider);
        let mut tx = self.guard(tx, caller, act).await?;
        let id = AppointmentId::new(self.now(), self.random_id_bits()).to_string();
        store::insert_window(&mut tx, &id, provider, location, &window).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Books an appointment. Everything is checked inside one transaction
    /// that first takes the provider's booking lock, so of many requests for
    /// the same slot exactly one succeeds; the rest get a conflict.
    pub async fn book_appointment(
        &self,
        caller: &Caller,
        req: &BookingRequest,
    ) -> Result<AppointmentRow, AppError> {
        self.require(caller, Resource::Appointment, Action::Create, None)
            .await?;
        let mut e = ValidationErrors::new();
        let id = |field: &str, raw: &str, e: &mut ValidationErrors| -> Option<String> {
            if uuid::Uuid::try_parse(raw.trim()).is_ok() && raw.trim().len() == 36 {
                Some(raw.trim().to_ascii_lowercase())
            } else {
                e.add(field, "not a valid ID");
                None
            }
        };
        let provider_id =
            id("provider_id", &req.provider_id, &mut e).and_then(|s| s.parse::<ProviderId>().ok());
        let patient_id =
            id("patient_id", &req.patient_id, &mut e).and_then(|s| s.parse::<PatientId>().ok());
        let location_id =
            id("location_id", &req.location_id, &mut e).and_then(|s| s.parse::<LocationId>().ok());
        let type_id = id("appointment_type_id", &req.appointment_type_id, &mut e)
            .and_then(|s| s.parse::<AppointmentTypeId>().ok());
        let date = req
            .date
            .trim()
            .parse::<Date>()
            .map_err(|_| e.add("date", "write the date as YYYY-MM-DD"))
            .ok();
        let time = req
            .time
            .trim()
            .parse::<Time>()
            .map_err(|_| e.add("time", "write the time as HH:MM, 24-hour"))
            .ok();
        if let Some(d) = req.duration_minutes
            && !(1..=MAX_DURATION_MINUTES).contains(&d)
        {
            e.add(
                "duration_minutes",
                format!("a duration is 1 to {MAX_DURATION_MINUTES} minutes"),
            );
        }
        let (
            Some(provider_id),
            Some(patient_id),
            Some(location_id),
            Some(type_id),
            Some(date),
            Some(time),
        ) = (provider_id, patient_id, location_id, type_id, date, time)
        else {
            return Err(e.into());
        };
        e.into_result(())?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        store::lock_provider(&mut tx, provider_id).await?;
        let mut e = ValidationErrors::new();
        let provider = store::find_provider(&mut tx, provider_id)
            .await?
            .filter(|p| p.organisation_id == org);
        let location = tenancy::get_location(&mut tx, org, location_id).await?;
        let kind = store::find_type(&mut tx, type_id)
            .await?
            .filter(|t| t.organisation_id == org);
        let patient = patient_store::find_patient(&mut tx, patient_id)
            .await?
            .filter(|p| p.organisation_id == org && p.merged_into.is_none());
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
        if patient.is_none() {
            e.add("patient_id", "no such patient in this practice");
        }
        let (Some(provider), Some(location), Some(kind), Some(_)) =
            (provider, location, kind, patient)
        else {
            return Err(e.into());
        };
        if !provider.locations.contains(&location_id) {
            return Err(ValidationErrors::single(
                "location_id",
                format!("{} does not work at {}", provider.name, location.name),
            )
            .into());
        }
        let starts_at = resolve_local_time(
            location.time_zone.zone(),
            location.time_zone.as_str(),
            date,
            time,
            req.repeated_hour,
        )
        .map_err(|m| ValidationErrors::single("time", m))?;
        if starts_at < self.now() {
            return Err(ValidationErrors::single(
                "date",
                "that time has passed; choose a time in the future",
            )
            .into());
        }
        let minutes = req.duration_minutes.unwrap_or(kind.duration_minutes);
        let ends_at = starts_at.plus_micros(minutes * MINUTE);
        let windows = store::windows_of(&mut tx, provider_id, location_id).await?;
        let Some(window) = window_for(&windows, location.time_zone.zone(), starts_at, ends_at)
        else {
            return Err(ValidationErrors::single(
                "time",
                format!(
                    "{} does not see patients at {} then; use find next available",
                    provider.name, location.name
                ),
            )
            .into());
        };
        let clash = store::busy(&mut tx, provider_id, starts_at, ends_at).await?;
        if !clash.is_empty() && !window.overbook {
            return Err(AppError::Conflict(format!(
                "{} is already booked at that time; choose another time",
                provider.name
            )));
        }
        let now = self.now();
        let appointment = AppointmentRow {
            id: AppointmentId::new(now, self.random_id_bits()),
            organisation_id: org,
            location_id,
            provider_id,
            patient_id,
            appointment_type_id: type_id,
            starts_at,
            ends_at,
            status: "booked".into(),
            overbooked: !clash.is_empty(),
            version: 1,
            created_at: now,
        };
        let mut act = Act::new(
            Action::Create,
            Target {
                organisation: org,
                location: Some(location_id),
                resource: Resource::Appointment,
            },
            "appointment",
        )
        .id(appointment.id);
        act.patient_id = Some(patient_id.to_string());
        act.new = serde_json::to_string(&serde_json::json!({
            "provider": provider_id.to_string(), "starts_at": starts_at.to_string(), "minutes": minutes,
        }))
        .ok();
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_appointment(&mut tx, &appointment).await?;
        tx.commit().await?;
        Ok(appointment)
    }
}

/// One line of the day's schedule, with what the front desk needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleLine {
    pub appointment: AppointmentRow,
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
    ) -> Result<(kerato_store::Tx, AppointmentRow), AppError> {
        self.require(caller, Resource::Appointment, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let a = store::find_appointment(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("appointment"))?;
        Ok((tx, a))
    }

    fn appointment_act(a: &AppointmentRow, action: Action, what: serde_json::Value) -> Act {
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
        to: kerato_domain::scheduling::VisitStatus,
        reason: Option<&str>,
    ) -> Result<AppointmentRow, AppError> {
        use kerato_domain::scheduling::VisitStatus;
        let (tx, a) = self.appointment_for_update(caller, id).await?;
        let from = VisitStatus::parse(&a.status).ok_or(AppError::Conflict(
            "the appointment has an unknown status".into(),
        ))?;
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
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if to == VisitStatus::Cancelled && reason.is_none_or(|r| r.chars().count() > 200) {
            return Err(ValidationErrors::single(
                "reason",
                "give a reason for the cancellation, up to 200 characters",
            )
            .into());
        }
        let now = self.now();
        if !store::set_status(
            &mut tx,
            &a,
            to.as_str(),
            reason,
            &caller.actor.user_id.to_string(),
            now,
        )
        .await?
        {
            return Err(AppError::Conflict(
                "the appointment changed meanwhile; reload".into(),
            ));
        }
        tx.commit().await?;
        Ok(AppointmentRow {
            status: to.as_str().into(),
            version: a.version + 1,
            ..a
        })
    }

    /// Moves a booked appointment to another local date and time, with the
    /// same checks as a new booking, under the provider's booking lock.
    pub async fn reschedule_appointment(
        &self,
        caller: &Caller,
        id: AppointmentId,
        date: &str,
        time: &str,
        repeated_hour: Option<RepeatedHour>,
    ) -> Result<AppointmentRow, AppError> {
        let (mut tx, a) = self.appointment_for_update(caller, id).await?;
        let act = Self::appointment_act(
            &a,
            Action::Update,
            serde_json::json!({ "date": date, "time": time }),
        );
        let mut e = ValidationErrors::new();
        let date = date
            .trim()
            .parse::<Date>()
            .map_err(|_| e.add("date", "write the date as YYYY-MM-DD"))
            .ok();
        let time = time
            .trim()
            .parse::<Time>()
            .map_err(|_| e.add("time", "write the time as HH:MM, 24-hour"))
            .ok();
        let (Some(date), Some(time)) = (date, time) else {
            return Err(e.into());
        };
        if a.status != "booked" {
            return Err(AppError::Conflict(
                "only a booked appointment can be moved".into(),
            ));
        }
        store::lock_provider(&mut tx, a.provider_id).await?;
        let location = tenancy::get_location(&mut tx, a.organisation_id, a.location_id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let starts_at = resolve_local_time(
            location.time_zone.zone(),
            location.time_zone.as_str(),
            date,
            time,
            repeated_hour,
        )
        .map_err(|m| ValidationErrors::single("time", m))?;
        if starts_at < self.now() {
            return Err(ValidationErrors::single(
                "date",
                "that time has passed; choose a time in the future",
            )
            .into());
        }
        let ends_at = starts_at.plus_micros(a.ends_at.as_micros() - a.starts_at.as_micros());
        let windows = store::windows_of(&mut tx, a.provider_id, a.location_id).await?;
        let window = window_for(&windows, location.time_zone.zone(), starts_at, ends_at)
            .ok_or_else(|| {
                ValidationErrors::single(
                    "time",
                    "the provider does not see patients then; use find next available",
                )
            })?;
        let others: Vec<_> = store::busy(&mut tx, a.provider_id, starts_at, ends_at)
            .await?
            .into_iter()
            .filter(|b| *b != (a.starts_at, a.ends_at))
            .collect();
        if !others.is_empty() && !window.overbook {
            return Err(AppError::Conflict(
                "the provider is already booked at that time; choose another time".into(),
            ));
        }
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::move_appointment(&mut tx, &a, starts_at, ends_at, self.now()).await? {
            return Err(AppError::Conflict(
                "the appointment changed meanwhile; reload".into(),
            ));
        }
        tx.commit().await?;
        Ok(AppointmentRow {
            starts_at,
            ends_at,
            version: a.version + 1,
            ..a
        })
    }

    /// The first free start for `provider` at `location` for an appointment
    /// of `kind`, from now on, within the next 60 days.
    pub async fn next_available(
        &self,
        caller: &Caller,
        provider: ProviderId,
        location: LocationId,
        kind: AppointmentTypeId,
    ) -> Result<Option<kerato_domain::time::Timestamp>, AppError> {
        let org = caller.actor.organisation_id;
        let tx = self.store.write().await?;
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
        let loc = tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let kind = store::find_type(&mut tx, kind)
            .await?
            .filter(|k| k.organisation_id == org)
            .ok_or(AppError::NotFound("appointment type"))?;
        let p = store::find_provider(&mut tx, provider)
            .await?
            .filter(|p| p.organisation_id == org)
            .ok_or(AppError::NotFound("provider"))?;
        let windows = store::windows_of(&mut tx, p.id, location).await?;
        let now = self.now();
        let horizon = 60;
        let busy = store::busy(
            &mut tx,
            p.id,
            now,
            now.plus_micros(horizon * 24 * 3600 * 1_000_000),
        )
        .await?;
        tx.commit().await?;
        Ok(kerato_domain::scheduling::next_free(
            &windows,
            loc.time_zone.zone(),
            now,
            kind.duration_minutes,
            15,
            &busy,
            horizon,
        ))
    }

    /// A location's appointments on a local date, with names, for the
    /// schedule and the flow board. Audited as a query of PHI.
    pub async fn day_schedule(
        &self,
        caller: &Caller,
        location: LocationId,
        date: Date,
    ) -> Result<Vec<ScheduleLine>, AppError> {
        let org = caller.actor.organisation_id;
        let tx = self.store.write().await?;
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
        let loc = tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let start = resolve_local_time(
            loc.time_zone.zone(),
            "",
            date,
            Time::midnight(),
            Some(RepeatedHour::First),
        )
        .map_err(AppError::NotReady)?;
        let next = date
            .tomorrow()
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        let end = resolve_local_time(
            loc.time_zone.zone(),
            "",
            next,
            Time::midnight(),
            Some(RepeatedHour::First),
        )
        .map_err(AppError::NotReady)?;
        let now = self.now();
        // One query for the whole day, not several per appointment.
        let lines = store::day_lines(&mut tx, location, start, end)
            .await?
            .into_iter()
            .map(|l| {
                let waiting = l
                    .arrived_at
                    .filter(|_| {
                        !matches!(
                            l.appointment.status.as_str(),
                            "done" | "cancelled" | "no_show"
                        )
                    })
                    .map(|t| (now.as_micros() - t.as_micros()) / MINUTE);
                ScheduleLine {
                    patient_name: format!("{}, {}", l.patient_last, l.patient_first),
                    provider_name: l.provider_name,
                    type_name: l.type_name,
                    waiting_minutes: waiting,
                    appointment: l.appointment,
                }
            })
            .collect();
        tx.commit().await?;
        Ok(lines)
    }
}

impl App {
    /// The practice's providers and appointment types, for booking forms.
    pub async fn booking_choices(
        &self,
        caller: &Caller,
    ) -> Result<(Vec<ProviderRow>, Vec<AppointmentTypeRow>), AppError> {
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
        let providers = store::providers_of(&mut tx, org).await?;
        let types = store::types_of(&mut tx, org).await?;
        tx.commit().await?;
        Ok((providers, types))
    }
}
