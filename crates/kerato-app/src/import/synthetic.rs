//! Synthetic exports shaped like another system's, for the import
//! benchmark and tests: every person is made up and no two are the same
//! person, and the appointments never overlap.

use jiff::civil::Date;
use kerato_domain::import::Preset;
use kerato_domain::import::file::csv_line;

/// First names the synthetic people (and the front-desk benchmark's) are
/// given.
pub const FIRST_NAMES: [&str; 16] = [
    "Ava", "Liam", "Sofia", "Noah", "Mia", "Mateo", "Chloe", "Ethan", "Zoe", "Lucas", "Amara",
    "Kenji", "Priya", "Omar", "Ingrid", "Jose",
];
/// Last names they start from.
pub const LAST_NAMES: [&str; 16] = [
    "Smith",
    "Garcia",
    "Nguyen",
    "Johnson",
    "Muller",
    "Obrien",
    "Kowalski",
    "Patel",
    "Kim",
    "Okafor",
    "Rossi",
    "Haddad",
    "Johansson",
    "Martinez",
    "Brown",
    "Lee",
];

/// `n` written in letters (`Ba`, `Bb`, …), so that an address can carry
/// a number without looking like one.
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.push(b'B');
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The made-up person of row `i`: first and last name, date of birth,
/// mobile phone and e-mail address. Names repeat as in a real registry
/// (256 pairs of names); the date of birth tells the people who share a
/// pair apart, so no two are the same person.
pub fn person(i: usize) -> (String, String, Date, String, String) {
    let first = FIRST_NAMES[i % FIRST_NAMES.len()].to_string();
    let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()].to_string();
    let pairs = FIRST_NAMES.len() * LAST_NAMES.len();
    let dob = Date::constant(1940, 1, 1)
        .checked_add(jiff::Span::new().days((i / pairs) as i64))
        .unwrap_or(Date::constant(1980, 1, 1));
    let phone = format!(
        "({}) {:03}-{:04}",
        217 + (i / 8_000_000) % 700,
        200 + (i / 10_000) % 800,
        i % 10_000
    );
    let email = format!("{}.{}@example.com", first.to_lowercase(), letters(i));
    (first, last, dob, phone, email)
}

/// A patient export of `n` people in the preset's shape; row `i` has the
/// source ID `i + 1`.
pub fn patients_csv(preset: Preset, n: usize) -> String {
    let mut out = String::with_capacity(n * 120);
    match preset {
        Preset::OpenEmr => out.push_str(&csv_line(&[
            "pid",
            "pubpid",
            "fname",
            "mname",
            "lname",
            "DOB",
            "sex",
            "ss",
            "street",
            "city",
            "state",
            "postal_code",
            "phone_home",
            "phone_cell",
            "email",
        ])),
        Preset::Generic => out.push_str(&csv_line(&[
            "id",
            "legal_first_name",
            "legal_last_name",
            "date_of_birth",
            "sex_at_birth",
            "mobile_phone",
            "email",
            "address_line1",
            "city",
            "state",
            "zip",
        ])),
    }
    for i in 0..n {
        let (first, last, dob, phone, email) = person(i);
        let id = (i + 1).to_string();
        let street = format!("{} Main Street", 1 + i % 9_000);
        let sex = i % 2 == 0;
        match preset {
            Preset::OpenEmr => out.push_str(&csv_line(&[
                &id,
                &id,
                &first,
                "",
                &last,
                &dob.to_string(),
                if sex { "Female" } else { "Male" },
                // A made-up Social Security number the import must never read.
                "900-00-0000",
                &street,
                "Springfield",
                "IL",
                "62701",
                "",
                &phone,
                &email,
            ])),
            Preset::Generic => out.push_str(&csv_line(&[
                &id,
                &first,
                &last,
                &dob.strftime("%m/%d/%Y").to_string(),
                if sex { "female" } else { "male" },
                &phone,
                &email,
                &street,
                "Springfield",
                "IL",
                "62701",
            ])),
        }
    }
    out
}

/// Where a synthetic book's appointments are: provider names (the
/// providers' numbers in the OpenEMR shape are their positions, from 1),
/// the location and visit type names, and the first day.
#[derive(Debug, Clone)]
pub struct Book {
    pub providers: Vec<String>,
    pub location: String,
    pub visit_type: String,
    pub first_day: Date,
}

/// Half-hour slots per provider per day, 08:00 to 17:00.
const SLOTS_PER_DAY: usize = 18;

/// An appointment export of `n` appointments for the first `patients`
/// patients of [`patients_csv`], in the preset's shape: each provider's
/// half-hour slots filled in turn, day after day, none overlapping. Every
/// twentieth is cancelled and every twenty-fifth a no-show.
pub fn appointments_csv(preset: Preset, book: &Book, n: usize, patients: usize) -> String {
    let mut out = String::with_capacity(n * 90);
    let providers = book.providers.len().max(1);
    match preset {
        Preset::OpenEmr => out.push_str(&csv_line(&[
            "pc_eid",
            "pc_pid",
            "pc_aid",
            "pc_catid",
            "pc_eventDate",
            "pc_startTime",
            "pc_endTime",
            "pc_duration",
            "pc_recurrtype",
            "pc_apptstatus",
            "pc_facility",
        ])),
        Preset::Generic => out.push_str(&csv_line(&[
            "id",
            "patient_id",
            "provider",
            "location",
            "visit_type",
            "date",
            "start_time",
            "duration_minutes",
            "status",
        ])),
    }
    for i in 0..n {
        let provider = i % providers;
        let slot = (i / providers) % SLOTS_PER_DAY;
        let day = book
            .first_day
            .checked_add(jiff::Span::new().days((i / (providers * SLOTS_PER_DAY)) as i64))
            .unwrap_or(book.first_day);
        let minutes = 8 * 60 + slot * 30;
        let start = format!("{:02}:{:02}:00", minutes / 60, minutes % 60);
        let end = format!("{:02}:{:02}:00", (minutes + 30) / 60, (minutes + 30) % 60);
        let id = (i + 1).to_string();
        let patient = (i % patients.max(1) + 1).to_string();
        let (code, status) = if i % 20 == 0 {
            ("x", "cancelled")
        } else if i % 25 == 0 {
            ("?", "no_show")
        } else {
            ("-", "booked")
        };
        match preset {
            Preset::OpenEmr => out.push_str(&csv_line(&[
                &id,
                &patient,
                &(provider + 1).to_string(),
                "5",
                &day.to_string(),
                &start,
                &end,
                "1800",
                "0",
                code,
                "3",
            ])),
            Preset::Generic => out.push_str(&csv_line(&[
                &id,
                &patient,
                &book.providers[provider],
                &book.location,
                &book.visit_type,
                &day.to_string(),
                &start[..5],
                "30",
                status,
            ])),
        }
    }
    out
}

/// The mapping a practice lays over the OpenEMR preset for a synthetic
/// book: what the provider, category and facility numbers are in Kerato.
pub fn openemr_overlay(book: &Book) -> String {
    let mut out = String::from("[values.provider]\n");
    for (i, name) in book.providers.iter().enumerate() {
        out.push_str(&format!("\"{}\" = {name:?}\n", i + 1));
    }
    out.push_str(&format!(
        "[values.visit_type]\n\"5\" = {:?}\n[values.location]\n\"3\" = {:?}\n",
        book.visit_type, book.location
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phones_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let (first, last, dob, phone, _) = person(i);
            assert!(seen.insert((first, last, dob)), "{i}");
            assert!(!phone.is_empty());
        }
        assert_eq!(letters(0), "Ba");
        assert_eq!(letters(27), "Bbb");
    }
}
