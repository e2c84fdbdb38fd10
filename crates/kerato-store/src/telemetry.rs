//! The day's counts behind the opt-in usage telemetry
//! (`kerato_domain::telemetry`): how much the clinic did, across all its
//! organisations, never for whom or by whom.

use kerato_domain::telemetry::Counts;

use crate::on_tx;
use kerato_db::{StoreError, Tx, corrupt};

/// Every count in one statement, so that they all come from the same
/// snapshot. Each subquery returns a single number; no ID, name or other
/// column of a row ever leaves the database. A booking is counted by the
/// appointment's `created_at`: booking writes no `appointment_events` row
/// (those record later status changes), and a cancelled appointment still
/// counts once on the day it was booked. A session is made at each sign-in, so the users with
/// a session created in the range are the users who signed in that day.
const DAILY_COUNTS: &str = "SELECT \
     (SELECT count(*) FROM appointments WHERE created_at >= $1 AND created_at < $2), \
     (SELECT count(*) FROM patients WHERE created_at >= $1 AND created_at < $2), \
     (SELECT count(*) FROM eye_exams WHERE signed_at >= $1 AND signed_at < $2), \
     (SELECT count(*) FROM biopsies WHERE created_at >= $1 AND created_at < $2), \
     (SELECT count(*) FROM prescriptions WHERE created_at >= $1 AND created_at < $2), \
     (SELECT count(DISTINCT user_id) FROM sessions WHERE created_at >= $1 AND created_at < $2)";

/// Counts what happened in `[from_micros, to_micros)` (UTC microseconds).
pub async fn daily_counts(
    tx: &mut Tx,
    from_micros: i64,
    to_micros: i64,
) -> Result<Counts, StoreError> {
    let (booked, patients, exams, biopsies, prescriptions, users): (i64, i64, i64, i64, i64, i64) =
        on_tx!(tx, c => sqlx::query_as(DAILY_COUNTS)
            .bind(from_micros)
            .bind(to_micros)
            .fetch_one(&mut **c)
            .await)?;
    // A count never goes below zero; one above `u32::MAX` would mean the
    // database holds something Kerato cannot have written in a day.
    let n = |v: i64| u32::try_from(v).map_err(corrupt);
    Ok(Counts {
        appointments_booked: n(booked)?,
        patients_registered: n(patients)?,
        eye_exams_signed: n(exams)?,
        biopsies_logged: n(biopsies)?,
        prescriptions_issued: n(prescriptions)?,
        active_users: n(users)?,
    })
}
