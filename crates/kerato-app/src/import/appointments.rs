//! Importing an appointment book. The other system's book is the record:
//! past appointments come across with the status they reached, and future
//! ones whether or not Kerato's working hours, breaks and closures would
//! have allowed them, since the practice already promised those times to
//! its patients. What an import does not do is double-book silently: a
//! row whose provider already has an appointment then (in Kerato, or in an
//! earlier row of the file) is refused with the clash named, unless the
//! mapping says `double_booking = "overbook"`, which imports it marked as
//! a double booking and lists it in the report. Local times are resolved
//! in the location's zone with the booking rules: a time that daylight
//! saving skips is refused, and one it repeats needs `repeated_hour`.

use std::collections::{BTreeMap, HashMap};

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentId, PatientId, ProviderId};
use kerato_domain::import::appointments::{
    AppointmentDraft, Length, MAX_MINUTES, PatientRef, appointment_draft, holds_slot, same_name,
};
use kerato_domain::import::{DoubleBooking, ImportKind, MappedRow, SourceRow};
use kerato_domain::providers::{Npi, Provider};
use kerato_domain::scheduling::resolve_local_time;
use kerato_domain::scheduling::{Appointment, AppointmentType};
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
use kerato_store::Tx;
use kerato_store::import::{self as ledger, LedgerRow};
use kerato_store::patients::{self as patient_store, ExactField};
use kerato_store::scheduling as store;

use super::{BATCH_ROWS, Progress, Run};
use crate::authz::Act;
use crate::{App, AppError};

const MINUTE: i64 = 60_000_000;

/// The practice's set-up the rows name, read once per import.
struct SetUp {
    providers: Vec<Provider>,
    locations: Vec<Location>,
    types: Vec<AppointmentType>,
}

/// The one item whose name is `name`, or why there is none.
fn by_name<'a, T>(
    items: &'a [T],
    name: &str,
    name_of: impl Fn(&T) -> &str,
    what: &str,
    fix: &str,
) -> Result<&'a T, String> {
    let mut found = items.iter().filter(|i| same_name(name_of(i), name));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        (Some(_), Some(_)) => Err(format!(
            "two {what}s are named {name:?} in Kerato; rename one so the row can tell them apart"
        )),
        (None, _) => Err(format!("no {what} is named {name:?} in Kerato: {fix}")),
    }
}

/// Appointments this run has taken in, per provider, by start: what a
/// later row of the file must not overlap.
#[derive(Default)]
struct Taken {
    by_provider: HashMap<ProviderId, BTreeMap<(i64, u64), i64>>,
}

impl Taken {
    /// The first earlier row of this provider overlapping `[from, until)`.
    fn clash(&self, provider: ProviderId, from: Timestamp, until: Timestamp) -> Option<u64> {
        let (from, until) = (from.as_micros(), until.as_micros());
        let starts = self.by_provider.get(&provider)?;
        starts
            .range((from - MAX_MINUTES * MINUTE, 0)..(until, 0))
            .find(|(_, end)| **end > from)
            .map(|((_, row), _)| *row)
    }

    fn take(&mut self, provider: ProviderId, from: Timestamp, until: Timestamp, row: u64) {
        self.by_provider
            .entry(provider)
            .or_default()
            .insert((from.as_micros(), row), until.as_micros());
    }
}

/// An appointment row checked against the practice, to be checked for
/// clashes and written.
struct Resolved<'s> {
    row: Appointment,
    cancel_reason: Option<String>,
    holds_slot: bool,
    location: &'s Location,
    provider_name: &'s str,
}

/// The live appointments Kerato already has for the providers of a batch's
/// rows, over the span of those rows, asked for once per provider.
async fn booked_around(
    tx: &mut Tx,
    rows: &[(&MappedRow, Resolved<'_>)],
) -> Result<HashMap<ProviderId, Vec<(Timestamp, Timestamp)>>, AppError> {
    let mut spans: HashMap<ProviderId, (Timestamp, Timestamp)> = HashMap::new();
    for (_, r) in rows.iter().filter(|(_, r)| r.holds_slot) {
        let span = spans
            .entry(r.row.provider_id)
            .or_insert((r.row.starts_at, r.row.ends_at));
        span.0 = span.0.min(r.row.starts_at);
        span.1 = span.1.max(r.row.ends_at);
    }
    let mut out = HashMap::new();
    for (provider, (from, until)) in spans {
        out.insert(provider, store::busy(tx, provider, from, until).await?);
    }
    Ok(out)
}

fn local(t: Timestamp, loc: &Location) -> String {
    t.to_jiff()
        .to_zoned_datetime(loc.time_zone.zone().clone())
        .strftime("%H:%M")
        .to_string()
}

impl App {
    pub(super) async fn import_appointments(
        &self,
        run: &mut Run<'_>,
        rows: &[SourceRow],
        progress: &dyn Progress,
    ) -> Result<(), AppError> {
        let org = run.caller.actor.organisation_id;
        let setup = {
            let mut tx = self.store.read().await?;
            SetUp {
                providers: kerato_store::providers::providers_of(&mut tx, org).await?,
                locations: kerato_store::tenancy::list_locations(&mut tx, org).await?,
                types: store::types_of(&mut tx, org).await?,
            }
        };
        let record = ImportKind::Appointments.record();
        let mut taken = Taken::default();
        let mut keys: HashMap<String, u64> = HashMap::new();
        for batch in rows.chunks(BATCH_ROWS) {
            let (mut tx, rows) = self.open_batch(run, batch, &mut keys).await?;
            let source = run.mapping().source.clone();
            let mut drafts = Vec::new();
            for row in &rows {
                match appointment_draft(row, run.mapping()) {
                    Ok(d) => drafts.push((row, d)),
                    Err(e) => run.report.refused.extend(row.issues(&e)),
                }
            }
            let patient_keys: Vec<&str> = drafts
                .iter()
                .filter_map(|(_, d)| match &d.patient {
                    PatientRef::Key(k) => Some(k.as_str()),
                    PatientRef::Mrn(_) => None,
                })
                .collect();
            let patients = ledger::patients_by_key(&mut tx, org, &source, &patient_keys).await?;
            let mut resolved = Vec::new();
            for (row, draft) in drafts {
                match self
                    .resolve(&mut tx, run, &setup, &patients, &draft)
                    .await?
                {
                    Ok(r) => resolved.push((row, r)),
                    Err(e) => run.report.refused.extend(row.issues(&e)),
                }
            }
            let booked = booked_around(&mut tx, &resolved).await?;
            let mut placed = Vec::new();
            let mut remembered = Vec::new();
            for (row, mut r) in resolved {
                if r.holds_slot {
                    let (from, until) = (r.row.starts_at, r.row.ends_at);
                    let clash = match taken.clash(r.row.provider_id, from, until) {
                        Some(earlier) => Some(format!("row {earlier} of this file")),
                        None => booked
                            .get(&r.row.provider_id)
                            .into_iter()
                            .flatten()
                            .find(|(s, e)| *s < until && *e > from)
                            .map(|(s, e)| {
                                format!(
                                    "an appointment in Kerato from {} to {}",
                                    local(*s, r.location),
                                    local(*e, r.location)
                                )
                            }),
                    };
                    if let Some(clash) = clash {
                        match run.mapping().double_booking {
                            DoubleBooking::Refuse => {
                                run.report.refused.push(row.issue(
                                    "start_time",
                                    format!(
                                        "{} is already booked then ({clash}); the import does not double-book: remove one of the two, or set double_booking = \"overbook\" in the mapping to import it as a double booking",
                                        r.provider_name
                                    ),
                                ));
                                continue;
                            }
                            DoubleBooking::Overbook => r.row.overbooked = true,
                        }
                    }
                    taken.take(r.row.provider_id, from, until, row.number);
                }
                run.report.created += 1;
                if r.row.overbooked {
                    run.report.overbooked.push(row.number);
                }
                if run.dry_run {
                    continue;
                }
                let act = import_act(&r.row, &source);
                if let Some(why) = self.guard_in(&mut tx, run.caller, &act).await? {
                    drop(tx);
                    return Err(self.record_denial(run.caller, &act, why).await?);
                }
                remembered.push(LedgerRow {
                    organisation_id: org,
                    record_kind: record,
                    source: source.clone(),
                    source_key: row.key.clone(),
                    record_id: r.row.id.to_string(),
                    patient_id: r.row.patient_id,
                    imported_at: r.row.created_at,
                    imported_by: run.caller.actor.user_id,
                });
                placed.push((r.row, r.cancel_reason));
            }
            if !run.dry_run {
                ledger::insert_appointments(&mut tx, &placed).await?;
                ledger::remember(&mut tx, &remembered).await?;
                tx.commit().await?;
            }
            progress.advance(batch.len() as u64);
        }
        Ok(())
    }

    /// Checks one drafted appointment against the practice: its patient,
    /// provider, location and visit type by name, and its local times in
    /// the location's zone. Clashes are checked with the batch's others.
    async fn resolve<'s>(
        &self,
        tx: &mut Tx,
        run: &Run<'_>,
        setup: &'s SetUp,
        patients: &HashMap<String, PatientId>,
        d: &AppointmentDraft,
    ) -> Result<Result<Resolved<'s>, ValidationErrors>, AppError> {
        let mapping = run.mapping();
        let org = run.caller.actor.organisation_id;
        let mut e = ValidationErrors::new();
        let patient = match &d.patient {
            PatientRef::Key(k) => patients.get(k).copied().or_else(|| {
                e.add(
                    "patient_key",
                    format!(
                        "no patient with the ID {k:?} was imported from {}: import the patient file first, or check the ID",
                        mapping.source
                    ),
                );
                None
            }),
            PatientRef::Mrn(mrn) => {
                let chart = patient_store::by_field(tx, org, ExactField::Mrn, mrn, 1)
                    .await?
                    .into_iter()
                    .next();
                match chart {
                    Some(c) => Some(c.merged_into.unwrap_or(c.id)),
                    None => {
                        e.add("patient_mrn", format!("no chart has the MRN {mrn}"));
                        None
                    }
                }
            }
        };
        // A provider is named by their NPI where the other system exports
        // it, or by name.
        let by_npi = Npi::parse(&d.provider).ok().and_then(|npi| {
            setup
                .providers
                .iter()
                .find(|p| p.npi.as_ref() == Some(&npi))
        });
        let provider = match by_npi {
            Some(p) => Some(p),
            None => by_name(
                &setup.providers,
                &d.provider,
                |p| &p.name,
                "provider",
                "add the provider under Providers, or map the other system's name under [values.provider]",
            )
            .map_err(|m| e.add("provider", m))
            .ok(),
        };
        let location = by_name(
            &setup.locations,
            &d.location,
            |l| &l.name,
            "location",
            "add the location, or map the other system's name under [values.location]",
        )
        .map_err(|m| e.add("location", m))
        .ok();
        let kind = by_name(
            &setup.types,
            &d.visit_type,
            |t| &t.name,
            "visit type",
            "add the visit type under Scheduling set-up, or map the other system's name under [values.visit_type]",
        )
        .map_err(|m| e.add("visit_type", m))
        .ok();
        let (Some(patient), Some(provider), Some(location), Some(kind)) =
            (patient, provider, location, kind)
        else {
            return Ok(Err(e));
        };
        if !provider.locations.contains(&location.id) {
            e.add(
                "location",
                format!(
                    "{} does not work at {} in Kerato: add the location to the provider first",
                    provider.name, location.name
                ),
            );
            return Ok(Err(e));
        }
        let zone = location.time_zone.zone();
        let resolve = |t| {
            resolve_local_time(
                zone,
                location.time_zone.as_str(),
                d.date,
                t,
                mapping.repeated_hour,
            )
            .map_err(|m| {
                if m.contains("happens twice") {
                    format!("{m}; or set repeated_hour = \"first\" (or \"second\") in the mapping")
                } else {
                    m
                }
            })
        };
        let starts_at = match resolve(d.start) {
            Ok(t) => t,
            Err(m) => {
                e.add("start_time", m);
                return Ok(Err(e));
            }
        };
        let ends_at = match d.length {
            Length::Until(end) => match resolve(end) {
                Ok(t) => t,
                Err(m) => {
                    e.add("end_time", m);
                    return Ok(Err(e));
                }
            },
            Length::Minutes(m) => starts_at.plus_micros(m * MINUTE),
            Length::OfVisitType => starts_at.plus_micros(kind.duration_minutes * MINUTE),
        };
        let minutes = (ends_at.as_micros() - starts_at.as_micros()) / MINUTE;
        if !(1..=MAX_MINUTES).contains(&minutes) {
            e.add(
                "end_time",
                format!(
                    "the appointment lasts {minutes} minutes; an appointment lasts 1 to {MAX_MINUTES}"
                ),
            );
            return Ok(Err(e));
        }
        let now = self.now();
        Ok(Ok(Resolved {
            row: Appointment {
                id: AppointmentId::new(now, self.random_id_bits()),
                organisation_id: org,
                location_id: location.id,
                provider_id: provider.id,
                patient_id: patient,
                appointment_type_id: kind.id,
                starts_at,
                ends_at,
                status: d.status,
                overbooked: false,
                version: 1,
                created_at: now,
                series_id: None,
            },
            cancel_reason: d.cancel_reason.clone(),
            holds_slot: holds_slot(d.status),
            location,
            provider_name: &provider.name,
        }))
    }
}

/// The audit event of an imported appointment: a creation, as a booking's
/// is, saying where it came from.
fn import_act(a: &Appointment, source: &str) -> Act {
    let mut act = Act::new(
        Action::Create,
        Target {
            organisation: a.organisation_id,
            location: Some(a.location_id),
            resource: Resource::Appointment,
        },
        "appointment",
    )
    .id(a.id)
    .new_value(&serde_json::json!({
        "provider": a.provider_id.to_string(), "starts_at": a.starts_at.to_string(),
        "ends_at": a.ends_at.to_string(), "status": a.status, "overbooked": a.overbooked,
        "imported_from": source,
    }));
    act.patient_id = Some(a.patient_id.to_string());
    act
}
