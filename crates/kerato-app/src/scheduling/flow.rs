//! An appointment's life after booking: reading it, its moves through
//! the visit, a reschedule, and the cancellation of it or of its series.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::AppointmentId;
use kerato_domain::scheduling::booking::cancel_reason;
use kerato_domain::scheduling::{Appointment, RescheduleInput, VisitStatus, resolve_local_time};
use kerato_store::providers;
use kerato_store::scheduling as store;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

use super::booking::SlotCheck;

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

    /// One appointment, for its page; the read is audited.
    pub async fn appointment(
        &self,
        caller: &Caller,
        id: AppointmentId,
    ) -> Result<Appointment, AppError> {
        self.require(caller, Resource::Appointment, Action::View, None)
            .await?;
        let mut tx = self.store.read().await?;
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
}
