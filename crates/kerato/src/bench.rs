//! `kerato bench store`: how fast the store commits and reads on this
//! machine, for SQLCipher, plain SQLite and PostgreSQL.

use std::time::Instant;

use anyhow::Result;
use kerato_domain::ids::{LocationId, OrganisationId};
use kerato_domain::tenancy::{Location, LocationInput, Organisation, OrganisationKind};
use kerato_domain::time::Timestamp;
use kerato_store::testing::{create_pg_database, random_key, temp_dir};
use kerato_store::{OpenMode, SqliteOptions, Store, tenancy};

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

async fn sqlite(rows: u32, encrypted: bool) -> Result<Rates> {
    let dir = temp_dir("bench");
    let store = Store::open_sqlite(SqliteOptions {
        path: dir.join("bench.db"),
        key: encrypted.then(random_key),
        mode: OpenMode::CreateIfMissing,
        max_connections: 4,
    })
    .await?;
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
