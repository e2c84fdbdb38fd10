//! A patient row becomes exactly what the registration form produces: a
//! [`PatientInput`], validated by the same rules into [`PatientFields`].
//! Duplicates are judged here too.

use jiff::civil::Date;

use super::mapping::{MappedRow, Mapping};
use crate::ValidationErrors;
use crate::patients::{PatientFields, PatientInput, fold};

fn yes_no(value: Option<&str>) -> Result<bool, String> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("no" | "n" | "false" | "0") => Ok(false),
        Some("yes" | "y" | "true" | "1") => Ok(true),
        Some(other) => Err(format!(
            "{:?} is not yes or no: write yes or no (or map the file's values under [values.marketing_consent])",
            other.chars().take(20).collect::<String>()
        )),
    }
}

/// The registration input a mapped row stands for, and the problems the
/// mapping itself found (a date not in its format, a yes/no that is
/// neither). The date of birth is handed on as `YYYY-MM-DD`, or empty when
/// it could not be read.
fn patient_input(row: &MappedRow, mapping: &Mapping) -> (PatientInput, ValidationErrors) {
    let mut e = ValidationErrors::new();
    let date_of_birth = match row.get("date_of_birth") {
        None => String::new(),
        Some(raw) => match mapping.parse_date(raw) {
            Ok(d) => d.to_string(),
            Err(m) => {
                e.add("date_of_birth", m);
                String::new()
            }
        },
    };
    let marketing_consent = yes_no(row.get("marketing_consent"))
        .map_err(|m| e.add("marketing_consent", m))
        .unwrap_or(false);
    let opt = |f: &str| row.get(f).map(str::to_string);
    let input = PatientInput {
        legal_first_name: row.text("legal_first_name"),
        legal_middle_name: opt("legal_middle_name"),
        legal_last_name: row.text("legal_last_name"),
        preferred_name: opt("preferred_name"),
        date_of_birth,
        sex_at_birth: opt("sex_at_birth"),
        gender_identity: opt("gender_identity"),
        mobile_phone: opt("mobile_phone"),
        home_phone: opt("home_phone"),
        email: opt("email"),
        address_line1: opt("address_line1"),
        address_line2: opt("address_line2"),
        city: opt("city"),
        state: opt("state"),
        zip: opt("zip"),
        preferred_language: opt("preferred_language"),
        emergency_contact_name: opt("emergency_contact_name"),
        emergency_contact_phone: opt("emergency_contact_phone"),
        reminder_channel: opt("reminder_channel"),
        results_channel: opt("results_channel"),
        statement_channel: opt("statement_channel"),
        marketing_consent,
    };
    (input, e)
}

/// A mapped row validated as the registration form validates, every
/// problem reported at once. `today` is the practice's date.
pub fn patient_fields(
    row: &MappedRow,
    mapping: &Mapping,
    today: Date,
) -> Result<PatientFields, ValidationErrors> {
    let (input, mut errors) = patient_input(row, mapping);
    match input.validate(today) {
        Ok(fields) if errors.is_empty() => Ok(fields),
        Ok(_) => Err(errors),
        Err(more) => {
            for f in more.errors {
                // What the mapping already reported is not reported again.
                if errors.for_field(&f.field).is_none() {
                    errors.errors.push(f);
                }
            }
            Err(errors)
        }
    }
}

/// What two charts must share to be taken for one person: folded first and
/// last name and date of birth.
pub type PersonKey = (String, String, Date);

pub fn person_key(f: &PatientFields) -> PersonKey {
    (
        fold(&f.legal_last_name),
        fold(&f.legal_first_name),
        f.date_of_birth,
    )
}

/// Whether an imported row and a chart are the same person: the same name
/// and date of birth, unless their contact details tell them apart (both
/// have phone numbers, or both e-mail addresses, and not one number or
/// address is shared). Relatives who share a phone are different people by
/// name already; two people who share a name and a birthday are told apart
/// by their contact details when those can be compared.
pub fn same_person(a: &PatientFields, b: &PatientFields) -> bool {
    if person_key(a) != person_key(b) {
        return false;
    }
    let phones = |f: &PatientFields| -> Vec<String> {
        f.mobile_phone
            .iter()
            .chain(f.home_phone.iter())
            .map(|p| p.e164().to_string())
            .collect()
    };
    let (pa, pb) = (phones(a), phones(b));
    let comparable = (!pa.is_empty() && !pb.is_empty()) || (a.email.is_some() && b.email.is_some());
    let shared = pa.iter().any(|p| pb.contains(p)) || (a.email.is_some() && a.email == b.email);
    !comparable || shared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportKind, Preset, RowRead, read_table};

    fn today() -> Date {
        Date::constant(2026, 11, 26)
    }

    fn rows(csv: &str) -> Vec<Result<PatientFields, ValidationErrors>> {
        let m = Mapping::preset(Preset::OpenEmr, ImportKind::Patients, None).unwrap();
        let t = read_table(csv.as_bytes()).unwrap();
        let b = m.bind(&t.header).unwrap();
        t.rows
            .iter()
            .map(|r| match b.read(r) {
                RowRead::Mapped(r) => patient_fields(&r, &m, today()),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn every_problem_of_a_row_is_named() {
        let out = rows(
            "pid,fname,lname,DOB,sex,state,postal_code,street,city,phone_cell\n\
             1,Ann,Lee,1980-04-01,Female,IL,62701,1 Main St,Springfield,(217) 555-0123\n\
             2,Ann,,0000-00-00,Robot,ZZ,6270,1 Main St,Springfield,555\n\
             3,Bo,Lee,2030-01-01,Male,,,,,\n",
        );
        let ann = out[0].as_ref().unwrap();
        assert_eq!(ann.date_of_birth, Date::constant(1980, 4, 1));
        assert_eq!(ann.mobile_phone.as_ref().unwrap().e164(), "+12175550123");
        let e = out[1].as_ref().unwrap_err();
        for f in [
            "legal_last_name",
            "date_of_birth",
            "sex_at_birth",
            "state",
            "zip",
            "mobile_phone",
        ] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        assert!(e.for_field("date_of_birth").unwrap().contains("0000-00-00"));
        let e = out[2].as_ref().unwrap_err();
        assert!(e.for_field("date_of_birth").unwrap().contains("future"));
    }

    #[test]
    fn the_same_person_is_known_by_name_birth_and_contact() {
        let out = rows(
            "pid,fname,lname,DOB,phone_cell,email\n\
             1,Zoë,Müller,1980-04-01,2175550123,\n\
             2,ZOE,Muller,1980-04-01,,zoe@example.com\n\
             3,Zoe,Muller,1980-04-01,2175550199,\n\
             4,Zoe,Muller,1980-04-02,2175550123,\n\
             5,Zoe,Muller,1980-04-01,2175550123,zoe@example.com\n",
        );
        let f: Vec<&PatientFields> = out.iter().map(|r| r.as_ref().unwrap()).collect();
        assert!(same_person(f[0], f[1]), "no contact in common to compare");
        assert!(!same_person(f[0], f[2]), "different phones");
        assert!(!same_person(f[0], f[3]), "different birthday");
        assert!(same_person(f[0], f[4]), "a phone in common");
        assert!(same_person(f[1], f[4]), "an e-mail in common");
    }
}
