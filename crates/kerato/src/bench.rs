//! `kerato bench store`: how fast the store commits and reads on this
//! machine, for SQLCipher, plain SQLite and PostgreSQL; and the other
//! benchmarks' shared set-up.

use std::time::Instant;

use anyhow::Result;
use kerato_domain::audit::{AuditAction, NewAuditEvent, Outcome};
use kerato_domain::audit::{ReportFilter, SortBy};
use kerato_domain::ids::{LocationId, OrganisationId};
use kerato_domain::input::ParseInput;
use kerato_domain::providers::ProviderInput;
use kerato_domain::providers::hours::{HoursFields, HoursInput};
use kerato_domain::tenancy::{Location, LocationInput, Organisation, OrganisationKind};
use kerato_domain::time::Timestamp;
use kerato_store::testing::{create_pg_database, random_key, temp_dir};
use kerato_store::{ClinicSchema, OpenMode, SqliteOptions, Store, audit as audit_store, tenancy};

#[derive(Debug, Clone, Copy)]
struct Rates {
    inserts_per_s: f64,
    reads_per_s: f64,
}

fn location(org: OrganisationId, i: u32, now: Timestamp) -> Result<Location> {
    let fields = LocationInput {
        name: format!("Bench location {i:07}"),
        time_zone: "America/Chicago".into(),
        address_line1: format!("{i} Main Street"),
        address_line2: None,
        city: "Springfield".into(),
        state: "IL".into(),
        zip: "62701".into(),
        specialties: vec!["eye_care".into()],
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Location::create(
        LocationId::new(now, rand::random()),
        org,
        fields,
        now,
    ))
}

/// Each insert is its own committed, durable transaction, as a form save is;
/// each read is one primary-key lookup in its own read transaction.
async fn measure(store: &Store, rows: u32) -> Result<Rates> {
    let now = Timestamp::from_micros(1_780_000_000_000_000);
    store.migrate(now).await?;
    let org = Organisation {
        id: OrganisationId::new(now, rand::random()),
        name: "Bench".into(),
        kind: OrganisationKind::Practice,
        created_at: now,
        updated_at: now,
    };
    let mut tx = store.write().await?;
    tenancy::insert_organisation(&mut tx, &org).await?;
    tx.commit().await?;
    let locations: Vec<Location> = (0..rows)
        .map(|i| location(org.id, i, now))
        .collect::<Result<_>>()?;

    let started = Instant::now();
    for loc in &locations {
        let mut tx = store.write().await?;
        tenancy::insert_location(&mut tx, loc).await?;
        tx.commit().await?;
    }
    let inserts_per_s = f64::from(rows) / started.elapsed().as_secs_f64();

    let started = Instant::now();
    for i in 0..rows {
        let pick = &locations[(i as usize * 7919) % locations.len()];
        let mut tx = store.read().await?;
        let found = tenancy::get_location(&mut tx, org.id, pick.id).await?;
        anyhow::ensure!(
            found.is_some(),
            "a row written by the benchmark was not found"
        );
    }
    let reads_per_s = f64::from(rows) / started.elapsed().as_secs_f64();
    Ok(Rates {
        inserts_per_s,
        reads_per_s,
    })
}

/// A fresh SQLite database in a temporary directory (removed by the caller).
async fn temp_sqlite(encrypted: bool) -> Result<(Store, std::path::PathBuf)> {
    let dir = temp_dir("bench");
    let store = Store::open_sqlite(SqliteOptions {
        path: dir.join("bench.db"),
        key: encrypted.then(random_key),
        mode: OpenMode::CreateIfMissing,
        max_connections: 4,
    })
    .await?;
    Ok((store, dir))
}

/// A fresh database for a benchmark: a new database on the PostgreSQL
/// server at `pg_url`, or an encrypted SQLite file in a temporary
/// directory (returned, for the caller to remove).
pub(crate) async fn bench_store(
    pg_url: Option<&str>,
) -> Result<(Store, Option<std::path::PathBuf>)> {
    Ok(match pg_url {
        Some(url) => (
            Store::open_postgres(&create_pg_database(url).await?, 8).await?,
            None,
        ),
        None => {
            let (s, d) = temp_sqlite(true).await?;
            (s, Some(d))
        }
    })
}

async fn sqlite(rows: u32, encrypted: bool) -> Result<Rates> {
    let (store, dir) = temp_sqlite(encrypted).await?;
    let rates = measure(&store, rows).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    rates
}

fn print_row(name: &str, r: &Rates) {
    println!(
        "{name:<18} {:>12.0} {:>14.0}",
        r.inserts_per_s, r.reads_per_s
    );
}

pub async fn store(rows: u32, pg_url: Option<&str>) -> Result<()> {
    println!("kerato bench store: {rows} rows per backend; each insert is a durable commit");
    let cipher = sqlite(rows, true).await?;
    let plain = sqlite(rows, false).await?;
    let pg = match pg_url {
        Some(url) => {
            let db_url = create_pg_database(url).await?;
            let store = Store::open_postgres(&db_url, 4).await?;
            let rates = measure(&store, rows).await;
            store.close().await;
            Some(rates?)
        }
        None => None,
    };
    println!(
        "{:<18} {:>12} {:>14}",
        "backend", "inserts/s", "point reads/s"
    );
    print_row("sqlcipher", &cipher);
    print_row("sqlite (plain)", &plain);
    match &pg {
        Some(r) => print_row("postgresql", r),
        None => println!(
            "{:<18} skipped: pass --database-url or set KERATO_BENCH_PG_URL",
            "postgresql"
        ),
    }
    println!(
        "sqlcipher overhead: inserts {:.2}x slower, point reads {:.2}x slower than plain SQLite",
        plain.inserts_per_s / cipher.inserts_per_s,
        plain.reads_per_s / cipher.reads_per_s
    );
    Ok(())
}

fn synthetic_event(i: u32, org: &str, now: Timestamp) -> NewAuditEvent {
    NewAuditEvent {
        id: format!("bench-{i:09}"),
        // Spread over about two years, one event every minute.
        at: now.plus_micros(i64::from(i) * 60_000_000),
        organisation_id: Some(org.to_string()),
        user_id: Some(format!("user-{:03}", i % 50)),
        patient_id: Some(format!("patient-{:05}", i % 10_000)),
        action: AuditAction::ALL[(i % 7) as usize],
        resource: "patient".into(),
        resource_id: Some(format!("record-{i}")),
        category: "demographics".into(),
        old_value: None,
        new_value: Some(format!("{{\"n\":{i}}}")),
        source_ip: Some("192.0.2.10".into()),
        outcome: if i.is_multiple_of(100) {
            Outcome::Denied
        } else {
            Outcome::Allowed
        },
        emergency: false,
        detail: None,
    }
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// `kerato bench audit`: what auditing costs a write, and how fast the
/// report answers over a large trail.
pub async fn audit(events: u32, writes: u32, pg_url: Option<&str>) -> Result<()> {
    let now = Timestamp::from_micros(1_780_000_000_000_000);
    let (store, dir) = bench_store(pg_url).await?;
    println!(
        "kerato bench audit on {}: {writes} writes each way, report over {events} events",
        store.backend().name()
    );
    store.migrate(now).await?;
    let org = Organisation {
        id: OrganisationId::new(now, rand::random()),
        name: "Bench".into(),
        kind: OrganisationKind::Practice,
        created_at: now,
        updated_at: now,
    };
    let mut tx = store.write().await?;
    tenancy::insert_organisation(&mut tx, &org).await?;
    tx.commit().await?;
    let org_text = org.id.to_string();

    // Each write is a location insert in its own durable transaction,
    // with and without the audit event that accompanies it.
    let mut rates = [0.0f64; 2];
    for (k, audited) in [false, true].into_iter().enumerate() {
        let started = Instant::now();
        for i in 0..writes {
            let loc = location(org.id, i + k as u32 * writes, now)?;
            let mut tx = store.write().await?;
            tenancy::insert_location(&mut tx, &loc).await?;
            if audited {
                audit_store::append(&mut tx, synthetic_event(i + 1_000_000_000, &org_text, now))
                    .await?;
            }
            tx.commit().await?;
        }
        rates[k] = f64::from(writes) / started.elapsed().as_secs_f64();
    }
    let per_write_us = 1e6 / rates[1] - 1e6 / rates[0];
    println!(
        "writes/s without audit {:.0}, with audit {:.0}: ratio {:.2}x, {per_write_us:.0} µs added per write",
        rates[0],
        rates[1],
        rates[0] / rates[1]
    );

    let started = Instant::now();
    let batch = 10_000;
    let mut i = 0;
    while i < events {
        let mut tx = store.write().await?;
        for _ in 0..batch.min(events - i) {
            audit_store::append(&mut tx, synthetic_event(i, &org_text, now)).await?;
            i += 1;
        }
        tx.commit().await?;
    }
    println!(
        "filled {events} events in {:.1} s ({:.0} appends/s in batches of {batch})",
        started.elapsed().as_secs_f64(),
        f64::from(events) / started.elapsed().as_secs_f64()
    );

    let base = ReportFilter {
        organisation: org.id,
        patient_id: None,
        user_id: None,
        action: None,
        from: None,
        until: None,
        sort: SortBy::Time,
        descending: true,
        limit: 100,
        offset: 0,
    };
    let month = 30 * 24 * 3600 * 1_000_000;
    let queries: Vec<(&str, ReportFilter)> = vec![
        ("newest 100", base.clone()),
        (
            "one patient",
            ReportFilter {
                patient_id: Some("patient-04242".into()),
                ..base.clone()
            },
        ),
        (
            "one user",
            ReportFilter {
                user_id: Some("user-007".into()),
                ..base.clone()
            },
        ),
        (
            "action in a 30-day range",
            ReportFilter {
                action: Some(AuditAction::Export),
                from: Some(now.plus_micros(6 * month)),
                until: Some(now.plus_micros(7 * month)),
                ..base.clone()
            },
        ),
        (
            "page 100, sorted by user",
            ReportFilter {
                sort: SortBy::User,
                descending: false,
                offset: 10_000,
                ..base.clone()
            },
        ),
    ];
    println!("{:<28} {:>12} {:>8}", "report query", "median ms", "rows");
    for (name, filter) in queries {
        let mut samples = Vec::new();
        let mut rows = 0;
        for _ in 0..5 {
            let started = Instant::now();
            let mut tx = store.read().await?;
            rows = audit_store::report(&mut tx, &filter).await?.len();
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        println!("{name:<28} {:>12.2} {rows:>8}", median_ms(samples));
    }
    store.close().await;
    if let Some(d) = dir {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(())
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

/// A practice for a benchmark, set up through the application as a new
/// one is: its administrator, as a caller, and one location in Chicago.
pub(crate) async fn bench_practice(
    app: &kerato_app::App,
) -> Result<(kerato_app::Caller, Location)> {
    let fail = |e: kerato_app::AppError| anyhow::anyhow!("{e}");
    let (_, admin) = app
        .bootstrap(
            "Bench practice",
            OrganisationKind::Practice,
            "bench@bench.example",
            "Bench Admin",
            "a long passphrase for measuring",
        )
        .await
        .map_err(fail)?;
    let caller = app.unsafe_caller_for(admin.id).await.map_err(fail)?;
    let loc = bench_location(app, &caller).await?;
    Ok((caller, loc))
}

/// The benchmarks' one location, in Chicago, for eye care and dermatology.
pub(crate) async fn bench_location(
    app: &kerato_app::App,
    caller: &kerato_app::Caller,
) -> Result<Location> {
    app.create_location(
        caller,
        &LocationInput {
            name: "Main".into(),
            time_zone: "America/Chicago".into(),
            address_line1: "1 Main St".into(),
            address_line2: None,
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62701".into(),
            specialties: vec!["eye_care".into(), "dermatology".into()],
        }
        .validate()?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// `n` providers at `loc`, each working every weekday from 08:00 to 17:00.
pub(crate) async fn bench_providers(
    app: &kerato_app::App,
    caller: &kerato_app::Caller,
    loc: LocationId,
    n: u32,
) -> Result<Vec<kerato_domain::ids::ProviderId>> {
    let mut ids = Vec::new();
    for p in 0..n {
        let pr = app
            .create_provider(
                caller,
                &ProviderInput::new(&format!("Provider {p:03}"), &[loc]).validate()?,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        app.add_hours(
            caller,
            pr.id,
            &HoursFields::parse(HoursInput::weekdays(
                loc,
                jiff::civil::date(2000, 1, 3),
                "08:00",
                "17:00",
            ))?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.push(pr.id);
    }
    Ok(ids)
}

/// `kerato bench front-desk`: a registry of `patients` and a year of
/// weekday appointments for `providers`, filled in bulk through the store
/// (the fill is set-up, not what is measured); then patient search, the day
/// view and booking, each through the application with its authorization
/// and audit, as the front desk uses them.
pub async fn front_desk(patients: u32, providers: u32, pg_url: Option<&str>) -> Result<()> {
    use kerato_app::App;
    use kerato_domain::scheduling::{Appointment, BookingInput, SlotChoice, VisitStatus};
    use std::sync::Arc;

    let (store, dir) = bench_store(pg_url).await?;
    println!(
        "kerato bench front-desk on {}: {patients} patients, {providers} providers, a year of appointments",
        store.backend().name()
    );
    let clock = Arc::new(kerato_app::clock::SystemClock);
    let now = kerato_domain::time::Clock::now(clock.as_ref());
    store.migrate(now).await?;
    let app = App::new(store.clone(), clock);
    let (caller, loc) = bench_practice(&app).await?;
    let kind = app
        .create_appointment_type(&caller, "Visit", 30)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let provider_ids = bench_providers(&app, &caller, loc.id, providers).await?;

    use crate::bench_http::surname;
    let started = Instant::now();
    let patient_ids =
        crate::bench_http::fill_registry(&store, caller.actor.organisation_id, patients, now)
            .await?;
    let today = now
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    println!(
        "filled {patients} patients in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A year of weekday appointments from tomorrow, 16 per provider per day.
    let started = Instant::now();
    let zone = loc.time_zone.zone().clone();
    let mut count = 0u64;
    let first_day = today.tomorrow()?;
    for offset in 0..365i64 {
        let day = first_day.checked_add(jiff::Span::new().days(offset))?;
        if matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            continue;
        }
        let mut tx = store.write().await?;
        for (pi, provider) in provider_ids.iter().enumerate() {
            for slot in 0..16i64 {
                let start = kerato_domain::scheduling::resolve_local_time(
                    &zone,
                    "",
                    day,
                    jiff::civil::Time::new(8, 0, 0, 0)?,
                    None,
                )
                .map_err(anyhow::Error::msg)?
                .plus_micros(slot * 30 * 60_000_000);
                let a = Appointment {
                    id: kerato_domain::ids::AppointmentId::new(now, rand::random()),
                    organisation_id: caller.actor.organisation_id,
                    location_id: loc.id,
                    provider_id: *provider,
                    patient_id: patient_ids[((count as usize) * 7919 + pi) % patient_ids.len()],
                    appointment_type_id: kind.id,
                    starts_at: start,
                    ends_at: start.plus_micros(30 * 60_000_000),
                    status: VisitStatus::Booked,
                    overbooked: false,
                    version: 1,
                    created_at: now,
                    series_id: None,
                };
                kerato_store::scheduling::insert_appointment(&mut tx, &a).await?;
                count += 1;
            }
        }
        tx.commit().await?;
    }
    println!(
        "filled {count} appointments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    store.settle().await?;
    println!(
        "settled (checkpoint, statistics) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Patient search: prefixes of 3 to 6 letters, every fourth with a typo.
    let mut samples = Vec::new();
    let (mut typos, mut typo_misses, mut exact_misses) = (0, 0, 0);
    for q in 0..400u32 {
        let name = surname(q * 2_654_435 % patients.max(1));
        let len = 3 + (q % 4) as usize;
        let mut query: String = name.to_lowercase().chars().take(len).collect();
        let typo = q % 4 == 3 && query.len() >= 4;
        if typo {
            query.remove(2);
            typos += 1;
        }
        let t = Instant::now();
        let found = app
            .search_patients(&caller, &query)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        match (found.is_empty(), typo) {
            (true, true) => typo_misses += 1,
            (true, false) => exact_misses += 1,
            _ => {}
        }
    }
    let (s50, s99) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    );

    // Day view: a random weekday's schedule for the location.
    let mut samples = Vec::new();
    let mut rows = 0;
    for d in 0..200i64 {
        let day = first_day.checked_add(jiff::Span::new().days((d * 37) % 360))?;
        let t = Instant::now();
        rows = app
            .day_schedule(&caller, loc.id, day)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .len()
            .max(rows);
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (d50, d99) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    );

    // Bookings with conflict checks and audit, into the year after the fill:
    // first from one desk at a time, then from many desks at once (which
    // SQLite commits in groups).
    let mut requests = Vec::new();
    let mut day = first_day.checked_add(jiff::Span::new().days(366))?;
    while requests.len() < 3000 {
        day = day.tomorrow()?;
        if matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        ) {
            continue;
        }
        for provider in &provider_ids {
            for slot in 0..16 {
                let minutes = 8 * 60 + slot * 30;
                requests.push(BookingInput {
                    patient_id: patient_ids[(requests.len() * 104_729) % patient_ids.len()],
                    slot: SlotChoice {
                        provider_id: *provider,
                        location_id: loc.id,
                        appointment_type_id: kind.id,
                        date: day,
                        time: jiff::civil::Time::new(
                            i8::try_from(minutes / 60)?,
                            i8::try_from(minutes % 60)?,
                            0,
                            0,
                        )?,
                        repeated_hour: None,
                        duration_minutes: None,
                        resource_ids: Vec::new(),
                    },
                });
            }
        }
    }
    let concurrent = requests.split_off(1000);
    let started = Instant::now();
    for req in &requests {
        app.book_appointment(&caller, req)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let one_desk = requests.len() as f64 / started.elapsed().as_secs_f64();
    const DESKS: usize = 16;
    let total = concurrent.len();
    let mut shares: Vec<Vec<_>> = (0..DESKS).map(|_| Vec::new()).collect();
    for (i, req) in concurrent.into_iter().enumerate() {
        shares[i % DESKS].push(req);
    }
    let started = Instant::now();
    let mut desks = Vec::new();
    for share in shares {
        let (app, caller) = (app.clone(), caller.clone());
        desks.push(tokio::spawn(async move {
            for req in &share {
                app.book_appointment(&caller, req).await?;
            }
            Ok::<_, kerato_app::AppError>(())
        }));
    }
    for d in desks {
        d.await?.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let per_s = total as f64 / started.elapsed().as_secs_f64();
    println!("patient search  p50 {s50:.2} ms  p99 {s99:.2} ms   (target p99 <= 5 ms)");
    println!(
        "                prefix queries with no result: {exact_misses}; one-typo queries with no result: {typo_misses} of {typos}"
    );
    println!(
        "day view        p50 {d50:.2} ms  p99 {d99:.2} ms   ({rows} appointments; target p99 <= 10 ms)"
    );
    println!(
        "bookings        {per_s:.0}/s with conflict checks and audit, {DESKS} desks at once   (target >= 2000/s on SQLite)"
    );
    println!("                {one_desk:.0}/s from one desk at a time");
    store.close().await;
    if let Some(d) = dir {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(())
}
