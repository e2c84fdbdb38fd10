//! Working hours as a form or the API gives them, and how they are read:
//! weekdays, dates and times in the words the practice writes them.

use jiff::civil::{Date, Time, Weekday};

use super::{HoursPattern, HoursTemplate, MAX_WINDOWS, Repeats};
use crate::ValidationErrors;
use crate::ids::LocationId;
use crate::input::{ParseInput, non_blank};
use crate::scheduling::Window;

/// One window of a template as a form or the API gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DayHoursInput {
    /// `monday` … `sunday` (or `mon` … `sun`).
    pub weekday: String,
    /// Local time, `HH:MM`, 24-hour.
    pub start: String,
    /// Local time, `HH:MM`, after `start`.
    pub end: String,
    /// Whether double-booking is allowed in this window.
    #[serde(default)]
    pub overbook: bool,
}

/// A working-hours template as a form or the API gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HoursInput {
    /// Where these hours are worked.
    pub location_id: String,
    /// The first day, `YYYY-MM-DD`.
    pub effective_from: String,
    /// The last day, `YYYY-MM-DD`; absent or empty for no end.
    #[serde(default)]
    pub effective_until: Option<String>,
    /// `every_week` (the default) or `every_other_week`.
    #[serde(default)]
    pub repeats: Option<String>,
    pub days: Vec<DayHoursInput>,
}

/// Reads `mon`, `Monday`, `tuesday` … as a weekday.
pub fn parse_weekday(raw: &str) -> Option<Weekday> {
    let lower = raw.trim().to_ascii_lowercase();
    let day = match lower.get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    };
    let full = weekday_name(day).to_ascii_lowercase();
    (lower.len() == 3 || full == lower).then_some(day)
}

/// The weekday's English name.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// Reads a local date written `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<Date, String> {
    let raw = raw.trim();
    if raw.len() != 10 {
        return Err("write the date as YYYY-MM-DD, such as 2027-01-04".into());
    }
    raw.parse::<Date>()
        .map_err(|_| format!("{raw:?} is not a date; write it as YYYY-MM-DD, such as 2027-01-04"))
}

/// Reads a local time written `HH:MM` (24-hour).
pub fn parse_time(raw: &str) -> Result<Time, String> {
    let raw = raw.trim();
    let parsed = (raw.len() == 5 && raw.as_bytes()[2] == b':')
        .then(|| raw.parse::<Time>().ok())
        .flatten();
    parsed.ok_or_else(|| {
        format!(
            "{:?} is not a time; write it as HH:MM on the 24-hour clock, such as 08:30 or 17:00",
            raw.chars().take(20).collect::<String>()
        )
    })
}

impl HoursInput {
    /// Monday to Friday, the same hours each day, every week from `from`:
    /// the usual clinic week, which the set-up offers first.
    pub fn weekdays(location: LocationId, from: Date, start: &str, end: &str) -> Self {
        Self {
            location_id: location.to_string(),
            effective_from: from.to_string(),
            effective_until: None,
            repeats: None,
            days: ["monday", "tuesday", "wednesday", "thursday", "friday"]
                .map(|weekday| DayHoursInput {
                    weekday: weekday.into(),
                    start: start.into(),
                    end: end.into(),
                    overbook: false,
                })
                .to_vec(),
        }
    }

    /// Checks every field and reports every problem at once.
    pub fn validate(&self) -> Result<(LocationId, HoursPattern), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let location = crate::ids::parse_field(&mut errors, "location_id", &self.location_id);
        let from = parse_date(&self.effective_from)
            .map_err(|m| errors.add("effective_from", m))
            .ok();
        let until = match self.effective_until.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => parse_date(raw)
                .map_err(|m| errors.add("effective_until", m))
                .ok(),
        };
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            errors.add(
                "effective_until",
                "the last day comes before the first; leave it empty for hours with no end",
            );
        }
        let repeats = match self.repeats.as_deref().map(str::trim) {
            None | Some("") => Some(Repeats::EveryWeek),
            Some(raw) => raw
                .parse::<Repeats>()
                .map_err(|m| errors.add("repeats", m))
                .ok(),
        };
        if self.days.is_empty() {
            errors.add(
                "days",
                "give at least one day with its hours, such as Monday 08:00 to 17:00",
            );
        } else if self.days.len() > MAX_WINDOWS {
            errors.add(
                "days",
                format!(
                    "{} windows is too many; a template holds at most {MAX_WINDOWS}",
                    self.days.len()
                ),
            );
        }
        let mut days: Vec<Window> = Vec::new();
        for (i, d) in self.days.iter().enumerate().take(MAX_WINDOWS) {
            let field = |name: &str| format!("days[{i}].{name}");
            let weekday = parse_weekday(&d.weekday);
            if weekday.is_none() {
                errors.add(
                    field("weekday"),
                    "write the weekday as monday … sunday (or mon … sun)",
                );
            }
            let start = parse_time(&d.start)
                .map_err(|m| errors.add(field("start"), m))
                .ok();
            let end = parse_time(&d.end)
                .map_err(|m| errors.add(field("end"), m))
                .ok();
            if let (Some(weekday), Some(start), Some(end)) = (weekday, start, end) {
                match Window::new(weekday, start, end, d.overbook) {
                    Ok(w) => {
                        if let Some(other) = days
                            .iter()
                            .find(|o| o.weekday == w.weekday && o.start < w.end && w.start < o.end)
                        {
                            errors.add(
                                field("start"),
                                format!(
                                    "{} {}–{} overlaps {}–{} on the same day; join them or move one",
                                    weekday_name(weekday),
                                    start.strftime("%H:%M"),
                                    end.strftime("%H:%M"),
                                    other.start.strftime("%H:%M"),
                                    other.end.strftime("%H:%M"),
                                ),
                            );
                        } else {
                            days.push(w);
                        }
                    }
                    Err(_) => errors.add(
                        field("end"),
                        format!(
                            "the hours end at {} before they start at {}; an evening clinic ends by midnight",
                            end.strftime("%H:%M"),
                            start.strftime("%H:%M")
                        ),
                    ),
                }
            }
        }
        days.sort_by_key(|w| (w.weekday.to_monday_zero_offset(), w.start));
        match (location, from, repeats) {
            (Some(location), Some(effective_from), Some(repeats)) if errors.is_empty() => Ok((
                location,
                HoursPattern {
                    effective_from,
                    effective_until: until,
                    repeats,
                    days,
                },
            )),
            _ => Err(errors),
        }
    }
}

impl HoursTemplate {
    /// The template as a form or the API would give it back.
    pub fn to_input(&self) -> HoursInput {
        let p = &self.pattern;
        HoursInput {
            location_id: self.location_id.to_string(),
            effective_from: p.effective_from.to_string(),
            effective_until: p.effective_until.map(|d| d.to_string()),
            repeats: Some(p.repeats.as_str().to_string()),
            days: p
                .days
                .iter()
                .map(|w| DayHoursInput {
                    weekday: weekday_name(w.weekday).to_ascii_lowercase(),
                    start: w.start.strftime("%H:%M").to_string(),
                    end: w.end.strftime("%H:%M").to_string(),
                    overbook: w.overbook,
                })
                .collect(),
        }
    }
}

/// A template's place, dates and windows, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursFields {
    pub location_id: LocationId,
    pub pattern: HoursPattern,
}

impl ParseInput for HoursFields {
    type Raw = HoursInput;

    fn parse(raw: HoursInput) -> Result<Self, ValidationErrors> {
        let (location_id, pattern) = raw.validate()?;
        Ok(Self {
            location_id,
            pattern,
        })
    }
}

/// The hours form as the browser sends it: the template's place and dates,
/// and one row a weekday (`mon_start`, `mon_end`, `mon_overbook` …) whose
/// times left empty mean the day is not worked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct HoursFormInput {
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub effective_from: String,
    #[serde(default)]
    pub effective_until: Option<String>,
    #[serde(default)]
    pub repeats: Option<String>,
    #[serde(default)]
    pub mon_start: Option<String>,
    #[serde(default)]
    pub mon_end: Option<String>,
    #[serde(default)]
    pub mon_overbook: Option<String>,
    #[serde(default)]
    pub tue_start: Option<String>,
    #[serde(default)]
    pub tue_end: Option<String>,
    #[serde(default)]
    pub tue_overbook: Option<String>,
    #[serde(default)]
    pub wed_start: Option<String>,
    #[serde(default)]
    pub wed_end: Option<String>,
    #[serde(default)]
    pub wed_overbook: Option<String>,
    #[serde(default)]
    pub thu_start: Option<String>,
    #[serde(default)]
    pub thu_end: Option<String>,
    #[serde(default)]
    pub thu_overbook: Option<String>,
    #[serde(default)]
    pub fri_start: Option<String>,
    #[serde(default)]
    pub fri_end: Option<String>,
    #[serde(default)]
    pub fri_overbook: Option<String>,
    #[serde(default)]
    pub sat_start: Option<String>,
    #[serde(default)]
    pub sat_end: Option<String>,
    #[serde(default)]
    pub sat_overbook: Option<String>,
    #[serde(default)]
    pub sun_start: Option<String>,
    #[serde(default)]
    pub sun_end: Option<String>,
    #[serde(default)]
    pub sun_overbook: Option<String>,
}

impl From<HoursFormInput> for HoursInput {
    /// The form in the API's shape: a day with both times empty is not
    /// worked; a ticked overbooking box sends `on`.
    fn from(f: HoursFormInput) -> Self {
        let rows = [
            ("monday", f.mon_start, f.mon_end, f.mon_overbook),
            ("tuesday", f.tue_start, f.tue_end, f.tue_overbook),
            ("wednesday", f.wed_start, f.wed_end, f.wed_overbook),
            ("thursday", f.thu_start, f.thu_end, f.thu_overbook),
            ("friday", f.fri_start, f.fri_end, f.fri_overbook),
            ("saturday", f.sat_start, f.sat_end, f.sat_overbook),
            ("sunday", f.sun_start, f.sun_end, f.sun_overbook),
        ];
        let days = rows
            .into_iter()
            .filter(|(_, start, end, _)| {
                non_blank(start.as_deref()).is_some() || non_blank(end.as_deref()).is_some()
            })
            .map(|(weekday, start, end, overbook)| DayHoursInput {
                weekday: weekday.into(),
                start: start.unwrap_or_default(),
                end: end.unwrap_or_default(),
                overbook: overbook.as_deref() == Some("on"),
            })
            .collect();
        Self {
            location_id: f.location_id,
            effective_from: f.effective_from,
            effective_until: non_blank(f.effective_until.as_deref()).map(str::to_string),
            repeats: non_blank(f.repeats.as_deref()).map(str::to_string),
            days,
        }
    }
}

/// A template as the hours form gives it, checked like the API's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursForm(pub HoursFields);

impl ParseInput for HoursForm {
    type Raw = HoursFormInput;

    fn parse(raw: HoursFormInput) -> Result<Self, ValidationErrors> {
        HoursFields::parse(raw.into()).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LOC: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

    #[test]
    fn the_form_reads_as_the_api_days_it_fills() {
        let form = HoursFormInput {
            location_id: LOC.into(),
            effective_from: "2027-01-04".into(),
            effective_until: Some(" ".into()),
            repeats: Some(String::new()),
            mon_start: Some("08:00".into()),
            mon_end: Some("12:00".into()),
            mon_overbook: Some("on".into()),
            wed_start: Some("13:00".into()),
            wed_end: Some(String::new()),
            fri_start: Some(String::new()),
            fri_end: Some(String::new()),
            ..HoursFormInput::default()
        };
        let api: HoursInput = form.clone().into();
        assert_eq!(api.effective_until, None);
        assert_eq!(api.repeats, None);
        assert_eq!(api.days.len(), 2, "an empty day is not worked: {api:?}");
        assert!(api.days[0].overbook);
        let errors = HoursForm::parse(form.clone()).unwrap_err();
        assert!(errors.for_field("days[1].end").is_some(), "{errors:?}");
        let ok = HoursForm::parse(HoursFormInput {
            wed_start: None,
            ..form
        })
        .unwrap();
        assert_eq!(ok.0.pattern.days.len(), 1);
        assert_eq!(ok.0.location_id.to_string(), LOC);
    }

    proptest! {
        /// Whatever the browser sends, the form parses or names a field,
        /// and a day is worked exactly when one of its times was given.
        #[test]
        fn a_form_day_is_worked_when_a_time_is_given(start in "[0-9: ]{0,6}", end in "[0-9: ]{0,6}") {
            let form = HoursFormInput {
                location_id: LOC.into(),
                effective_from: "2027-01-04".into(),
                tue_start: Some(start.clone()),
                tue_end: Some(end.clone()),
                ..HoursFormInput::default()
            };
            let api: HoursInput = form.clone().into();
            let given = !start.trim().is_empty() || !end.trim().is_empty();
            prop_assert_eq!(api.days.len(), usize::from(given));
            if let Err(errors) = HoursForm::parse(form) {
                prop_assert!(!errors.is_empty());
            }
        }
    }
}
