//! The SQL of privacy requests.

use kerato_core::rights_request::{self, RequestTimeline, RequestType};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::rights::rules::*;

pub(crate) type Row = (String, String, String, Option<String>, String);

pub(crate) fn request(r: Row) -> Result<RightsRequest, StoreError> {
    Ok(RightsRequest {
        id: r.0,
        name: r.1,
        email: r.2,
        details: r.3,
        timeline: serde_json::from_str(&r.4).map_err(kerato_db::corrupt)?,
    })
}

pub(crate) const COLUMNS: &str = "id, name, email, details, timeline";

pub(crate) async fn load(tx: &mut Tx, id: &str) -> Result<Option<RightsRequest>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM site_rights_requests WHERE id = $1");
    let row: Option<Row> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.map(request).transpose()
}

pub(crate) async fn save(tx: &mut Tx, timeline: &RequestTimeline) -> Result<(), StoreError> {
    let json = serde_json::to_string(timeline).map_err(kerato_db::corrupt)?;
    execute!(
        tx,
        sqlx::query("UPDATE site_rights_requests SET timeline = $1 WHERE id = $2")
            .bind(json)
            .bind(timeline.id.to_string())
    )?;
    Ok(())
}

/// Every request, the most urgent first (the engine's order: overdue,
/// then fewest days left; closed ones last).
pub async fn list_requests(tx: &mut Tx, now: Timestamp) -> Result<Vec<Listed>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM site_rights_requests");
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **c)
        .await)?;
    let mut all: Vec<RightsRequest> = rows.into_iter().map(request).collect::<Result<_, _>>()?;
    let cal = calendar();
    let timelines: Vec<RequestTimeline> = all.iter().map(|r| r.timeline.clone()).collect();
    let mut listed = Vec::with_capacity(all.len());
    for t in rights_request::by_urgency(&timelines, now, &cal) {
        if let Some(i) = all.iter().position(|r| r.timeline.id == t.id) {
            let request = all.swap_remove(i);
            listed.push(Listed {
                state: t.state(),
                due_at: rights_request::due_at(t, &cal),
                days_left: rights_request::days_left(t, now, &cal),
                overdue: rights_request::is_overdue(t, now, &cal),
                request,
            });
        }
    }
    Ok(listed)
}

/// The open requests with a standing alarm at `now`, the most urgent
/// first.
pub async fn needing_attention(tx: &mut Tx, now: Timestamp) -> Result<Vec<Attention>, StoreError> {
    let mut out = Vec::new();
    for listed in list_requests(tx, now).await? {
        for alarm in standing(&listed, now) {
            out.push(attention(&listed.request.timeline, &alarm));
        }
    }
    Ok(out)
}

/// Takes the request's row for this transaction, so two alarm runs at once
/// send each alarm once.
pub(crate) async fn lock_request(tx: &mut Tx, id: &str) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE site_rights_requests SET timeline = timeline WHERE id = $1").bind(id)
    )?;
    Ok(())
}

pub(crate) async fn insert_request(
    tx: &mut Tx,
    id: &str,
    kind: RequestType,
    (name, email): (&str, &str),
    details: Option<&str>,
    now: Timestamp,
    timeline_json: &str,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_rights_requests (id, kind, name, email, details, received_at, timeline) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(name)
        .bind(email)
        .bind(details)
        .bind(now.as_micros())
        .bind(timeline_json)
    )?;
    Ok(())
}
