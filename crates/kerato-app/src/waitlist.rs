//! The waitlist: a patient who wants an earlier appointment waits for one;
//! when a slot frees (a cancellation, a move), the longest-waiting patient
//! it suits is offered it, in the same transaction, with a message by
//! their chosen channel. The offer is a first claim, not a hold: the front
//! desk books it when the patient accepts, with every booking check.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LocationId, WaitlistEntryId};
use kerato_domain::scheduling::{Appointment, BookingInput, SlotChoice};
use kerato_domain::waitlist::{Offer, WaitlistEntry, WaitlistInput, WaitlistStatus};
use kerato_store::outbox::Envelope;
use kerato_store::{Tx, patients as patient_store, scheduling as store, tenancy, waitlist};

use crate::authz::{Act, Caller};
use crate::reminders::patient_contact;
use crate::{App, AppError};

/// How long an offer stands before the next freed slot may go to someone
/// else.
pub const OFFER_HOURS: i64 = 24;

/// A waitlist entry with the names the front desk needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistLine {
    pub entry: WaitlistEntry,
    pub patient_name: String,
    pub type_name: String,
}

fn waitlist_target(caller: &Caller, location: Option<LocationId>) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location,
        resource: Resource::Appointment,
    }
}

impl App {
    pub async fn add_to_waitlist(
        &self,
        caller: &Caller,
        input: &WaitlistInput,
    ) -> Result<WaitlistEntry, AppError> {
        self.require(caller, Resource::Appointment, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let (patient, kind, provider, location) = (
            input.patient_id,
            input.appointment_type_id,
            input.provider_id,
            input.location_id,
        );
        let mut tx = self.store.write().await?;
        let mut e = ValidationErrors::new();
        if patient_store::find_patient(&mut tx, patient)
            .await?
            .is_none_or(|p| p.organisation_id != org || p.merged_into.is_some())
        {
            e.add("patient_id", "no such patient in this practice");
        }
        if store::find_type(&mut tx, kind)
            .await?
            .is_none_or(|t| t.organisation_id != org)
        {
            e.add(
                "appointment_type_id",
                "no such appointment type in this practice",
            );
        }
        if let Some(p) = provider
            && kerato_store::providers::find_provider(&mut tx, p)
                .await?
                .is_none_or(|p| p.organisation_id != org)
        {
            e.add("provider_id", "no such provider in this practice");
        }
        if let Some(l) = location
            && tenancy::get_location(&mut tx, org, l).await?.is_none()
        {
            e.add("location_id", "no such location in this practice");
        }
        e.into_result(())?;
        let now = self.now();
        let row = WaitlistEntry {
            id: WaitlistEntryId::new(now, self.random_id_bits()),
            organisation_id: org,
            patient_id: patient,
            appointment_type_id: kind,
            provider_id: provider,
            location_id: location,
            earliest_date: input.earliest_date,
            latest_date: input.latest_date,
            note: input.note.clone(),
            status: WaitlistStatus::Waiting,
            offer: None,
            appointment_id: None,
            version: 1,
        };
        let mut act = Act::new(
            Action::Create,
            waitlist_target(caller, location),
            "waitlist",
        )
        .id(row.id);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        waitlist::insert(&mut tx, &row, now).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The open waitlist, longest waiting first.
    pub async fn waitlist(&self, caller: &Caller) -> Result<Vec<WaitlistLine>, AppError> {
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Appointment, "waitlist")
            .await?;
        let org = caller.actor.organisation_id;
        let types = store::types_of(&mut tx, org).await?;
        let mut lines = Vec::new();
        for entry in waitlist::open_entries(&mut tx, org).await? {
            let patient_name = patient_store::find_patient(&mut tx, entry.patient_id)
                .await?
                .map(|p| {
                    format!(
                        "{}, {}",
                        p.fields.legal_last_name, p.fields.legal_first_name
                    )
                })
                .unwrap_or_default();
            let type_name = types
                .iter()
                .find(|t| t.id == entry.appointment_type_id)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            lines.push(WaitlistLine {
                entry,
                patient_name,
                type_name,
            });
        }
        tx.commit().await?;
        Ok(lines)
    }

    /// Offers the slot `freed` just left to the longest-waiting patient it
    /// suits (type fits, provider and location as asked, date in range, the
    /// slot passes every booking check for them), inside the transaction
    /// that freed it.
    pub(crate) async fn offer_freed_slot(
        &self,
        tx: &mut Tx,
        freed: &Appointment,
    ) -> Result<(), AppError> {
        let now = self.now();
        if freed.starts_at <= now {
            return Ok(());
        }
        let Some(loc) = tenancy::get_location(tx, freed.organisation_id, freed.location_id).await?
        else {
            return Ok(());
        };
        let local = freed
            .starts_at
            .to_jiff()
            .to_zoned_datetime(loc.time_zone.zone().clone());
        let day = local.date();
        let gap = freed.ends_at.as_micros() - freed.starts_at.as_micros();
        for entry in waitlist::open_entries(tx, freed.organisation_id).await? {
            let standing = entry.offer.as_ref().is_some_and(|o| o.expires_at > now);
            let suits = !standing
                && entry.patient_id != freed.patient_id
                && entry.provider_id.is_none_or(|p| p == freed.provider_id)
                && entry.location_id.is_none_or(|l| l == freed.location_id)
                && entry.earliest_date <= day
                && day <= entry.latest_date;
            if !suits {
                continue;
            }
            let Some(kind) = store::find_type(tx, entry.appointment_type_id).await? else {
                continue;
            };
            if kind.duration_minutes * 60_000_000 > gap {
                continue;
            }
            let input = BookingInput {
                patient_id: entry.patient_id,
                slot: SlotChoice {
                    provider_id: freed.provider_id,
                    location_id: freed.location_id,
                    appointment_type_id: kind.id,
                    date: day,
                    time: local.time(),
                    repeated_hour: None,
                    duration_minutes: None,
                    resource_ids: Vec::new(),
                },
            };
            if self
                .check_booking(tx, freed.organisation_id, &input)
                .await
                .is_err()
            {
                continue;
            }
            let offer = Offer {
                provider_id: freed.provider_id,
                location_id: freed.location_id,
                starts_at: freed.starts_at,
                expires_at: now.plus_micros(OFFER_HOURS * 3600 * 1_000_000),
            };
            if !waitlist::set_offer(tx, &entry, &offer, now).await? {
                continue;
            }
            if let Some(p) = patient_store::find_patient(tx, entry.patient_id).await? {
                let f = &p.fields;
                let name = f.preferred_name.as_deref().unwrap_or(&f.legal_first_name);
                let mobile = f.mobile_phone.as_ref().map(|m| m.e164());
                if let Some((channel, recipient)) = patient_contact(
                    f.communication.reminders.as_str(),
                    f.email.as_deref(),
                    mobile,
                ) {
                    let body = format!(
                        "Hello {name}, an earlier appointment is open at {} on {} at {}. Call the practice within {OFFER_HOURS} hours to take it.",
                        loc.name,
                        local.strftime("%A, %B %-d"),
                        local.strftime("%-I:%M %p"),
                    );
                    let key = format!(
                        "waitlist-offer:{}:{}",
                        entry.id,
                        freed.starts_at.as_micros()
                    );
                    let message = Envelope {
                        channel,
                        recipient,
                        subject: "An earlier appointment is available",
                        body: &body,
                    };
                    self.queue_once(tx, &key, message).await?;
                }
            }
            let mut e = self.audit_event(
                None,
                kerato_domain::audit::AuditAction::Update,
                Resource::Appointment,
                kerato_domain::audit::Outcome::Allowed,
            );
            e.organisation_id = Some(freed.organisation_id.to_string());
            e.patient_id = Some(entry.patient_id.to_string());
            e.resource_id = Some(entry.id.to_string());
            e.category = "waitlist".into();
            e.detail = Some("offered a freed slot".into());
            kerato_store::audit::append(tx, e).await?;
            return Ok(());
        }
        Ok(())
    }

    /// Books the slot offered to a waitlist entry, with every booking
    /// check; the entry is then closed. If the slot has gone meanwhile, the
    /// entry goes back to waiting and the caller hears why.
    pub async fn accept_offer(
        &self,
        caller: &Caller,
        id: WaitlistEntryId,
    ) -> Result<Appointment, AppError> {
        let mut tx = self.store.write().await?;
        let entry = waitlist::find(&mut tx, id)
            .await?
            .filter(|w| w.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("waitlist entry"))?;
        let Some(offer) = entry
            .offer
            .clone()
            .filter(|_| entry.status == WaitlistStatus::Offered)
        else {
            return Err(AppError::Conflict("this entry has no open offer".into()));
        };
        let loc = tenancy::get_location(&mut tx, entry.organisation_id, offer.location_id)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        drop(tx);
        let local = offer
            .starts_at
            .to_jiff()
            .to_zoned_datetime(loc.time_zone.zone().clone());
        let input = BookingInput {
            patient_id: entry.patient_id,
            slot: SlotChoice {
                provider_id: offer.provider_id,
                location_id: offer.location_id,
                appointment_type_id: entry.appointment_type_id,
                date: local.date(),
                time: local.time(),
                repeated_hour: None,
                duration_minutes: None,
                resource_ids: Vec::new(),
            },
        };
        self.book(caller, &input, Some(&entry)).await
    }

    /// Takes a patient off the waitlist.
    pub async fn remove_from_waitlist(
        &self,
        caller: &Caller,
        id: WaitlistEntryId,
    ) -> Result<(), AppError> {
        self.require(caller, Resource::Appointment, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let entry = waitlist::find(&mut tx, id)
            .await?
            .filter(|w| w.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("waitlist entry"))?;
        let mut act = Act::new(
            Action::Update,
            waitlist_target(caller, entry.location_id),
            "waitlist",
        )
        .id(entry.id);
        act.patient_id = Some(entry.patient_id.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        if !waitlist::close(&mut tx, &entry, WaitlistStatus::Removed, None, self.now()).await? {
            return Err(AppError::Conflict(
                "the waitlist entry changed meanwhile; reload".into(),
            ));
        }
        tx.commit().await?;
        Ok(())
    }
}
