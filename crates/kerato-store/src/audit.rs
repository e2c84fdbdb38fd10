//! The audit trail: append inside the caller's transaction, stream for
//! verification, filter for reports, and pseudonymise for retention.

use kerato_domain::audit::{
    AuditAction, AuditEvent, NewAuditEvent, Outcome, ReportFilter, SortBy, chain,
};
use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

macro_rules! event_columns {
    () => {
        "seq, id, at, organisation_id, user_id, patient_id, action, resource, resource_id, \
         category, old_value, new_value, source_ip, outcome, emergency, detail, prev_hash, hash, \
         hash_version, subject_digest, pseudonymised_at"
    };
}

/// Decodes one event row on either backend (21 columns is past sqlx's
/// tuple limit, so the columns are read by position).
fn decode<R>(r: &R) -> Result<AuditEvent, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    // Unknown action or outcome text can only come from tampering; it is
    // read as a value that breaks the hash, so verification names the event.
    let action: String = r.try_get(6)?;
    let outcome: String = r.try_get(13)?;
    let emergency: i64 = r.try_get(14)?;
    Ok(AuditEvent {
        seq: r.try_get(0)?,
        event: NewAuditEvent {
            id: r.try_get(1)?,
            at: Timestamp::from_micros(r.try_get(2)?),
            organisation_id: r.try_get(3)?,
            user_id: r.try_get(4)?,
            patient_id: r.try_get(5)?,
            action: AuditAction::parse(&action).unwrap_or(AuditAction::Query),
            resource: r.try_get(7)?,
            resource_id: r.try_get(8)?,
            category: r.try_get(9)?,
            old_value: r.try_get(10)?,
            new_value: r.try_get(11)?,
            source_ip: r.try_get(12)?,
            outcome: if outcome == "allowed" {
                Outcome::Allowed
            } else {
                Outcome::Denied
            },
            emergency: emergency != 0,
            detail: r.try_get(15)?,
        },
        hash_version: r.try_get(18)?,
        subject_digest: r.try_get(19)?,
        pseudonymised_at: r.try_get::<Option<i64>, _>(20)?.map(Timestamp::from_micros),
        prev_hash: r.try_get(16)?,
        hash: r.try_get(17)?,
    })
}

/// Appends an event as the next link of the chain, in the caller's
/// transaction: if the change it records rolls back, so does the event.
/// Moving the head row first serialises appenders on both backends.
pub async fn append(tx: &mut Tx, event: NewAuditEvent) -> Result<AuditEvent, StoreError> {
    // The first append of a transaction takes the head's row lock (which
    // orders concurrent appenders on PostgreSQL; SQLite's writer is alone
    // anyway) and reads it; later ones continue from where this
    // transaction left it, which nobody else can move meanwhile.
    let (seq, prev_hash) = match tx.audit_head.take() {
        Some(head) => head,
        None => on_tx!(tx, c => sqlx::query_as(
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash"
        )
        .fetch_one(&mut **c)
        .await)?,
    };
    let chained = chain(seq, &prev_hash, event);
    let e = &chained.event;
    // A trigger moves `audit_head` to this event (migration 11).
    let sql = concat!(
        "INSERT INTO audit_events (",
        event_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21)"
    );
    execute!(
        tx,
        sqlx::query(sql)
            .bind(chained.seq)
            .bind(&e.id)
            .bind(e.at.as_micros())
            .bind(e.organisation_id.as_deref())
            .bind(e.user_id.as_deref())
            .bind(e.patient_id.as_deref())
            .bind(e.action.as_str())
            .bind(&e.resource)
            .bind(e.resource_id.as_deref())
            .bind(&e.category)
            .bind(e.old_value.as_deref())
            .bind(e.new_value.as_deref())
            .bind(e.source_ip.as_deref())
            .bind(e.outcome.as_str())
            .bind(i64::from(e.emergency))
            .bind(e.detail.as_deref())
            .bind(&chained.prev_hash)
            .bind(&chained.hash)
            .bind(chained.hash_version)
            .bind(chained.subject_digest.as_deref())
            .bind(chained.pseudonymised_at.map(Timestamp::as_micros))
    )?;
    tx.audit_head = Some((chained.seq, chained.hash.clone()));
    Ok(chained)
}

/// Records an event for the unit of work `tx` is: in a write transaction
/// it is appended there, with the change it records; a read transaction
/// owes it, and its commit returns only once the event is durable in a
/// commit shared with the reads running beside it (see `kerato_db`'s
/// `group` module). Either way the chain and its verification are those
/// of [`append`].
pub async fn record(tx: &mut Tx, event: NewAuditEvent) -> Result<(), StoreError> {
    if tx.is_read_only() {
        tx.defer(Box::new(move |w: &mut Tx| {
            Box::pin(async move { append(w, event).await.map(drop) })
        }));
        return Ok(());
    }
    append(tx, event).await.map(drop)
}

/// The recorded end of the chain: (seq, hash).
pub async fn head(tx: &mut Tx) -> Result<(i64, String), StoreError> {
    Ok(
        on_tx!(tx, c => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut **c)
        .await)?,
    )
}

/// Up to `limit` events after position `after`, in order.
pub async fn events_after(
    tx: &mut Tx,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, StoreError> {
    let sql = concat!(
        "SELECT ",
        event_columns!(),
        " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    );
    Ok(on_tx!(tx, c => sqlx::query(sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **c)
        .await
        .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>()))?)
}

/// The column a report is sorted by.
fn column(sort: SortBy) -> &'static str {
    match sort {
        SortBy::Time => "at",
        SortBy::User => "user_id",
        SortBy::Patient => "patient_id",
        SortBy::Action => "action",
        SortBy::Outcome => "outcome",
    }
}

/// Events matching the filter. The WHERE clause names only the filters in
/// use, so each query can ride its index (organisation plus patient, user or
/// action, then time); the text is assembled from fixed fragments only.
pub async fn report(tx: &mut Tx, f: &ReportFilter) -> Result<Vec<AuditEvent>, StoreError> {
    let mut sql = String::from(concat!(
        "SELECT ",
        event_columns!(),
        " FROM audit_events WHERE organisation_id = $1"
    ));
    let mut n = 1;
    let mut next = |sql: &mut String, clause: &str| {
        n += 1;
        sql.push_str(&clause.replace('?', &format!("${n}")));
    };
    if f.patient_id.is_some() {
        next(&mut sql, " AND patient_id = ?");
    }
    if f.user_id.is_some() {
        next(&mut sql, " AND user_id = ?");
    }
    if f.action.is_some() {
        next(&mut sql, " AND action = ?");
    }
    if f.from.is_some() {
        next(&mut sql, " AND at >= ?");
    }
    if f.until.is_some() {
        next(&mut sql, " AND at < ?");
    }
    let dir = if f.descending { "DESC" } else { "ASC" };
    sql.push_str(&format!(" ORDER BY {} {dir}, seq {dir}", column(f.sort)));
    next(&mut sql, " LIMIT ?");
    next(&mut sql, " OFFSET ?");
    Ok(on_tx!(tx, c => {
        // The text is built above from fixed fragments; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(f.organisation.to_string());
        if let Some(p) = &f.patient_id {
            q = q.bind(p.clone());
        }
        if let Some(u) = &f.user_id {
            q = q.bind(u.clone());
        }
        if let Some(a) = f.action {
            q = q.bind(a.as_str());
        }
        if let Some(t) = f.from {
            q = q.bind(t.as_micros());
        }
        if let Some(t) = f.until {
            q = q.bind(t.as_micros());
        }
        q.bind(f.limit)
            .bind(f.offset)
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>())
    })?)
}

/// An event the retention job may pseudonymise once its period has ended:
/// version 2, not pseudonymised yet, and about no patient or one whose
/// chart is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudonymisable {
    pub seq: i64,
    pub patient: Option<PatientId>,
    pub at: Timestamp,
}

/// Up to `limit` of the organisation's events after position `after`, in
/// order, that could be pseudonymised and happened before `before`. An
/// event about a chart that is still kept is left out: the trail is never
/// kept for less time than the record it is about.
pub async fn pseudonymisable(
    tx: &mut Tx,
    organisation: OrganisationId,
    before: Timestamp,
    after: i64,
    limit: i64,
) -> Result<Vec<Pseudonymisable>, StoreError> {
    let rows: Vec<(i64, Option<String>, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT a.seq, a.patient_id, a.at FROM audit_events a \
         WHERE a.organisation_id = $1 AND a.hash_version = 2 AND a.pseudonymised_at IS NULL \
           AND a.seq > $2 AND a.at < $3 \
           AND (a.patient_id IS NULL \
             OR NOT EXISTS (SELECT 1 FROM patients p WHERE p.id = a.patient_id)) \
         ORDER BY a.seq LIMIT $4"
    )
    .bind(organisation.to_string())
    .bind(after)
    .bind(before.as_micros())
    .bind(limit)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(seq, patient, at)| {
            Ok(Pseudonymisable {
                seq,
                patient: patient.map(|p| p.parse()).transpose().map_err(corrupt)?,
                at: Timestamp::from_micros(at),
            })
        })
        .collect()
}

/// Pseudonymises the event at `seq`: nulls the fields its subject digest
/// stands for and records when, which is the one change the database
/// allows (migration 21). Returns false when there was nothing to do: no
/// such event, a version 1 event, or one pseudonymised already.
pub async fn pseudonymise(tx: &mut Tx, seq: i64, at: Timestamp) -> Result<bool, StoreError> {
    let n = execute!(
        tx,
        sqlx::query(
            "UPDATE audit_events SET patient_id = NULL, old_value = NULL, new_value = NULL, \
             detail = NULL, pseudonymised_at = $2 \
             WHERE seq = $1 AND hash_version = 2 AND pseudonymised_at IS NULL"
        )
        .bind(seq)
        .bind(at.as_micros())
    )?;
    Ok(n == 1)
}

pub async fn count(tx: &mut Tx) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT count(*) FROM audit_events")
        .fetch_one(&mut **c)
        .await)?;
    Ok(n)
}
