//! The first-run set-up: the steps a new practice goes through after
//! `kerato init`, how far it has come (worked out from what exists, so it
//! resumes at any step), the defaults each specialty starts with, and the
//! opening hours of a location.

use std::collections::BTreeSet;

use jiff::civil::{Time, Weekday};

pub use input::{
    FirstNotice, MessagingInput, MessagingSettings, NoticeInput, OpeningHoursFormInput,
    OpeningHoursInput, OpeningWeek, OpeningWeekForm, OpeningWeekInput, SpecialtyChoice,
    SpecialtyChoiceInput, TestMessage, TestMessageInput, parse_opening_hours, week_input,
};

mod input;

use crate::scheduling::ResourceKind;
use crate::tenancy::Specialty;

string_enum!(
    /// One step of the set-up, in the order it is offered.
    SetupStep {
        Practice = "practice", "Practice and locations";
        Specialties = "specialties", "Visit types, rooms and recalls";
        Providers = "providers", "Providers and their hours";
        Staff = "staff", "Staff invitations";
        PrivacyNotice = "privacy_notice", "Notice of privacy practices";
        Messaging = "messaging", "E-mail and text messages";
        FirstAppointment = "first_appointment", "The first appointment";
    }
);

string_enum!(
    /// Where a step stands.
    StepState {
        Todo = "todo", "To do";
        Done = "done", "Done";
        Skipped = "skipped", "Skipped for now";
    }
);

/// What the practice holds that the steps are judged by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetupFacts {
    pub locations: usize,
    /// Locations with opening hours.
    pub locations_with_hours: usize,
    pub visit_types: usize,
    /// Providers taking bookings who have working hours.
    pub bookable_providers: usize,
    /// Staff accounts besides the administrators.
    pub staff: usize,
    pub privacy_notices: usize,
    /// Whether a test message went out through the settings in force.
    pub message_test_passed: bool,
    pub appointments: usize,
}

impl SetupStep {
    /// Whether what exists completes the step.
    pub fn complete(self, f: &SetupFacts) -> bool {
        match self {
            Self::Practice => f.locations > 0 && f.locations_with_hours == f.locations,
            Self::Specialties => f.visit_types > 0,
            Self::Providers => f.bookable_providers > 0,
            Self::Staff => f.staff > 0,
            Self::PrivacyNotice => f.privacy_notices > 0,
            Self::Messaging => f.message_test_passed,
            Self::FirstAppointment => f.appointments > 0,
        }
    }

    /// Whether the administrator may skip it for now: a practice can open
    /// without staff accounts or messaging, not without a location,
    /// visit types, a bookable provider or its privacy notice.
    pub fn skippable(self) -> bool {
        matches!(self, Self::Staff | Self::Messaging)
    }
}

/// Every step with its state: done when what exists completes it, skipped
/// when the administrator said so (and it may be skipped), to do otherwise.
pub fn progress(facts: &SetupFacts, skipped: &BTreeSet<SetupStep>) -> Vec<(SetupStep, StepState)> {
    SetupStep::ALL
        .iter()
        .map(|s| {
            let state = if s.complete(facts) {
                StepState::Done
            } else if s.skippable() && skipped.contains(s) {
                StepState::Skipped
            } else {
                StepState::Todo
            };
            (*s, state)
        })
        .collect()
}

/// The step to resume at: the first still to do, if any.
pub fn next_step(steps: &[(SetupStep, StepState)]) -> Option<SetupStep> {
    steps
        .iter()
        .find(|(_, state)| *state == StepState::Todo)
        .map(|(s, _)| *s)
}

/// A visit type a specialty starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultVisitType {
    pub name: &'static str,
    pub minutes: i64,
    pub specialty: Specialty,
    pub colour: &'static str,
    pub new_patient: bool,
    pub needs: &'static [ResourceKind],
}

use ResourceKind::{ExamRoom, Oct, PhototherapyBooth, PretestLane, VisualField};

const fn visit(
    name: &'static str,
    minutes: i64,
    specialty: Specialty,
    colour: &'static str,
    new_patient: bool,
    needs: &'static [ResourceKind],
) -> DefaultVisitType {
    DefaultVisitType {
        name,
        minutes,
        specialty,
        colour,
        new_patient,
        needs,
    }
}

/// The visit types a dermatology practice, an eye clinic and an optical
/// shop usually book, with the rooms and devices each takes.
pub const DEFAULT_VISIT_TYPES: &[DefaultVisitType] = &[
    visit(
        "New patient skin exam",
        30,
        Specialty::Dermatology,
        "#b5523b",
        true,
        &[ExamRoom],
    ),
    visit(
        "Full-skin check",
        20,
        Specialty::Dermatology,
        "#c0673f",
        false,
        &[ExamRoom],
    ),
    visit(
        "Biopsy or procedure",
        30,
        Specialty::Dermatology,
        "#8f3f2d",
        false,
        &[ExamRoom],
    ),
    visit(
        "Excision",
        45,
        Specialty::Dermatology,
        "#6e3a2f",
        false,
        &[ExamRoom],
    ),
    visit(
        "Phototherapy",
        15,
        Specialty::Dermatology,
        "#c99a2e",
        false,
        &[PhototherapyBooth],
    ),
    visit(
        "Comprehensive eye exam, new patient",
        45,
        Specialty::EyeCare,
        "#2f5f93",
        true,
        &[ExamRoom, PretestLane],
    ),
    visit(
        "Comprehensive eye exam",
        30,
        Specialty::EyeCare,
        "#3b6ea5",
        false,
        &[ExamRoom, PretestLane],
    ),
    visit(
        "Contact lens fitting",
        30,
        Specialty::EyeCare,
        "#3f7d6b",
        false,
        &[ExamRoom],
    ),
    visit(
        "Contact lens follow-up",
        15,
        Specialty::EyeCare,
        "#4f8a5b",
        false,
        &[ExamRoom],
    ),
    visit(
        "Medical eye visit",
        20,
        Specialty::EyeCare,
        "#5a5fa8",
        false,
        &[ExamRoom],
    ),
    visit(
        "Glaucoma follow-up",
        30,
        Specialty::EyeCare,
        "#7a4fa3",
        false,
        &[ExamRoom, Oct, VisualField],
    ),
    visit(
        "Eyewear dispensing",
        15,
        Specialty::OpticalShop,
        "#2f7f86",
        false,
        &[],
    ),
    visit(
        "Frame selection",
        30,
        Specialty::OpticalShop,
        "#3d8f8f",
        false,
        &[],
    ),
    visit(
        "Adjustment or repair",
        10,
        Specialty::OpticalShop,
        "#5b8f7a",
        false,
        &[],
    ),
];

/// The rooms and devices a location of each specialty starts with.
pub const DEFAULT_RESOURCES: &[(Specialty, ResourceKind, &str)] = &[
    (Specialty::Dermatology, ExamRoom, "Exam room 1"),
    (Specialty::Dermatology, ExamRoom, "Exam room 2"),
    (Specialty::Dermatology, ExamRoom, "Procedure room"),
    (
        Specialty::Dermatology,
        PhototherapyBooth,
        "Phototherapy booth",
    ),
    (Specialty::EyeCare, ExamRoom, "Exam lane 1"),
    (Specialty::EyeCare, ExamRoom, "Exam lane 2"),
    (Specialty::EyeCare, PretestLane, "Pretest"),
    (Specialty::EyeCare, Oct, "OCT"),
    (Specialty::EyeCare, VisualField, "Visual field analyser"),
];

/// The recall types a practice starts with: (name, months, specialty).
pub const DEFAULT_RECALL_TYPES: [(&str, i64, Specialty); 7] = [
    ("Annual eye exam", 12, Specialty::EyeCare),
    ("Contact lens supply", 12, Specialty::EyeCare),
    ("Glaucoma check (3-month)", 3, Specialty::EyeCare),
    ("Full-skin check (6-month)", 6, Specialty::Dermatology),
    ("Full-skin check (12-month)", 12, Specialty::Dermatology),
    ("Melanoma follow-up (3-month)", 3, Specialty::Dermatology),
    ("Diabetic eye exam", 12, Specialty::EyeCare),
];

/// The hours a location is open on one weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    pub weekday: Weekday,
    pub opens: Time,
    pub closes: Time,
}

/// Kerato's notice of privacy practices, in plain words with every element
/// the HIPAA Privacy Rule requires (45 CFR 164.520), for a practice to
/// adopt at set-up and adapt.
const NOTICE_TEMPLATE: &str = include_str!("../../data/notice-of-privacy-practices.txt");

/// The notice for a practice: its name, its address, whom to contact, and
/// the day it takes effect (as the practice writes dates).
pub fn notice_of_privacy_practices(
    practice: &str,
    address: &str,
    contact: &str,
    effective: jiff::civil::Date,
) -> String {
    NOTICE_TEMPLATE
        .replace("{practice}", practice)
        .replace("{address}", address)
        .replace("{contact}", contact)
        .replace("{effective}", &effective.strftime("%m/%d/%Y").to_string())
}

string_enum!(
    /// How a message goes out.
    Channel {
        Email = "email", "E-mail";
        Sms = "sms", "Text message";
    }
);

/// The messaging settings in force, as the set-up shows them: never a
/// password or a token, only whether there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingStatus {
    /// The SMTP server with any password hidden, if e-mail goes out.
    pub smtp_server: Option<String>,
    pub from_address: String,
    pub sms_gateway_url: Option<String>,
    pub has_sms_token: bool,
    /// Whether the server's configuration file sets them (then the set-up
    /// shows them and cannot change them).
    pub from_configuration: bool,
    /// The last test: when, by which channel, and the error if it failed.
    pub tested_at: Option<crate::time::Timestamp>,
    pub tested_channel: Option<Channel>,
    pub test_error: Option<String>,
    pub test_passed: bool,
}

/// An SMTP URL with its password replaced, for showing.
pub fn hide_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:••••{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(weekday: &str, opens: &str, closes: &str) -> OpeningHoursInput {
        OpeningHoursInput {
            weekday: weekday.into(),
            opens: opens.into(),
            closes: closes.into(),
        }
    }

    #[test]
    fn the_set_up_resumes_at_the_first_step_still_to_do() {
        let mut facts = SetupFacts::default();
        let steps = progress(&facts, &BTreeSet::new());
        assert_eq!(next_step(&steps), Some(SetupStep::Practice));
        facts.locations = 2;
        facts.locations_with_hours = 1;
        assert_eq!(
            next_step(&progress(&facts, &BTreeSet::new())),
            Some(SetupStep::Practice),
            "every location needs its hours"
        );
        facts.locations_with_hours = 2;
        facts.visit_types = 5;
        facts.bookable_providers = 1;
        let skipped = BTreeSet::from([SetupStep::Staff, SetupStep::PrivacyNotice]);
        let steps = progress(&facts, &skipped);
        assert_eq!(steps[3], (SetupStep::Staff, StepState::Skipped));
        assert_eq!(
            next_step(&steps),
            Some(SetupStep::PrivacyNotice),
            "the notice cannot be skipped"
        );
        facts.privacy_notices = 1;
        facts.appointments = 1;
        let steps = progress(
            &facts,
            &BTreeSet::from([SetupStep::Staff, SetupStep::Messaging]),
        );
        assert_eq!(next_step(&steps), None);
        facts.staff = 3;
        facts.message_test_passed = true;
        assert!(
            progress(&facts, &BTreeSet::new())
                .iter()
                .all(|(_, s)| *s == StepState::Done)
        );
    }

    #[test]
    fn every_default_visit_type_has_its_rooms_and_devices_among_the_defaults() {
        for v in DEFAULT_VISIT_TYPES {
            for kind in v.needs {
                assert!(
                    DEFAULT_RESOURCES
                        .iter()
                        .any(|(s, k, _)| *s == v.specialty && k == kind),
                    "{} needs a {kind:?} its specialty does not get",
                    v.name
                );
            }
        }
        for sp in Specialty::ALL {
            assert!(DEFAULT_VISIT_TYPES.iter().any(|v| v.specialty == sp));
        }
    }

    #[test]
    fn the_notice_names_the_practice_and_keeps_every_required_element() {
        let text = notice_of_privacy_practices(
            "Riverside Skin & Eye",
            "1200 Main Street, Springfield, IL 62701",
            "privacy@riverside.example, (217) 555-0100",
            jiff::civil::date(2027, 1, 4),
        );
        assert!(!text.contains('{'), "every placeholder is filled");
        for required in [
            "THIS NOTICE DESCRIBES HOW MEDICAL INFORMATION ABOUT YOU MAY BE USED AND DISCLOSED",
            "Riverside Skin & Eye",
            "Effective 01/04/2027",
            "Get a copy of your record",
            "Ask us to correct your record",
            "confidential communications",
            "Ask us to limit what we use or share",
            "Get a list of those we shared information with",
            "Get a copy of this notice",
            "Office for Civil Rights",
            "We will not retaliate",
            "privacy@riverside.example",
        ] {
            assert!(text.contains(required), "{required}");
        }
    }

    #[test]
    fn a_shown_smtp_url_hides_its_password() {
        assert_eq!(
            hide_password("smtps://desk:s3cret@mail.example:465"),
            "smtps://desk:••••@mail.example:465"
        );
        assert_eq!(hide_password("smtp://127.0.0.1:25"), "smtp://127.0.0.1:25");
        assert_eq!(hide_password("smtp://user@host"), "smtp://user@host");
    }

    #[test]
    fn opening_hours_are_one_span_a_day_that_ends_after_it_starts() {
        let week = parse_opening_hours(&[
            day("tuesday", "08:00", "17:00"),
            day("mon", "08:30", "12:00"),
        ])
        .unwrap();
        assert_eq!(week[0].weekday, Weekday::Monday);
        let errors = parse_opening_hours(&[
            day("mon", "17:00", "08:00"),
            day("tue", "08:00", "17:00"),
            day("tuesday", "09:00", "12:00"),
            day("noday", "8", "12:00"),
        ])
        .unwrap_err();
        for field in [
            "days[0].closes",
            "days[2].weekday",
            "days[3].weekday",
            "days[3].opens",
        ] {
            assert!(errors.for_field(field).is_some(), "{field}: {errors:?}");
        }
    }
}
