//! Mapping files: which column of another system's export each Kerato field
//! is read from, how that system's codes translate to Kerato's, the date
//! and time formats, and which rows are left out on purpose. A mapping is
//! TOML; the presets (`generic`, `openemr`) are mapping files too, bundled
//! here, and a practice's own file can be laid over a preset to add what
//! only it knows (its providers' and visit types' codes).

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};

use super::ImportKind;
use crate::scheduling::RepeatedHour;

mod binding;
mod fields;

pub use binding::{Binding, MAX_KEY_CHARS, MappedRow, RowRead};
pub use fields::{APPOINTMENT_FIELDS, FieldSpec, PATIENT_FIELDS};

string_enum!(
    /// The bundled mappings.
    Preset {
        Generic = "generic", "Generic CSV (Kerato's column names)";
        OpenEmr = "openemr", "OpenEMR (patient_data and openemr_postcalendar_events)";
    }
);

impl Preset {
    /// The preset's mapping file for `kind`, as TOML.
    pub fn text(self, kind: ImportKind) -> &'static str {
        match (self, kind) {
            (Self::Generic, ImportKind::Patients) => {
                include_str!("../presets/generic-patients.toml")
            }
            (Self::Generic, ImportKind::Appointments) => {
                include_str!("../presets/generic-appointments.toml")
            }
            (Self::OpenEmr, ImportKind::Patients) => {
                include_str!("../presets/openemr-patients.toml")
            }
            (Self::OpenEmr, ImportKind::Appointments) => {
                include_str!("../presets/openemr-appointments.toml")
            }
        }
    }
}

/// What an appointment import does with a row that overlaps another
/// appointment of the same provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoubleBooking {
    /// Refuse the row and say which appointment it overlaps.
    #[default]
    Refuse,
    /// Import it marked as a double booking, and list it in the report.
    Overbook,
}

/// A mapping that cannot be used, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub problems: Vec<String>,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problems.join("; "))
    }
}

impl std::error::Error for MappingError {}

impl MappingError {
    fn one(problem: impl Into<String>) -> Self {
        Self {
            problems: vec![problem.into()],
        }
    }
}

/// A mapping file as written. Every part is optional so that a practice's
/// file can be laid over a preset; the merged whole is then checked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    kind: Option<ImportKind>,
    source: Option<String>,
    key: Option<String>,
    date_format: Option<String>,
    time_format: Option<String>,
    double_booking: Option<DoubleBooking>,
    repeated_hour: Option<RepeatedHour>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    defaults: BTreeMap<String, String>,
    #[serde(default)]
    skip: BTreeMap<String, SkipRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipRule {
    values: Vec<String>,
    reason: String,
}

impl MappingFile {
    fn parse(text: &str, name: &str) -> Result<Self, MappingError> {
        toml::from_str(text).map_err(|e| {
            MappingError::one(format!(
                "{name} cannot be read: {}",
                e.to_string().trim().replace('\n', " ")
            ))
        })
    }

    /// `over`'s settings replace this file's; its tables add to them.
    fn overlay(&mut self, over: MappingFile) {
        macro_rules! replace {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        replace!(
            kind,
            source,
            key,
            date_format,
            time_format,
            double_booking,
            repeated_hour
        );
        self.columns.extend(over.columns);
        for (field, map) in over.values {
            self.values.entry(field).or_default().extend(map);
        }
        self.defaults.extend(over.defaults);
        self.skip.extend(over.skip);
    }
}

/// A checked mapping, ready to be bound to a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub kind: ImportKind,
    /// The other system's name: the rows' keys are remembered per source,
    /// and appointments find their patients among rows of the same source.
    pub source: String,
    /// The column holding each row's ID in the other system; without one a
    /// row is known by a hash of its values.
    pub key: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub double_booking: DoubleBooking,
    /// Which instant a local time the end of daylight time repeats means;
    /// without it such a row is refused, as a booking would be.
    pub repeated_hour: Option<RepeatedHour>,
    columns: BTreeMap<&'static str, String>,
    /// Per field: the other system's value (trimmed, lower-case) to Kerato's.
    values: BTreeMap<&'static str, BTreeMap<String, String>>,
    defaults: BTreeMap<&'static str, String>,
    skip: BTreeMap<String, SkipRule>,
}

/// Longest source name.
const MAX_SOURCE_CHARS: usize = 40;

impl Mapping {
    /// Reads a mapping file on its own.
    pub fn parse(text: &str) -> Result<Self, MappingError> {
        Self::check(MappingFile::parse(text, "the mapping file")?, None)
    }

    /// A preset's mapping for `kind`, with `overlay` (a practice's own
    /// mapping file) laid over it when given.
    pub fn preset(
        preset: Preset,
        kind: ImportKind,
        overlay: Option<&str>,
    ) -> Result<Self, MappingError> {
        let mut file = MappingFile::parse(preset.text(kind), "the preset")?;
        if let Some(text) = overlay {
            file.overlay(MappingFile::parse(text, "the mapping file")?);
        }
        Self::check(file, Some(kind))
    }

    /// The mapping an import asks for: a preset (generic when none is
    /// named and no file is given), a practice's file laid over it, or the
    /// file alone; in every case one for `kind`.
    pub fn choose(
        kind: ImportKind,
        preset: Option<Preset>,
        file: Option<&str>,
    ) -> Result<Self, MappingError> {
        let mapping = match (preset, file) {
            (None, Some(text)) => Self::parse(text)?,
            (preset, file) => Self::preset(preset.unwrap_or(Preset::Generic), kind, file)?,
        };
        if mapping.kind != kind {
            return Err(MappingError::one(format!(
                "kind: the mapping is for {} but {kind} are being imported; use a mapping for {kind}",
                mapping.kind
            )));
        }
        Ok(mapping)
    }

    /// Checks a whole mapping and reports every problem at once.
    fn check(file: MappingFile, expected: Option<ImportKind>) -> Result<Self, MappingError> {
        let mut problems = Vec::new();
        let kind = match (file.kind, expected) {
            (Some(k), Some(e)) if k != e => {
                problems.push(format!(
                    "kind: the mapping is for {k} but {e} are being imported; use a mapping for {e}"
                ));
                e
            }
            (Some(k), _) => k,
            (None, Some(e)) => e,
            (None, None) => {
                return Err(MappingError::one(
                    "kind: say what the file holds: kind = \"patients\" or kind = \"appointments\"",
                ));
            }
        };
        let source = file.source.unwrap_or_default().trim().to_string();
        if source.is_empty()
            || source.chars().count() > MAX_SOURCE_CHARS
            || !source
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            problems.push(format!(
                "source: name the system the file comes from in lower-case letters, digits, - or _ (at most {MAX_SOURCE_CHARS}), such as source = \"openemr\"; rows are remembered per source"
            ));
        }
        let fields_list = || {
            kind.fields()
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut known = |table: &str, name: &str| -> Option<&'static str> {
            let found = kind.field(name);
            if found.is_none() {
                problems.push(format!(
                    "{table}.{name}: not a field of {kind}; the fields are {}",
                    fields_list()
                ));
            }
            found
        };
        let mut columns = BTreeMap::new();
        for (f, column) in file.columns {
            if let Some(f) = known("columns", &f) {
                columns.insert(f, column.trim().to_string());
            }
        }
        let mut values = BTreeMap::new();
        for (f, map) in file.values {
            if let Some(f) = known("values", &f) {
                let map: BTreeMap<String, String> = map
                    .into_iter()
                    .map(|(from, to)| (from.trim().to_lowercase(), to))
                    .collect();
                values.insert(f, map);
            }
        }
        let mut defaults = BTreeMap::new();
        for (f, value) in file.defaults {
            if let Some(f) = known("defaults", &f) {
                defaults.insert(f, value);
            }
        }
        for spec in kind.fields().iter().filter(|f| f.required) {
            if !columns.contains_key(spec.name) && !defaults.contains_key(spec.name) {
                problems.push(format!(
                    "columns: nothing says where {} ({}) comes from; add {} = \"COLUMN\" under [columns], or a value under [defaults]",
                    spec.name, spec.about, spec.name
                ));
            }
        }
        if kind == ImportKind::Appointments
            && !columns.contains_key("patient_key")
            && !columns.contains_key("patient_mrn")
        {
            problems.push(
                "columns: say how a row names its patient: patient_key = \"COLUMN\" (the other system's patient ID) or patient_mrn = \"COLUMN\"".into(),
            );
        }
        if let Some(f) = &file.date_format
            && let Err(e) = check_format(f, true)
        {
            problems.push(format!("date_format: {e}"));
        }
        if let Some(f) = &file.time_format
            && let Err(e) = check_format(f, false)
        {
            problems.push(format!("time_format: {e}"));
        }
        for (column, rule) in &file.skip {
            if rule.reason.trim().is_empty() {
                problems.push(format!(
                    "skip.{column}.reason: say why such rows are left out; the report shows it"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(MappingError { problems });
        }
        Ok(Self {
            kind,
            source,
            key: file
                .key
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty()),
            date_format: file.date_format,
            time_format: file.time_format,
            double_booking: file.double_booking.unwrap_or_default(),
            repeated_hour: file.repeated_hour,
            columns,
            values,
            defaults,
            skip: file.skip,
        })
    }

    /// Binds the mapping to a file's header: every column it names must be
    /// there, except those of optional fields, which are reported missing.
    pub fn bind(&self, header: &[String]) -> Result<Binding<'_>, MappingError> {
        let mut problems = Vec::new();
        let find = |column: &str| -> Option<usize> {
            header.iter().position(|h| h == column).or_else(|| {
                let mut matches = header
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.eq_ignore_ascii_case(column));
                match (matches.next(), matches.next()) {
                    (Some((i, _)), None) => Some(i),
                    _ => None,
                }
            })
        };
        let in_file = || header.join(", ");
        let mut columns = Vec::new();
        let mut missing = Vec::new();
        for (field, column) in &self.columns {
            match find(column) {
                Some(i) => columns.push((*field, i)),
                None => {
                    let required = self
                        .kind
                        .fields()
                        .iter()
                        .any(|f| f.name == *field && f.required);
                    if required && !self.defaults.contains_key(field) {
                        problems.push(format!(
                            "columns.{field}: the file has no column {column:?} (its columns are {})",
                            in_file()
                        ));
                    } else {
                        missing.push(column.clone());
                    }
                }
            }
        }
        if self.kind == ImportKind::Appointments
            && !columns
                .iter()
                .any(|(f, _)| matches!(*f, "patient_key" | "patient_mrn"))
        {
            problems.push(format!(
                "columns: neither the patient_key nor the patient_mrn column is in the file (its columns are {})",
                in_file()
            ));
        }
        let key = match &self.key {
            None => None,
            Some(k) => match find(k) {
                Some(i) => Some(i),
                None => {
                    problems.push(format!(
                        "key: the file has no column {k:?}, which should hold each row's ID in {} (its columns are {})",
                        self.source,
                        in_file()
                    ));
                    None
                }
            },
        };
        let mut skip = Vec::new();
        for (column, rule) in &self.skip {
            match find(column) {
                Some(i) => skip.push((
                    i,
                    rule.values
                        .iter()
                        .map(|v| v.trim().to_lowercase())
                        .collect(),
                    rule.reason.clone(),
                )),
                None => problems.push(format!(
                    "skip.{column}: the file has no such column (its columns are {})",
                    in_file()
                )),
            }
        }
        if !problems.is_empty() {
            return Err(MappingError { problems });
        }
        let used: Vec<usize> = columns
            .iter()
            .map(|(_, i)| *i)
            .chain(key)
            .chain(skip.iter().map(|(i, _, _)| *i))
            .collect();
        let ignored = header
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(_, h)| h.clone())
            .collect();
        Ok(Binding {
            mapping: self,
            header: header.to_vec(),
            columns,
            key,
            skip,
            ignored,
            missing,
        })
    }

    fn translate(&self, field: &str, value: &str) -> String {
        match self
            .values
            .get(field)
            .and_then(|m| m.get(&value.to_lowercase()))
        {
            Some(to) => to.trim().to_string(),
            None => value.to_string(),
        }
    }

    /// A date as the mapping's `date_format` writes it, or, without one,
    /// as `YYYY-MM-DD` or `MM/DD/YYYY`.
    pub fn parse_date(&self, text: &str) -> Result<Date, String> {
        let text = text.trim();
        if text.starts_with("0000-00-00") {
            return Err(
                "0000-00-00 is how the other system writes a date nobody entered: add the date there, or in this row"
                    .into(),
            );
        }
        let parsed = match &self.date_format {
            Some(f) => jiff::fmt::strtime::parse(f, text)
                .and_then(|t| t.to_date())
                .ok(),
            None => crate::patients::parse_us_or_iso_date(text),
        };
        parsed.ok_or_else(|| {
            format!(
                "{:?} is not a date written {}: check the day exists and the mapping's date_format",
                text.chars().take(20).collect::<String>(),
                self.date_format
                    .as_deref()
                    .unwrap_or("YYYY-MM-DD or MM/DD/YYYY")
            )
        })
    }

    /// A clock time as the mapping's `time_format` writes it, or, without
    /// one, as `HH:MM` or `HH:MM:SS` (24-hour).
    pub fn parse_time(&self, text: &str) -> Result<Time, String> {
        let text = text.trim();
        let parsed = match &self.time_format {
            Some(f) => jiff::fmt::strtime::parse(f, text)
                .and_then(|t| t.to_time())
                .ok(),
            // A single-digit hour (9:30) is common in spreadsheets.
            None => text
                .parse::<Time>()
                .or_else(|_| format!("0{text}").parse::<Time>())
                .ok(),
        };
        parsed.ok_or_else(|| {
            format!(
                "{:?} is not a time written {}: check the mapping's time_format",
                text.chars().take(20).collect::<String>(),
                self.time_format.as_deref().unwrap_or("HH:MM (24-hour)")
            )
        })
    }
}

/// Checks a strftime-style format by writing a known day (or time) with
/// it and reading it back.
fn check_format(format: &str, date: bool) -> Result<(), String> {
    let probe = Date::constant(2024, 11, 23).at(13, 45, 30, 0);
    let written = jiff::fmt::strtime::format(format, probe)
        .map_err(|e| format!("{format:?} is not a format: {e}"))?;
    let back = jiff::fmt::strtime::parse(format, &written)
        .map_err(|e| format!("{format:?} cannot be read back: {e}"))?;
    let round_trips = if date {
        back.to_date().ok() == Some(probe.date())
    } else {
        back.to_time().ok().map(|t| (t.hour(), t.minute())) == Some((13, 45))
    };
    if round_trips {
        Ok(())
    } else if date {
        Err(format!(
            "{format:?} does not hold a whole date: use %Y, %m and %d, such as \"%Y-%m-%d\" or \"%m/%d/%Y\""
        ))
    } else {
        Err(format!(
            "{format:?} does not hold hours and minutes: use %H and %M, such as \"%H:%M:%S\" or \"%I:%M %p\""
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read_table;
    use proptest::prelude::*;

    fn first_row(mapping: &Mapping, csv: &str) -> RowRead {
        let t = read_table(csv.as_bytes()).unwrap();
        let b = mapping.bind(&t.header).unwrap();
        b.read(&t.rows[0])
    }

    #[test]
    fn every_preset_parses() {
        for p in Preset::ALL {
            for k in ImportKind::ALL {
                let m = Mapping::preset(*p, *k, None).unwrap_or_else(|e| panic!("{p} {k}: {e}"));
                assert_eq!(m.kind, *k);
            }
        }
    }

    #[test]
    fn openemr_codes_translate_and_ss_is_ignored() {
        let m = Mapping::preset(Preset::OpenEmr, ImportKind::Patients, None).unwrap();
        let t = read_table(
            b"pid,fname,lname,DOB,sex,ss,phone_cell\n7,Ann,Lee,1980-04-01,Female,123-45-6789,217-555-0123\n",
        )
        .unwrap();
        let b = m.bind(&t.header).unwrap();
        assert_eq!(b.ignored, ["ss"]);
        let RowRead::Mapped(r) = b.read(&t.rows[0]) else {
            panic!()
        };
        assert_eq!(r.key, "7");
        assert_eq!(r.get("sex_at_birth"), Some("female"));
        assert_eq!(r.column("legal_last_name"), Some("lname"));
        assert!(b.missing.contains(&"mname".to_string()));
    }

    #[test]
    fn an_overlay_adds_codes_to_a_preset() {
        let m = Mapping::preset(
            Preset::OpenEmr,
            ImportKind::Appointments,
            Some(
                "[values.provider]\n\"5\" = \"Dr. Ada Okafor\"\n[defaults]\nlocation = \"Main\"\n",
            ),
        )
        .unwrap();
        let RowRead::Mapped(r) = first_row(
            &m,
            "pc_eid,pc_pid,pc_aid,pc_catid,pc_eventDate,pc_startTime,pc_duration,pc_apptstatus,pc_facility\n1,9,5,10,2026-03-02,09:00:00,1800,@,\n",
        ) else {
            panic!()
        };
        assert_eq!(r.get("provider"), Some("Dr. Ada Okafor"));
        assert_eq!(r.get("status"), Some("arrived"));
        assert_eq!(r.get("location"), Some("Main"));
        assert_eq!(r.column("location"), None);
    }

    #[test]
    fn skip_rules_and_blank_rows() {
        let m = Mapping::preset(Preset::OpenEmr, ImportKind::Appointments, None).unwrap();
        let head = "pc_eid,pc_pid,pc_aid,pc_catid,pc_eventDate,pc_startTime,pc_duration,pc_apptstatus,pc_facility\n";
        assert!(matches!(
            first_row(&m, &format!("{head}1,0,5,2,2026-03-02,09:00:00,1800,-,3\n")),
            RowRead::Skipped(_)
        ));
        assert_eq!(first_row(&m, &format!("{head},,,,,,,,\n")), RowRead::Blank);
        let RowRead::Refused(issues) =
            first_row(&m, &format!("{head},4,5,2,2026-03-02,09:00:00,1800,-,3\n"))
        else {
            panic!()
        };
        assert_eq!(issues[0].field, "key");
        assert!(issues[0].message.contains("pc_eid"), "{issues:?}");
    }

    #[test]
    fn malformed_mappings_say_what_to_fix() {
        let cases: &[(&str, &str)] = &[
            ("kind = \"patients\"\n[columns\n", "cannot be read"),
            ("source = \"x\"\n", "kind"),
            ("kind = \"patient\"\nsource = \"x\"\n", "unknown variant"),
            (
                "kind = \"patients\"\n[columns]\nlegal_first_name = \"a\"\nlegal_last_name = \"b\"\ndate_of_birth = \"c\"\n",
                "source",
            ),
            (
                "kind = \"patients\"\nsource = \"x\"\n[columns]\nfrist_name = \"a\"\n",
                "columns.frist_name: not a field of patients",
            ),
            (
                "kind = \"patients\"\nsource = \"x\"\n[columns]\nlegal_first_name = \"a\"\n",
                "date_of_birth",
            ),
            (
                "kind = \"patients\"\nsource = \"x\"\ndate_format = \"%m/%y\"\n[columns]\nlegal_first_name = \"a\"\nlegal_last_name = \"b\"\ndate_of_birth = \"c\"\n",
                "date_format",
            ),
            (
                "kind = \"appointments\"\nsource = \"x\"\n[columns]\nprovider = \"a\"\nlocation = \"b\"\nvisit_type = \"c\"\ndate = \"d\"\nstart_time = \"e\"\n",
                "patient_key",
            ),
            (
                "kind = \"patients\"\nsource = \"x\"\ncolour = \"red\"\n",
                "unknown field",
            ),
        ];
        for (text, expected) in cases {
            let err = Mapping::parse(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let m = Mapping::preset(Preset::Generic, ImportKind::Patients, None).unwrap();
        let err = m
            .bind(&["id".into(), "legal_first_name".into()])
            .unwrap_err();
        assert!(err.to_string().contains("legal_last_name"), "{err}");
        let err = Mapping::preset(
            Preset::Generic,
            ImportKind::Patients,
            Some("kind = \"appointments\"\n"),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("use a mapping for patients"),
            "{err}"
        );
    }

    #[test]
    fn rows_without_ids_are_known_by_their_values() {
        let text = "kind = \"patients\"\nsource = \"x\"\n[columns]\nlegal_first_name = \"f\"\nlegal_last_name = \"l\"\ndate_of_birth = \"d\"\n";
        let m = Mapping::parse(text).unwrap();
        let a = first_row(&m, "f,l,d\nAnn,Lee,1980-01-02\n");
        let b = first_row(&m, "d,extra,l,f\n1980-01-02,zzz,Lee,Ann\n");
        let c = first_row(&m, "f,l,d\nAnn,Lee,1980-01-03\n");
        let key = |r: RowRead| match r {
            RowRead::Mapped(r) => r.key,
            other => panic!("{other:?}"),
        };
        let (a, b, c) = (key(a), key(b), key(c));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.starts_with("sha256:"));
    }

    #[test]
    fn dates_and_times_follow_the_formats() {
        let mut m = Mapping::preset(Preset::Generic, ImportKind::Appointments, None).unwrap();
        assert_eq!(
            m.parse_date("03/04/2026").unwrap(),
            Date::constant(2026, 3, 4)
        );
        assert!(
            m.parse_date("0000-00-00")
                .unwrap_err()
                .contains("nobody entered")
        );
        assert!(m.parse_date("2026-02-30").is_err());
        assert_eq!(m.parse_time("09:30").unwrap(), Time::constant(9, 30, 0, 0));
        m.date_format = Some("%d.%m.%Y".into());
        m.time_format = Some("%I:%M %p".into());
        assert_eq!(
            m.parse_date("04.03.2026").unwrap(),
            Date::constant(2026, 3, 4)
        );
        assert_eq!(
            m.parse_time("02:15 PM").unwrap(),
            Time::constant(14, 15, 0, 0)
        );
        assert!(m.parse_time("14:15").is_err());
    }

    proptest! {
        #[test]
        fn any_mapping_text_is_read_or_refused_without_panic(text in "\\PC{0,200}") {
            let _ = Mapping::parse(&text);
        }

        #[test]
        fn value_maps_ignore_case_and_spaces(code in "[A-Za-z?@~<>$%!#*+^-]{1,4}", pad in " {0,2}") {
            let overlay = format!("[values.status]\n{:?} = \"no_show\"\n", code);
            let m = Mapping::preset(Preset::Generic, ImportKind::Appointments, Some(&overlay)).unwrap();
            let typed = format!("{pad}{}{pad}", code.to_uppercase());
            prop_assert_eq!(m.translate("status", typed.trim()), "no_show");
        }
    }
}
