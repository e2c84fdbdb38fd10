//! A provider's time off as a form or the API gives it: whole local days,
//! at one location or wherever they work, with a reason the front desk is
//! shown when a booking runs into it.

use jiff::civil::Date;

use super::hours::parse_date;
use crate::ValidationErrors;
use crate::ids::{LocationId, parse_field};
use crate::input::{ParseInput, non_blank};
use crate::tenancy::validate_name;

/// Days a provider is away: closed for bookings from the first day's
/// midnight to the last day's end, at one location or all of theirs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TimeOffInput {
    /// `YYYY-MM-DD`.
    pub first: String,
    /// `YYYY-MM-DD`; absent for one day.
    #[serde(default)]
    pub last: Option<String>,
    /// Absent: wherever they work.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Shown to the front desk when a booking runs into it.
    pub reason: String,
}

/// Time off, checked: the days in order, the place if one, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOffFields {
    pub first: Date,
    /// The same as `first` for one day.
    pub last: Date,
    /// None: wherever they work.
    pub location_id: Option<LocationId>,
    pub reason: String,
}

impl ParseInput for TimeOffFields {
    type Raw = TimeOffInput;

    fn parse(raw: TimeOffInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let first = parse_date(&raw.first)
            .map_err(|m| errors.add("first", m))
            .ok();
        let last = match non_blank(raw.last.as_deref()) {
            None => first,
            Some(text) => parse_date(text).map_err(|m| errors.add("last", m)).ok(),
        };
        if let (Some(first), Some(last)) = (first, last)
            && last < first
        {
            errors.add("last", "the last day comes before the first");
        }
        let location_id = non_blank(raw.location_id.as_deref())
            .and_then(|text| parse_field(&mut errors, "location_id", text));
        let reason = validate_name(&mut errors, "reason", &raw.reason);
        match (first, last, reason) {
            (Some(first), Some(last), Some(reason)) if errors.is_empty() => Ok(Self {
                first,
                last,
                location_id,
                reason,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn input(first: &str, last: &str, location: &str, reason: &str) -> TimeOffInput {
        TimeOffInput {
            first: first.into(),
            last: Some(last.into()),
            location_id: Some(location.into()),
            reason: reason.into(),
        }
    }

    #[test]
    fn one_day_or_several_at_one_place_or_all() {
        let one = TimeOffFields::parse(input("2027-01-04", "", "", " Vacation ")).unwrap();
        assert_eq!((one.first, one.last), (date(2027, 1, 4), date(2027, 1, 4)));
        assert_eq!(one.location_id, None);
        assert_eq!(one.reason, "Vacation");
        let loc = "01890a5d-ac96-774b-bcce-b302099a8057";
        let week = TimeOffFields::parse(input("2027-01-04", "2027-01-08", loc, "CME")).unwrap();
        assert_eq!(week.last, date(2027, 1, 8));
        assert_eq!(week.location_id.unwrap().to_string(), loc);
    }

    #[test]
    fn every_field_is_checked_at_once() {
        let errors =
            TimeOffFields::parse(input("04/01/2027", "2027-02-30", "north", "")).unwrap_err();
        for field in ["first", "last", "location_id", "reason"] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
        let backwards =
            TimeOffFields::parse(input("2027-01-08", "2027-01-04", "", "CME")).unwrap_err();
        assert!(
            backwards
                .for_field("last")
                .unwrap()
                .contains("before the first")
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_keeps_the_days_in_order(first in ".{0,12}", last in ".{0,12}", reason in ".{0,40}") {
            if let Ok(t) = TimeOffFields::parse(input(&first, &last, "", &reason)) {
                prop_assert!(t.first <= t.last);
            }
        }
    }
}
