//! What the front desk and a booking script ask of the schedule, parsed
//! once: a booking (`POST /api/appointments` and the booking form), a move
//! to another time, a cancellation. Each names every field's problem and
//! how to fix it before any use case runs.

use jiff::civil::{Date, Time};

use crate::ValidationErrors;
use crate::ids::{AppointmentTypeId, LocationId, PatientId, ProviderId, ResourceId, parse_field};
use crate::input::{ParseInput, non_blank};

use super::{Recurrence, RepeatedHour, VisitStatus};

/// The longest appointment that can be booked, in minutes.
pub const MAX_DURATION_MINUTES: i64 = 8 * 60;
/// The most rooms or devices one booking may name.
pub const MAX_CHOSEN_RESOURCES: usize = 8;
/// The longest cancellation reason, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// A required ID field.
fn required_id<T: std::str::FromStr>(
    errors: &mut ValidationErrors,
    field: &str,
    raw: &str,
) -> Option<T> {
    parse_field(errors, field, raw)
}

/// An optional ID field: absent when blank.
pub(crate) fn optional_id<T: std::str::FromStr>(
    errors: &mut ValidationErrors,
    field: &str,
    raw: Option<&str>,
) -> Option<T> {
    non_blank(raw).and_then(|r| parse_field(errors, field, r))
}

/// An ID picked from a list: blank means nothing was chosen.
pub(crate) fn chosen<T: std::str::FromStr>(
    errors: &mut ValidationErrors,
    field: &str,
    what: &str,
    raw: &str,
) -> Option<T> {
    if raw.trim().is_empty() {
        errors.add(field, format!("choose {what}"));
        return None;
    }
    parse_field(errors, field, raw)
}

/// A local date, `YYYY-MM-DD`.
pub(crate) fn local_date(errors: &mut ValidationErrors, field: &str, raw: &str) -> Option<Date> {
    raw.trim()
        .parse::<Date>()
        .map_err(|_| errors.add(field, "write the date as YYYY-MM-DD"))
        .ok()
}

/// A local clock time, `HH:MM`.
pub(crate) fn clock_time(errors: &mut ValidationErrors, field: &str, raw: &str) -> Option<Time> {
    raw.trim()
        .parse::<Time>()
        .map_err(|_| errors.add(field, "write the time as HH:MM, 24-hour"))
        .ok()
}

/// Which occurrence of a repeated hour a form chose: blank means neither.
fn repeated_hour(errors: &mut ValidationErrors, raw: Option<&str>) -> Option<RepeatedHour> {
    match non_blank(raw)? {
        "first" => Some(RepeatedHour::First),
        "second" => Some(RepeatedHour::Second),
        _ => {
            errors.add("repeated_hour", "choose first or second");
            None
        }
    }
}

/// A cancellation's reason: required, and short.
pub fn cancel_reason(errors: &mut ValidationErrors, raw: Option<&str>) -> Option<String> {
    match non_blank(raw) {
        Some(r) if r.chars().count() <= MAX_REASON_CHARS => Some(r.to_string()),
        _ => {
            errors.add(
                "reason",
                format!("give a reason for the cancellation, up to {MAX_REASON_CHARS} characters"),
            );
            None
        }
    }
}

/// Where and when to book, and with whom: everything of a booking but the
/// patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotChoice {
    pub provider_id: ProviderId,
    pub location_id: LocationId,
    pub appointment_type_id: AppointmentTypeId,
    /// The clinic's local date and time.
    pub date: Date,
    pub time: Time,
    /// Which occurrence, when the time happens twice as DST ends.
    pub repeated_hour: Option<RepeatedHour>,
    /// Overrides the type's duration.
    pub duration_minutes: Option<i64>,
    /// Particular rooms or devices; the type's other needs are assigned.
    pub resource_ids: Vec<ResourceId>,
}

/// The text of a slot's fields, however they were sent.
struct SlotText<'a> {
    provider_id: &'a str,
    location_id: &'a str,
    appointment_type_id: &'a str,
    date: &'a str,
    time: &'a str,
    repeated_hour: Option<RepeatedHour>,
    duration_minutes: Option<i64>,
    resource_ids: &'a [String],
}

impl SlotText<'_> {
    fn parse(&self, e: &mut ValidationErrors) -> Option<SlotChoice> {
        let provider_id = required_id(e, "provider_id", self.provider_id);
        let location_id = required_id(e, "location_id", self.location_id);
        let appointment_type_id = required_id(e, "appointment_type_id", self.appointment_type_id);
        let date = local_date(e, "date", self.date);
        let time = clock_time(e, "time", self.time);
        if let Some(d) = self.duration_minutes
            && !(1..=MAX_DURATION_MINUTES).contains(&d)
        {
            e.add(
                "duration_minutes",
                format!("a duration is 1 to {MAX_DURATION_MINUTES} minutes"),
            );
        }
        if self.resource_ids.len() > MAX_CHOSEN_RESOURCES {
            e.add(
                "resource_ids",
                format!("choose at most {MAX_CHOSEN_RESOURCES} resources"),
            );
        }
        let resource_ids: Vec<ResourceId> = self
            .resource_ids
            .iter()
            .filter_map(|r| required_id(e, "resource_ids", r))
            .collect();
        Some(SlotChoice {
            provider_id: provider_id?,
            location_id: location_id?,
            appointment_type_id: appointment_type_id?,
            date: date?,
            time: time?,
            repeated_hour: self.repeated_hour,
            duration_minutes: self.duration_minutes,
            resource_ids,
        })
    }
}

/// `POST /api/appointments`: a booking as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    pub provider_id: String,
    pub patient_id: String,
    pub location_id: String,
    pub appointment_type_id: String,
    /// The clinic's local date, `YYYY-MM-DD`.
    pub date: String,
    /// The clinic's local time, `HH:MM`.
    pub time: String,
    /// Which occurrence, when the time happens twice as DST ends.
    #[serde(default)]
    pub repeated_hour: Option<RepeatedHour>,
    /// Overrides the type's duration.
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    /// Particular rooms or devices; the type's other needs are assigned.
    #[serde(default)]
    pub resource_ids: Vec<String>,
}

/// A booking of one patient, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingInput {
    pub patient_id: PatientId,
    pub slot: SlotChoice,
}

impl ParseInput for BookingInput {
    type Raw = BookingRequest;

    fn parse(raw: BookingRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patient_id = required_id(&mut e, "patient_id", &raw.patient_id);
        let slot = SlotText {
            provider_id: &raw.provider_id,
            location_id: &raw.location_id,
            appointment_type_id: &raw.appointment_type_id,
            date: &raw.date,
            time: &raw.time,
            repeated_hour: raw.repeated_hour,
            duration_minutes: raw.duration_minutes,
            resource_ids: &raw.resource_ids,
        }
        .parse(&mut e);
        match (patient_id, slot) {
            (Some(patient_id), Some(slot)) if e.is_empty() => Ok(Self { patient_id, slot }),
            _ => Err(e),
        }
    }
}

/// What find-next-available searches: a type, optionally one provider or
/// one location, from a local date on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotQuery {
    pub appointment_type: Option<AppointmentTypeId>,
    pub provider: Option<ProviderId>,
    pub location: Option<LocationId>,
    pub from: Option<Date>,
    pub limit: usize,
}

/// How many free slots the booking form offers at once.
pub const FORM_OFFERS: usize = 5;

/// The booking form of a patient's page, as sent: its button says whether
/// to look for a slot or to book one (once, or as a series on the
/// weekdays given).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct BookingFormRequest {
    pub location_id: String,
    pub provider_id: String,
    pub appointment_type_id: String,
    pub date: String,
    pub time: String,
    /// e.g. `mon,wed,fri`; blank for a single booking.
    pub weekdays: String,
    pub weeks: String,
    /// `find` to look for the next free slots.
    pub action: String,
}

/// What the booking form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingForm {
    /// The next free slots for a visit, to fill the form in.
    Find(SlotQuery),
    /// A booking of the page's patient, once or as a series.
    Book {
        slot: SlotChoice,
        series: Option<Recurrence>,
    },
}

impl ParseInput for BookingForm {
    type Raw = BookingFormRequest;

    fn parse(raw: BookingFormRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if raw.action == "find" {
            let kind = chosen(
                &mut e,
                "appointment_type_id",
                "a visit",
                &raw.appointment_type_id,
            );
            let location = chosen(&mut e, "location_id", "a location", &raw.location_id);
            let provider = optional_id(&mut e, "provider_id", Some(&raw.provider_id));
            return e.into_result(Self::Find(SlotQuery {
                appointment_type: kind,
                provider,
                location,
                from: None,
                limit: FORM_OFFERS,
            }));
        }
        let slot = SlotText {
            provider_id: &raw.provider_id,
            location_id: &raw.location_id,
            appointment_type_id: &raw.appointment_type_id,
            date: &raw.date,
            time: &raw.time,
            repeated_hour: None,
            duration_minutes: None,
            resource_ids: &[],
        }
        .parse(&mut e);
        let series = if raw.weekdays.trim().is_empty() {
            None
        } else {
            match raw.weeks.trim().parse::<i64>() {
                Ok(weeks) => Recurrence::parse(&raw.weekdays, weeks)
                    .map_err(|m| e.add("weekdays", m))
                    .ok(),
                Err(_) => {
                    e.add("weeks", "write the number of weeks");
                    None
                }
            }
        };
        match slot {
            Some(slot) if e.is_empty() => Ok(Self::Book { slot, series }),
            _ => Err(e),
        }
    }
}

/// A move of an appointment to another local date and time, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct RescheduleRequest {
    pub date: String,
    pub time: String,
    /// `first` or `second` when the time happens twice; blank otherwise.
    pub repeated_hour: Option<String>,
}

/// A move of an appointment, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RescheduleInput {
    pub date: Date,
    pub time: Time,
    pub repeated_hour: Option<RepeatedHour>,
}

impl ParseInput for RescheduleInput {
    type Raw = RescheduleRequest;

    fn parse(raw: RescheduleRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let date = local_date(&mut e, "date", &raw.date);
        let time = clock_time(&mut e, "time", &raw.time);
        let repeated_hour = repeated_hour(&mut e, raw.repeated_hour.as_deref());
        match (date, time) {
            (Some(date), Some(time)) if e.is_empty() => Ok(Self {
                date,
                time,
                repeated_hour,
            }),
            _ => Err(e),
        }
    }
}

/// A cancellation as sent: the reason, and `series` in `scope` to cancel
/// the rest of the appointment's series too.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct CancelRequest {
    pub reason: Option<String>,
    pub scope: Option<String>,
}

/// A cancellation, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelInput {
    pub reason: String,
    /// This and the series' later booked appointments, not just this one.
    pub whole_series: bool,
}

impl ParseInput for CancelInput {
    type Raw = CancelRequest;

    fn parse(raw: CancelRequest) -> Result<Self, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let reason = cancel_reason(&mut e, raw.reason.as_deref());
        let whole_series = match non_blank(raw.scope.as_deref()) {
            None | Some("one") => false,
            Some("series") => true,
            Some(_) => {
                e.add("scope", "choose one (this appointment) or series");
                false
            }
        };
        e.into_result(reason)?
            .map(|reason| Self {
                reason,
                whole_series,
            })
            .ok_or_else(ValidationErrors::new)
    }
}

/// A move of an appointment along the visit, as the schedule's buttons
/// send it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct StatusRequest {
    pub status: String,
    /// Required when cancelling.
    pub reason: Option<String>,
}

/// A move of an appointment along the visit, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: VisitStatus,
    pub reason: Option<String>,
}

impl ParseInput for StatusChange {
    type Raw = StatusRequest;

    fn parse(raw: StatusRequest) -> Result<Self, ValidationErrors> {
        let status = VisitStatus::parse(raw.status.trim()).ok_or_else(|| {
            let all: Vec<&str> = VisitStatus::ALL.iter().map(|s| s.as_str()).collect();
            ValidationErrors::single("status", format!("use one of {}", all.join(", ")))
        })?;
        Ok(Self {
            status,
            reason: non_blank(raw.reason.as_deref()).map(String::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "0190b4a4-7d3c-7cc1-8f1e-5d7a3f0b9c21";

    fn request() -> BookingRequest {
        BookingRequest {
            provider_id: ID.into(),
            patient_id: ID.into(),
            location_id: ID.into(),
            appointment_type_id: ID.into(),
            date: "2027-06-07".into(),
            time: "09:00".into(),
            ..Default::default()
        }
    }

    fn fields(e: &ValidationErrors) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_whole_booking_parses_and_ids_are_read_in_lower_case() {
        let b = BookingInput::parse(BookingRequest {
            patient_id: ID.to_uppercase(),
            resource_ids: vec![ID.into()],
            duration_minutes: Some(45),
            ..request()
        })
        .unwrap();
        assert_eq!(b.patient_id.to_string(), ID);
        assert_eq!(b.slot.date, Date::new(2027, 6, 7).unwrap());
        assert_eq!(b.slot.time, Time::new(9, 0, 0, 0).unwrap());
        assert_eq!(b.slot.duration_minutes, Some(45));
        assert_eq!(b.slot.resource_ids.len(), 1);
    }

    #[test]
    fn every_bad_field_of_a_booking_is_named_at_once() {
        let e = BookingInput::parse(BookingRequest {
            provider_id: "nope".into(),
            patient_id: String::new(),
            location_id: ID.into(),
            appointment_type_id: "x".into(),
            date: "2027-02-30".into(),
            time: "25:00".into(),
            duration_minutes: Some(0),
            resource_ids: vec!["r".into(); MAX_CHOSEN_RESOURCES + 1],
            ..Default::default()
        })
        .unwrap_err();
        let f = fields(&e);
        for name in [
            "patient_id",
            "provider_id",
            "appointment_type_id",
            "date",
            "time",
            "duration_minutes",
            "resource_ids",
        ] {
            assert!(f.contains(&name), "{name} in {f:?}");
        }
        assert!(!f.contains(&"location_id"), "{f:?}");
    }

    #[test]
    fn the_form_finds_or_books_once_or_as_a_series() {
        let form = |action: &str, weekdays: &str, weeks: &str| BookingFormRequest {
            location_id: ID.into(),
            provider_id: String::new(),
            appointment_type_id: ID.into(),
            date: "2027-06-07".into(),
            time: "09:00".into(),
            weekdays: weekdays.into(),
            weeks: weeks.into(),
            action: action.into(),
        };
        assert!(matches!(
            BookingForm::parse(form("find", "", "")),
            Ok(BookingForm::Find(SlotQuery {
                provider: None,
                limit: FORM_OFFERS,
                ..
            }))
        ));
        // A booking needs its provider; a search does not.
        assert_eq!(
            fields(&BookingForm::parse(form("", "", "")).unwrap_err()),
            ["provider_id"]
        );
        let with_provider = |weekdays: &str, weeks: &str| BookingFormRequest {
            provider_id: ID.into(),
            ..form("", weekdays, weeks)
        };
        assert!(matches!(
            BookingForm::parse(with_provider("", "")),
            Ok(BookingForm::Book { series: None, .. })
        ));
        match BookingForm::parse(with_provider("mon,fri", "4")) {
            Ok(BookingForm::Book {
                series: Some(r), ..
            }) => assert_eq!(r.weeks, 4),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            fields(&BookingForm::parse(with_provider("mon", "many")).unwrap_err()),
            ["weeks"]
        );
        assert_eq!(
            fields(&BookingForm::parse(with_provider("funday", "2")).unwrap_err()),
            ["weekdays"]
        );
    }

    #[test]
    fn a_move_and_a_cancellation_name_their_problems() {
        let moved = RescheduleInput::parse(RescheduleRequest {
            date: "2027-11-07".into(),
            time: "01:30".into(),
            repeated_hour: Some("second".into()),
        })
        .unwrap();
        assert_eq!(moved.repeated_hour, Some(RepeatedHour::Second));
        let e = RescheduleInput::parse(RescheduleRequest {
            date: "soon".into(),
            time: "9am".into(),
            repeated_hour: Some("third".into()),
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["date", "time", "repeated_hour"]);
        let e = CancelInput::parse(CancelRequest {
            reason: Some("  ".into()),
            scope: Some("all".into()),
        })
        .unwrap_err();
        assert_eq!(fields(&e), ["reason", "scope"]);
        let c = CancelInput::parse(CancelRequest {
            reason: Some(" Moved away ".into()),
            scope: Some("series".into()),
        })
        .unwrap();
        assert_eq!((c.reason.as_str(), c.whole_series), ("Moved away", true));
        let moved = |status: &str| {
            StatusChange::parse(StatusRequest {
                status: status.into(),
                reason: Some(" ".into()),
            })
        };
        assert_eq!(
            moved("with_provider"),
            Ok(StatusChange {
                status: VisitStatus::WithProvider,
                reason: None
            })
        );
        assert_eq!(moved("gone").unwrap_err().errors[0].field, "status");
    }

    proptest! {
        #[test]
        fn a_duration_is_accepted_exactly_within_its_bounds(d in -100i64..1000) {
            let parsed = BookingInput::parse(BookingRequest { duration_minutes: Some(d), ..request() });
            prop_assert_eq!(parsed.is_ok(), (1..=MAX_DURATION_MINUTES).contains(&d));
        }

        #[test]
        fn a_reason_is_accepted_exactly_up_to_its_length(n in 0usize..400) {
            let parsed = CancelInput::parse(CancelRequest { reason: Some("x".repeat(n)), scope: None });
            prop_assert_eq!(parsed.is_ok(), (1..=MAX_REASON_CHARS).contains(&n));
        }
    }
}
