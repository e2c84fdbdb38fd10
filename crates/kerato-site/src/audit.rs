//! The site's audit trail: every change to a person's data, every
//! redaction and every privacy step, in a hash chain so that an edited,
//! removed or reordered event shows when the chain is verified.
//!
//! Events name records by kind and ID (`ticket:…`), never by content, so
//! the trail itself holds no personal detail beyond what an ID links to.

use kerato_core::time::Timestamp;
use kerato_db::{Store, StoreError, Tx, execute, on_tx};
use sha2::{Digest, Sha256};

/// One event to append.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Who acted: `staff:<id>`, `user:<id>`, `visitor`, `system:<job>`.
    pub actor: Option<&'a str>,
    /// What happened, as a dotted verb (`ticket.redacted`).
    pub action: &'a str,
    /// The record acted on, as `kind:id`.
    pub subject: Option<&'a str>,
    /// A short note without personal detail (counts, kinds, reasons).
    pub detail: Option<&'a str>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

fn put(h: &mut Sha256, field: Option<&str>) {
    // Length-prefixed, with a distinct marker for "absent", so that no two
    // different events can hash the same by moving text between fields.
    match field {
        None => h.update(b"\x00"),
        Some(s) => {
            h.update(b"\x01");
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

fn hash(seq: i64, at: Timestamp, e: &Event<'_>, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(seq.to_be_bytes());
    h.update(at.as_micros().to_be_bytes());
    put(&mut h, e.actor);
    put(&mut h, Some(e.action));
    put(&mut h, e.subject);
    put(&mut h, e.detail);
    put(&mut h, Some(prev_hash));
    hex::encode(h.finalize())
}

/// Appends an event in the caller's transaction, so the change and its
/// record commit together or not at all.
pub async fn record(tx: &mut Tx, at: Timestamp, e: Event<'_>) -> Result<i64, StoreError> {
    let (prev_seq, prev_hash): (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE site_audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash"
    )
    .fetch_one(&mut **c)
    .await)?;
    let seq = prev_seq + 1;
    let digest = hash(seq, at, &e, &prev_hash);
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_audit (seq, at, actor, action, subject, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(seq)
        .bind(at.as_micros())
        .bind(e.actor)
        .bind(e.action)
        .bind(e.subject)
        .bind(e.detail)
        .bind(&prev_hash)
        .bind(&digest)
    )?;
    execute!(
        tx,
        sqlx::query("UPDATE site_audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&digest)
    )?;
    Ok(seq)
}

type Row = (
    i64,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn stored(r: Row) -> Stored {
    Stored {
        seq: r.0,
        at: Timestamp::from_micros(r.1),
        actor: r.2,
        action: r.3,
        subject: r.4,
        detail: r.5,
        prev_hash: r.6,
        hash: r.7,
    }
}

const COLUMNS: &str = "seq, at, actor, action, subject, detail, prev_hash, hash";

/// The events about one record, oldest first.
pub async fn about(tx: &mut Tx, subject: &str) -> Result<Vec<Stored>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM site_audit WHERE subject = $1 ORDER BY seq");
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(subject)
        .fetch_all(&mut **c)
        .await)?;
    Ok(rows.into_iter().map(stored).collect())
}

/// Checks the whole chain and the head; returns the number of events, or
/// what is wrong at the first bad event.
pub async fn verify(store: &Store) -> Result<i64, String> {
    let mut tx = store.read().await.map_err(|e| e.to_string())?;
    let sql = format!("SELECT {COLUMNS} FROM site_audit ORDER BY seq");
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **c)
        .await)
    .map_err(|e| e.to_string())?;
    let head: (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "SELECT seq, hash FROM site_audit_head WHERE id = 1"
    )
    .fetch_one(&mut **c)
    .await)
    .map_err(|e| e.to_string())?;
    let mut expected_prev = "0".repeat(64);
    let mut expected_seq = 1;
    for row in rows.into_iter().map(stored) {
        if row.seq != expected_seq {
            return Err(format!(
                "event {expected_seq} is missing (found {} next)",
                row.seq
            ));
        }
        let event = Event {
            actor: row.actor.as_deref(),
            action: &row.action,
            subject: row.subject.as_deref(),
            detail: row.detail.as_deref(),
        };
        if row.prev_hash != expected_prev
            || hash(row.seq, row.at, &event, &row.prev_hash) != row.hash
        {
            return Err(format!("event {} was changed", row.seq));
        }
        expected_prev = row.hash;
        expected_seq += 1;
    }
    if head != (expected_seq - 1, expected_prev) {
        return Err("the chain was cut: the head names a later event".into());
    }
    Ok(expected_seq - 1)
}
