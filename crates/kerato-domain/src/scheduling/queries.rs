//! What a booking script asks of the schedule, as the query string of a
//! `GET` carries it: every parameter arrives as text, parses once into a
//! typed filter, and every problem is reported with the parameter's name
//! and how to fix it.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::error::ValidationErrors;
use crate::ids::{LocationId, ProviderId};
use crate::time::Timestamp;

/// Longest run of days one closures query covers.
pub const MAX_CLOSURE_DAYS: i32 = 366;

fn id<T: std::str::FromStr>(
    errors: &mut ValidationErrors,
    field: &str,
    what: &str,
    list: &str,
    raw: Option<&str>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match raw.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(
                field,
                format!("not a {what} ID: use the `id` of one from {list}"),
            );
            None
        }
    }
}

fn location_id(errors: &mut ValidationErrors, raw: Option<&str>) -> Option<LocationId> {
    id(errors, "location_id", "location", "GET /api/locations", raw)
}

fn required<T>(
    errors: &mut ValidationErrors,
    field: &str,
    how: &str,
    value: Option<T>,
    raw: Option<&str>,
) -> Option<T> {
    if raw.map(str::trim).is_none_or(str::is_empty) {
        errors.add(field, format!("required: {how}"));
    }
    value
}

fn date(errors: &mut ValidationErrors, field: &str, raw: Option<&str>) -> Option<Date> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    // jiff also reads forms such as `2026-6-1`; a script gets one spelling.
    let well_formed = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    match raw.parse::<Date>() {
        Ok(d) if well_formed => Some(d),
        _ => {
            errors.add(
                field,
                "write the date as YYYY-MM-DD, a real day in the location's calendar",
            );
            None
        }
    }
}

/// `GET /api/resources`: the rooms and devices, of one location or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ResourcesQuery {
    /// Only this location's; every location's when absent.
    #[serde(default)]
    pub location_id: Option<String>,
}

/// Which resources to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceFilter {
    pub location: Option<LocationId>,
}

impl ResourcesQuery {
    pub fn validate(&self) -> Result<ResourceFilter, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let location = location_id(&mut errors, self.location_id.as_deref());
        errors.into_result(ResourceFilter { location })
    }
}

/// `GET /api/closures`: holidays and time off touching a run of days.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ClosuresQuery {
    /// The first local day, `YYYY-MM-DD`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(required = true))]
    pub from: Option<String>,
    /// The last local day, `YYYY-MM-DD`, at most 366 days after `from`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(required = true))]
    pub to: Option<String>,
    /// Only closures that keep someone from seeing patients here.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Only closures that keep this provider from seeing patients.
    #[serde(default)]
    pub provider_id: Option<String>,
}

/// Which closures to list: those whose local days meet `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosureFilter {
    pub from: Date,
    pub to: Date,
    pub location: Option<LocationId>,
    pub provider: Option<ProviderId>,
}

impl ClosuresQuery {
    pub fn validate(&self) -> Result<ClosureFilter, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let from = date(&mut errors, "from", self.from.as_deref());
        let from = required(
            &mut errors,
            "from",
            "the first day, YYYY-MM-DD",
            from,
            self.from.as_deref(),
        );
        let to = date(&mut errors, "to", self.to.as_deref());
        let to = required(
            &mut errors,
            "to",
            "the last day, YYYY-MM-DD",
            to,
            self.to.as_deref(),
        );
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add("to", "the last day comes before the first; swap them");
            } else if (to - from).get_days() + 1 > MAX_CLOSURE_DAYS {
                errors.add(
                    "to",
                    format!("ask for at most {MAX_CLOSURE_DAYS} days at a time"),
                );
            }
        }
        let location = location_id(&mut errors, self.location_id.as_deref());
        let provider = id(
            &mut errors,
            "provider_id",
            "provider",
            "GET /api/providers",
            self.provider_id.as_deref(),
        );
        match (from, to) {
            (Some(from), Some(to)) if errors.is_empty() => Ok(ClosureFilter {
                from,
                to,
                location,
                provider,
            }),
            _ => Err(errors),
        }
    }
}

/// `GET /api/schedule`: one location's appointments on one local day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ScheduleQuery {
    /// The location's ID.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(required = true))]
    pub location_id: Option<String>,
    /// The location's local day, `YYYY-MM-DD`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", param(required = true))]
    pub date: Option<String>,
}

/// One location's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleDay {
    pub location: LocationId,
    pub date: Date,
}

impl ScheduleQuery {
    pub fn validate(&self) -> Result<ScheduleDay, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let location = location_id(&mut errors, self.location_id.as_deref());
        let location = required(
            &mut errors,
            "location_id",
            "the location's ID, from GET /api/locations",
            location,
            self.location_id.as_deref(),
        );
        let date = date(&mut errors, "date", self.date.as_deref());
        let date = required(
            &mut errors,
            "date",
            "the day, YYYY-MM-DD",
            date,
            self.date.as_deref(),
        );
        match (location, date) {
            (Some(location), Some(date)) if errors.is_empty() => Ok(ScheduleDay { location, date }),
            _ => Err(errors),
        }
    }
}

/// The local days a closure from `starts_at` to `ends_at` (exclusive)
/// covers in `tz`: the day it starts and the day of its last instant.
pub fn closure_days(starts_at: Timestamp, ends_at: Timestamp, tz: &TimeZone) -> (Date, Date) {
    let day = |t: Timestamp| t.to_jiff().to_zoned_datetime(tz.clone()).date();
    let last = Timestamp::from_micros(
        ends_at
            .as_micros()
            .saturating_sub(1)
            .max(starts_at.as_micros()),
    );
    (day(starts_at), day(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn a_schedule_query_names_each_missing_or_bad_parameter() {
        let day = ScheduleQuery {
            location_id: some("0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f"),
            date: some("2026-06-01"),
        }
        .validate()
        .unwrap();
        assert_eq!(day.date, jiff::civil::date(2026, 6, 1));
        let e = ScheduleQuery::default().validate().unwrap_err();
        assert!(e.for_field("location_id").unwrap().starts_with("required"));
        assert!(e.for_field("date").unwrap().starts_with("required"));
        let e = ScheduleQuery {
            location_id: some("north"),
            date: some("2026-6-1"),
        }
        .validate()
        .unwrap_err();
        assert!(
            e.for_field("location_id")
                .unwrap()
                .contains("GET /api/locations")
        );
        assert!(e.for_field("date").unwrap().contains("YYYY-MM-DD"));
        let e = ScheduleQuery {
            location_id: some("0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f"),
            date: some("2026-02-30"),
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("date").is_some());
    }

    #[test]
    fn a_closures_query_wants_a_run_of_days_in_order_and_not_too_long() {
        let q = |from: &str, to: &str| ClosuresQuery {
            from: some(from),
            to: some(to),
            ..Default::default()
        };
        let f = q("2026-12-24", "2026-12-26").validate().unwrap();
        assert_eq!((f.location, f.provider), (None, None));
        let e = q("2026-12-26", "2026-12-24").validate().unwrap_err();
        assert!(e.for_field("to").unwrap().contains("before"));
        assert!(q("2026-01-01", "2026-12-31").validate().is_ok());
        assert!(q("2026-01-01", "2027-01-01").validate().is_ok());
        let e = q("2026-01-01", "2027-01-02").validate().unwrap_err();
        assert!(e.for_field("to").unwrap().contains("366"));
        let e = ClosuresQuery {
            provider_id: some("dr-rivera"),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("from").is_some() && e.for_field("to").is_some());
        assert!(
            e.for_field("provider_id")
                .unwrap()
                .contains("GET /api/providers")
        );
    }

    #[test]
    fn a_closure_ends_on_the_day_of_its_last_instant() {
        let tz = jiff::tz::db().get("America/Chicago").unwrap();
        let midnight = |d: Date| {
            super::super::resolve_local_time(&tz, "", d, jiff::civil::Time::midnight(), None)
                .unwrap()
        };
        let first = jiff::civil::date(2026, 12, 24);
        let after = jiff::civil::date(2026, 12, 27);
        assert_eq!(
            closure_days(midnight(first), midnight(after), &tz),
            (first, jiff::civil::date(2026, 12, 26))
        );
    }
}
