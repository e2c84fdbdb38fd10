//! Sellers' verification requests and agents' copy requests, and the
//! location closures their business-hour clocks skip.

use kerato_domain::eye::requests::{RxRequest, RxRequestAnswer, RxRequestAnswered};
use kerato_domain::ids::{LocationId, OrganisationId, RxRequestId, UserId};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

type RequestTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

const REQUEST_COLUMNS: &str = "id, organisation_id, kind, requester, requester_contact, patient_name, patient_id, \
     prescription_id, details, received_at, due_at, answer, answer_note, answered_at, answered_by";

fn request_from(t: RequestTuple) -> Result<RxRequest, StoreError> {
    // The four answer columns are set together by `answer_request`.
    let answered = match (t.11, t.13, t.14) {
        (Some(answer), Some(at), Some(by)) => Some(RxRequestAnswered {
            answer: answer.parse::<RxRequestAnswer>().map_err(corrupt)?,
            note: t.12.unwrap_or_default(),
            at: Timestamp::from_micros(at),
            by: by.parse().map_err(corrupt)?,
        }),
        (None, None, None) => None,
        _ => return Err(corrupt("a request's answer is recorded only in part")),
    };
    Ok(RxRequest {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        kind: t.2.parse().map_err(corrupt)?,
        requester: t.3,
        requester_contact: t.4,
        patient_name: t.5,
        patient_id: t.6.map(|p| p.parse()).transpose().map_err(corrupt)?,
        prescription_id: t.7.map(|p| p.parse()).transpose().map_err(corrupt)?,
        details: t.8,
        received_at: Timestamp::from_micros(t.9),
        due_at: Timestamp::from_micros(t.10),
        answered,
    })
}

/// Logs a new, unanswered request.
pub async fn insert_request(tx: &mut Tx, r: &RxRequest) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO rx_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL, NULL)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.organisation_id.to_string())
            .bind(r.kind.as_str())
            .bind(&r.requester)
            .bind(&r.requester_contact)
            .bind(&r.patient_name)
            .bind(r.patient_id.map(|p| p.to_string()))
            .bind(r.prescription_id.map(|p| p.to_string()))
            .bind(&r.details)
            .bind(r.received_at.as_micros())
            .bind(r.due_at.as_micros())
    )?;
    Ok(())
}

pub async fn find_request(tx: &mut Tx, id: RxRequestId) -> Result<Option<RxRequest>, StoreError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM rx_requests WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), RequestTuple, request_from)
}

/// The organisation's requests received in `[from, until)`, or all still
/// unanswered when `open_only`, oldest deadline first.
pub async fn requests(
    tx: &mut Tx,
    org: OrganisationId,
    from: Timestamp,
    until: Timestamp,
    open_only: bool,
) -> Result<Vec<RxRequest>, StoreError> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM rx_requests WHERE organisation_id = $1 AND received_at >= $2 AND received_at < $3 \
         AND ($4 = 0 OR answered_at IS NULL) ORDER BY due_at, id"
    );
    let rows: Vec<RequestTuple> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org.to_string())
        .bind(from.as_micros())
        .bind(until.as_micros())
        .bind(i64::from(open_only))
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(request_from).collect()
}

/// Records the answer to an unanswered request; false if it was answered.
pub async fn answer_request(
    tx: &mut Tx,
    id: RxRequestId,
    answer: RxRequestAnswer,
    note: &str,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE rx_requests SET answer = $2, answer_note = $3, answered_at = $4, answered_by = $5 \
         WHERE id = $1 AND answered_at IS NULL"
    )
    .bind(id.to_string())
    .bind(answer.as_str())
    .bind(note)
    .bind(now.as_micros())
    .bind(by.to_string()))?;
    Ok(n == 1)
}

/// The location's own closures (holidays; not one provider's time off), as
/// instants, for the business-hour clock.
pub async fn location_closures(
    tx: &mut Tx,
    location: LocationId,
) -> Result<Vec<(Timestamp, Timestamp)>, StoreError> {
    let rows: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT starts_at, ends_at FROM time_off WHERE location_id = $1 AND provider_id IS NULL ORDER BY starts_at"
    )
    .bind(location.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (Timestamp::from_micros(s), Timestamp::from_micros(e)))
        .collect())
}
