//! The first-run set-up's records: opening hours of locations, skipped
//! steps, the messaging settings, and the counts the steps are judged by.

use std::collections::BTreeSet;

use jiff::civil::{Time, Weekday};
use kerato_domain::ids::{LocationId, OrganisationId, UserId};
use kerato_domain::setup::{OpeningHours, SetupFacts, SetupStep};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::{StoreError, Tx, corrupt};

fn minute_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

fn time_of(minute: i64) -> Result<Time, StoreError> {
    Time::new(
        i8::try_from(minute / 60).map_err(corrupt)?,
        i8::try_from(minute % 60).map_err(corrupt)?,
        0,
        0,
    )
    .map_err(corrupt)
}

/// Replaces a location's opening hours.
pub async fn set_opening_hours(
    tx: &mut Tx,
    location: LocationId,
    hours: &[OpeningHours],
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM location_hours WHERE location_id = $1").bind(location.to_string())
    )?;
    for h in hours {
        execute!(tx, sqlx::query(
            "INSERT INTO location_hours (location_id, weekday, opens_minute, closes_minute) VALUES ($1, $2, $3, $4)"
        )
        .bind(location.to_string())
        .bind(i64::from(h.weekday.to_monday_one_offset()))
        .bind(minute_of(h.opens))
        .bind(minute_of(h.closes)))?;
    }
    Ok(())
}

pub async fn opening_hours(
    tx: &mut Tx,
    location: LocationId,
) -> Result<Vec<OpeningHours>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT weekday, opens_minute, closes_minute FROM location_hours WHERE location_id = $1 ORDER BY weekday"
    )
    .bind(location.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(day, opens, closes)| {
            Ok(OpeningHours {
                weekday: Weekday::from_monday_one_offset(i8::try_from(day).map_err(corrupt)?)
                    .map_err(corrupt)?,
                opens: time_of(opens)?,
                closes: time_of(closes)?,
            })
        })
        .collect()
}

pub async fn skip_step(
    tx: &mut Tx,
    org: OrganisationId,
    step: SetupStep,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO setup_skips (organisation_id, step, by_user, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (organisation_id, step) DO NOTHING"
        )
        .bind(org.to_string())
        .bind(step.as_str())
        .bind(by.to_string())
        .bind(now.as_micros())
    )?;
    Ok(())
}

pub async fn skipped_steps(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<BTreeSet<SetupStep>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT step FROM setup_skips WHERE organisation_id = $1"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(s,)| s.parse().map_err(corrupt))
        .collect()
}

/// The counts the set-up's steps are judged by, in one statement.
pub async fn facts(tx: &mut Tx, org: OrganisationId) -> Result<SetupFacts, StoreError> {
    let row: (i64, i64, i64, i64, i64, i64, i64, i64) = on_tx!(tx, c => sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM locations WHERE organisation_id = $1), \
           (SELECT COUNT(DISTINCT h.location_id) FROM location_hours h JOIN locations l ON l.id = h.location_id WHERE l.organisation_id = $1), \
           (SELECT COUNT(*) FROM appointment_types WHERE organisation_id = $1), \
           (SELECT COUNT(*) FROM providers p WHERE p.organisation_id = $1 AND p.status = 'active' \
              AND EXISTS (SELECT 1 FROM provider_hours h WHERE h.provider_id = p.id)), \
           (SELECT COUNT(*) FROM users WHERE organisation_id = $1 AND role <> 'admin'), \
           (SELECT COUNT(*) FROM policy_versions WHERE organisation_id = $1 AND kind = 'notice_of_privacy_practices'), \
           (SELECT COUNT(*) FROM messaging_settings WHERE test_passed = 1), \
           (SELECT COUNT(*) FROM appointments WHERE organisation_id = $1)"
    )
    .bind(org.to_string())
    .fetch_one(&mut **c)
    .await)?;
    let n = |v: i64| usize::try_from(v).map_err(corrupt);
    Ok(SetupFacts {
        locations: n(row.0)?,
        locations_with_hours: n(row.1)?,
        visit_types: n(row.2)?,
        bookable_providers: n(row.3)?,
        staff: n(row.4)?,
        privacy_notices: n(row.5)?,
        message_test_passed: row.6 > 0,
        appointments: n(row.7)?,
    })
}

/// The messaging settings made from the set-up, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct MessagingRow {
    pub smtp_url: Option<String>,
    pub from_address: String,
    pub sms_gateway_url: Option<String>,
    pub sms_token: Option<String>,
    pub version: i64,
    pub tested_at: Option<Timestamp>,
    pub tested_channel: Option<String>,
    pub test_error: Option<String>,
    pub test_passed: bool,
}

impl std::fmt::Debug for MessagingRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL and the token carry credentials.
        f.debug_struct("MessagingRow")
            .field("from_address", &self.from_address)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

type MessagingTuple = (
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
);

pub async fn messaging(tx: &mut Tx) -> Result<Option<MessagingRow>, StoreError> {
    let row: Option<MessagingTuple> = on_tx!(tx, c => sqlx::query_as(
        "SELECT smtp_url, from_address, sms_gateway_url, sms_token, version, tested_at, tested_channel, test_error, test_passed \
         FROM messaging_settings WHERE id = 1"
    )
    .fetch_optional(&mut **c)
    .await)?;
    Ok(row.map(
        |(
            smtp_url,
            from_address,
            sms_gateway_url,
            sms_token,
            version,
            tested_at,
            tested_channel,
            test_error,
            passed,
        )| {
            MessagingRow {
                smtp_url,
                from_address,
                sms_gateway_url,
                sms_token,
                version,
                tested_at: tested_at.map(Timestamp::from_micros),
                tested_channel,
                test_error,
                test_passed: passed != 0,
            }
        },
    ))
}

/// Saves new settings; an earlier test result no longer speaks for them.
pub async fn save_messaging(
    tx: &mut Tx,
    m: &MessagingRow,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO messaging_settings (id, smtp_url, from_address, sms_gateway_url, sms_token, version, updated_at, test_passed) \
         VALUES (1, $1, $2, $3, $4, $5, $6, 0) \
         ON CONFLICT (id) DO UPDATE SET smtp_url = $1, from_address = $2, sms_gateway_url = $3, sms_token = $4, \
         version = $5, updated_at = $6, tested_at = NULL, tested_channel = NULL, test_error = NULL, test_passed = 0"
    )
    .bind(m.smtp_url.as_deref())
    .bind(&m.from_address)
    .bind(m.sms_gateway_url.as_deref())
    .bind(m.sms_token.as_deref())
    .bind(m.version)
    .bind(now.as_micros()))?;
    Ok(())
}

/// Records how a test message went, for the settings of `version`. When
/// no settings were saved here (the configuration file's are in force),
/// the row is made to hold the result.
pub async fn record_test(
    tx: &mut Tx,
    channel: &str,
    error: Option<&str>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO messaging_settings (id, from_address, version, updated_at, tested_at, tested_channel, test_error, test_passed) \
         VALUES (1, '', 0, $1, $1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET tested_at = $1, tested_channel = $2, test_error = $3, test_passed = $4"
    )
    .bind(now.as_micros())
    .bind(channel)
    .bind(error)
    .bind(i64::from(error.is_none())))?;
    Ok(())
}
