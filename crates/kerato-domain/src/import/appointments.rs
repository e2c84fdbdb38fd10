//! An appointment row read into what a booking names: a patient (by the
//! other system's ID or a Kerato MRN), a provider, a location and a visit
//! type by name, the local date and times, and the status it reached
//! there. Names and local times are resolved against the practice by the
//! app, which knows its providers, locations and time zones.

use jiff::civil::{Date, Time};

use super::mapping::{MappedRow, Mapping};
use crate::ValidationErrors;
use crate::scheduling::VisitStatus;

/// The longest appointment an import accepts, as a booking does.
pub const MAX_MINUTES: i64 = 8 * 60;
/// Longest provider, location or visit type name, as set-up allows.
const MAX_NAME_CHARS: usize = 100;
/// Longest cancellation reason, as the front desk's form allows.
const MAX_REASON_CHARS: usize = 200;

/// How a row names its patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientRef {
    /// The patient's ID in the other system, as a patient import of the
    /// same source remembered it.
    Key(String),
    /// A Kerato medical record number, seven digits.
    Mrn(String),
}

/// How long the appointment lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Until this local time the same day.
    Until(Time),
    Minutes(i64),
    /// The visit type's length.
    OfVisitType,
}

/// An appointment row, read and checked as far as it can be without the
/// practice's set-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentDraft {
    pub patient: PatientRef,
    pub provider: String,
    pub location: String,
    pub visit_type: String,
    pub date: Date,
    pub start: Time,
    pub length: Length,
    pub status: VisitStatus,
    /// Set for a cancelled appointment.
    pub cancel_reason: Option<String>,
}

fn name(e: &mut ValidationErrors, row: &MappedRow, field: &str, what: &str) -> String {
    match row.get(field) {
        None => {
            e.add(field, format!("the row names no {what}"));
            String::new()
        }
        Some(v) if v.chars().count() > MAX_NAME_CHARS => {
            e.add(
                field,
                format!("the {what} is longer than {MAX_NAME_CHARS} characters; check the column"),
            );
            String::new()
        }
        Some(v) => v.to_string(),
    }
}

fn minutes(e: &mut ValidationErrors, field: &str, raw: &str, per_minute: i64) -> Option<i64> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 && (n + per_minute - 1) / per_minute <= MAX_MINUTES => {
            Some((n + per_minute - 1) / per_minute)
        }
        _ => {
            e.add(
                field,
                format!(
                    "{:?} is not a length: give a whole number from 1 to {} {}",
                    raw.chars().take(20).collect::<String>(),
                    MAX_MINUTES * per_minute,
                    if per_minute == 1 {
                        "minutes"
                    } else {
                        "seconds"
                    }
                ),
            );
            None
        }
    }
}

/// Reads a mapped appointment row, reporting every problem at once.
pub fn appointment_draft(
    row: &MappedRow,
    mapping: &Mapping,
) -> Result<AppointmentDraft, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let patient = match (row.get("patient_key"), row.get("patient_mrn")) {
        (Some(k), _) => Some(PatientRef::Key(k.to_string())),
        (None, Some(m)) => {
            let digits = m.trim_start_matches('0');
            if m.len() <= 7 && m.chars().all(|c| c.is_ascii_digit()) && !digits.is_empty() {
                Some(PatientRef::Mrn(format!("{m:0>7}")))
            } else {
                e.add(
                    "patient_mrn",
                    format!(
                        "{:?} is not a Kerato MRN: give the chart's record number, up to 7 digits",
                        m.chars().take(20).collect::<String>()
                    ),
                );
                None
            }
        }
        (None, None) => {
            e.add(
                "patient_key",
                "the row names no patient: give the patient's ID from the patient file, or their MRN",
            );
            None
        }
    };
    let provider = name(&mut e, row, "provider", "provider");
    let location = name(&mut e, row, "location", "location");
    let visit_type = name(&mut e, row, "visit_type", "visit type");
    let date = match row.get("date") {
        None => {
            e.add("date", "the row has no date");
            None
        }
        Some(d) => mapping.parse_date(d).map_err(|m| e.add("date", m)).ok(),
    };
    let start = match row.get("start_time") {
        None => {
            e.add("start_time", "the row has no start time");
            None
        }
        Some(t) => mapping
            .parse_time(t)
            .map_err(|m| e.add("start_time", m))
            .ok(),
    };
    let length = if let Some(t) = row.get("end_time") {
        mapping
            .parse_time(t)
            .map_err(|m| e.add("end_time", m))
            .ok()
            .map(Length::Until)
    } else if let Some(m) = row.get("duration_minutes") {
        minutes(&mut e, "duration_minutes", m, 1).map(Length::Minutes)
    } else if let Some(s) = row.get("duration_seconds") {
        minutes(&mut e, "duration_seconds", s, 60).map(Length::Minutes)
    } else {
        Some(Length::OfVisitType)
    };
    if let (Some(start), Some(Length::Until(end))) = (start, length)
        && end <= start
    {
        e.add(
            "end_time",
            format!(
                "the appointment ends ({}) before it starts ({}); check the times",
                end.strftime("%H:%M"),
                start.strftime("%H:%M")
            ),
        );
    }
    let status = match row.get("status") {
        None => Some(VisitStatus::Booked),
        Some(s) => VisitStatus::parse(&s.to_ascii_lowercase()).or_else(|| {
            let all: Vec<&str> = VisitStatus::ALL.iter().map(|v| v.as_str()).collect();
            e.add(
                "status",
                format!(
                    "{:?} is not an appointment status: use {}, or map the other system's code under [values.status]",
                    s.chars().take(20).collect::<String>(),
                    all.join(", ")
                ),
            );
            None
        }),
    };
    if let Some(r) = row.get("repeats")
        && !matches!(r.to_ascii_lowercase().as_str(), "0" | "no" | "false")
    {
        e.add(
            "repeats",
            "the row stands for a repeating series in the other system, and an import takes one appointment a row: export the series' occurrences one per row",
        );
    }
    let cancel_reason = match (status, row.get("cancel_reason")) {
        (Some(VisitStatus::Cancelled), reason) => {
            let reason = reason.map_or_else(
                || format!("cancelled in {} before the import", mapping.source),
                str::to_string,
            );
            if reason.chars().count() > MAX_REASON_CHARS {
                e.add(
                    "cancel_reason",
                    format!("the reason is longer than {MAX_REASON_CHARS} characters; shorten it"),
                );
            }
            Some(reason)
        }
        _ => None,
    };
    match (patient, date, start, length, status) {
        (Some(patient), Some(date), Some(start), Some(length), Some(status)) if e.is_empty() => {
            Ok(AppointmentDraft {
                patient,
                provider,
                location,
                visit_type,
                date,
                start,
                length,
                status,
                cancel_reason,
            })
        }
        _ => Err(e),
    }
}

/// Whether an appointment in this status holds its slot: cancelled and
/// missed appointments do not, as for bookings.
pub fn holds_slot(status: VisitStatus) -> bool {
    !matches!(status, VisitStatus::Cancelled | VisitStatus::NoShow)
}

/// The name a row gives, compared as people write names: case, accents,
/// punctuation and spacing ignored.
pub fn same_name(a: &str, b: &str) -> bool {
    crate::patients::fold(a) == crate::patients::fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportKind, Preset, RowRead, read_table};

    fn drafts(csv: &str) -> Vec<Result<AppointmentDraft, ValidationErrors>> {
        let m = Mapping::preset(Preset::Generic, ImportKind::Appointments, None).unwrap();
        let t = read_table(csv.as_bytes()).unwrap();
        let b = m.bind(&t.header).unwrap();
        t.rows
            .iter()
            .map(|r| match b.read(r) {
                RowRead::Mapped(r) => appointment_draft(&r, &m),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    const HEAD: &str = "id,patient_id,provider,location,visit_type,date,start_time,end_time,duration_minutes,status\n";

    #[test]
    fn a_good_row_reads_and_bad_ones_say_why() {
        let out = drafts(&format!(
            "{HEAD}1,7,Dr A,Main,Visit,2026-03-02,09:00,09:40,,arrived\n\
             2,7,Dr A,Main,Visit,2026-02-30,25:00,,600,gone\n\
             3,,,Main,Visit,2026-03-02,09:00,08:00,,\n\
             4,7,Dr A,Main,Visit,03/02/2026,9:00,,45,Cancelled\n"
        ));
        let a = out[0].as_ref().unwrap();
        assert_eq!(a.patient, PatientRef::Key("7".into()));
        assert_eq!(a.length, Length::Until(Time::constant(9, 40, 0, 0)));
        assert_eq!(a.status, VisitStatus::Arrived);
        let e = out[1].as_ref().unwrap_err();
        for f in ["date", "start_time", "duration_minutes", "status"] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        let e = out[2].as_ref().unwrap_err();
        for f in ["patient_key", "provider", "end_time"] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        let c = out[3].as_ref().unwrap();
        assert_eq!(c.status, VisitStatus::Cancelled);
        assert_eq!(c.length, Length::Minutes(45));
        assert!(c.cancel_reason.as_deref().unwrap().contains("generic"));
    }

    #[test]
    fn names_compare_as_people_write_them() {
        assert!(same_name("Dr. Ada  Okafor", "dr ada okafor"));
        assert!(same_name("Müller Eye", "MULLER EYE"));
        assert!(!same_name("Dr A", "Dr B"));
    }
}
