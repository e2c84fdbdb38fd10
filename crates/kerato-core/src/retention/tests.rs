use super::*;
use jiff::Span;
use jiff::civil::date;
use proptest::prelude::*;

fn facts(created: Date) -> RecordFacts {
    RecordFacts::created(created)
}

fn schedule(state: &str) -> RetentionSchedule {
    RetentionSchedule::new(state, None).unwrap()
}

/// Canary records, one per class (two for marketing): each is due on
/// exactly its day and not the day before.
#[test]
fn each_class_is_due_on_its_day_and_not_before() {
    let s = RetentionSchedule::default();
    let cases = [
        (
            DataClass::ClinicalAdult,
            RecordFacts {
                last_visit: Some(date(2020, 5, 10)),
                ..facts(date(2015, 1, 1))
            },
            date(2030, 5, 11),
        ),
        (
            DataClass::ClinicalMinor,
            RecordFacts {
                last_visit: Some(date(2015, 6, 1)),
                date_of_birth: Some(date(2010, 3, 15)),
                ..facts(date(2012, 1, 1))
            },
            // Majority (18) plus two years is later than ten years
            // after the last visit.
            date(2030, 3, 16),
        ),
        (
            DataClass::HipaaDocumentation,
            RecordFacts {
                policy_last_effective: Some(date(2022, 7, 1)),
                ..facts(date(2019, 1, 1))
            },
            date(2028, 7, 2),
        ),
        (
            DataClass::AuditTrail,
            facts(date(2021, 4, 1)),
            date(2031, 4, 2),
        ),
        (
            DataClass::FtcRxConfirmation,
            facts(date(2025, 3, 10)),
            date(2028, 3, 11),
        ),
        (
            DataClass::AccountData,
            RecordFacts {
                closed_on: Some(date(2025, 6, 10)),
                ..facts(date(2020, 1, 1))
            },
            date(2026, 6, 11),
        ),
        (
            DataClass::MarketingData,
            RecordFacts {
                last_interaction: Some(date(2024, 2, 1)),
                ..facts(date(2023, 1, 1))
            },
            date(2027, 2, 2),
        ),
        (
            DataClass::MarketingData,
            RecordFacts {
                last_interaction: Some(date(2024, 2, 1)),
                opted_out_on: Some(date(2025, 1, 5)),
                ..facts(date(2023, 1, 1))
            },
            date(2025, 1, 5),
        ),
        (
            DataClass::UsageLogs,
            facts(date(2025, 6, 1)),
            date(2025, 7, 2),
        ),
        (
            DataClass::ChildNonClinical,
            RecordFacts {
                learned_under_13_on: Some(date(2025, 9, 9)),
                ..facts(date(2025, 8, 1))
            },
            date(2025, 9, 9),
        ),
    ];
    let covered: std::collections::BTreeSet<DataClass> = cases.iter().map(|(c, _, _)| *c).collect();
    assert_eq!(
        covered.len(),
        DataClass::ALL.len(),
        "every class has a canary"
    );
    for (class, f, due) in cases {
        assert_eq!(due_on(class, &f, &s), Due::On(due), "{class}");
        let day_before = due.yesterday().unwrap();
        assert!(
            !is_due(class, &f, &s, &[], day_before),
            "{class} due a day early"
        );
        assert!(
            is_due(class, &f, &s, &[], due),
            "{class} not due on its day"
        );
        assert!(
            is_due(class, &f, &s, &[], due.tomorrow().unwrap()),
            "{class} stops being due"
        );
    }
}

#[test]
fn ftc_confirmations_follow_the_ftc_module() {
    let s = RetentionSchedule::default();
    for created in [date(2025, 3, 10), date(2024, 2, 29), date(2023, 12, 31)] {
        let kept_through = confirmation_deletable_after(created);
        assert_eq!(
            due_on(DataClass::FtcRxConfirmation, &facts(created), &s),
            Due::On(kept_through.tomorrow().unwrap()),
            "{created}"
        );
    }
}

#[test]
fn an_open_account_is_kept_and_facts_that_are_missing_decide_safely() {
    let s = RetentionSchedule::default();
    let open = facts(date(2000, 1, 1));
    assert_eq!(
        due_on(DataClass::AccountData, &open, &s),
        Due::KeepWhileActive
    );
    assert!(!is_due(
        DataClass::AccountData,
        &open,
        &s,
        &[],
        date(2099, 1, 1)
    ));
    // A child's data with no date of learning is due at once.
    assert_eq!(due_on(DataClass::ChildNonClinical, &open, &s), Due::Now);
    assert!(is_due(
        DataClass::ChildNonClinical,
        &open,
        &s,
        &[],
        date(2000, 1, 1)
    ));
    // A minor's record without a date of birth cannot be timed, so it
    // is kept; an adult's falls back to its last visit or creation.
    assert_eq!(due_on(DataClass::ClinicalMinor, &open, &s), Due::Never);
    assert_eq!(
        due_on(DataClass::ClinicalAdult, &open, &s),
        Due::On(date(2010, 1, 2))
    );
    // Marketing data without a recorded interaction runs from creation.
    assert_eq!(
        due_on(DataClass::MarketingData, &open, &s),
        Due::On(date(2003, 1, 2))
    );
}

#[test]
fn a_hold_stops_deletion_while_it_stands() {
    let s = RetentionSchedule::default();
    let f = facts(date(2025, 6, 1));
    let today = date(2025, 8, 1);
    assert!(is_due(DataClass::UsageLogs, &f, &s, &[], today));
    let hold = LegalHold {
        reason: "subpoena, case 25-1234".into(),
        placed_on: date(2025, 7, 15),
        released_on: None,
        classes: vec![],
    };
    assert!(!is_due(
        DataClass::UsageLogs,
        &f,
        &s,
        std::slice::from_ref(&hold),
        today
    ));
    // Before it was placed, and from the day it was lifted, it does not apply.
    assert!(is_due(
        DataClass::UsageLogs,
        &f,
        &s,
        std::slice::from_ref(&hold),
        date(2025, 7, 14)
    ));
    let lifted = LegalHold {
        released_on: Some(date(2025, 8, 1)),
        ..hold.clone()
    };
    assert!(is_due(
        DataClass::UsageLogs,
        &f,
        &s,
        std::slice::from_ref(&lifted),
        today
    ));
    assert!(!is_due(
        DataClass::UsageLogs,
        &f,
        &s,
        std::slice::from_ref(&lifted),
        date(2025, 7, 31)
    ));
    // A hold on other classes leaves usage logs alone.
    let narrow = LegalHold {
        classes: vec![DataClass::ClinicalAdult],
        ..hold
    };
    assert!(is_due(
        DataClass::UsageLogs,
        &f,
        &s,
        std::slice::from_ref(&narrow),
        today
    ));
    assert!(narrow.covers(DataClass::ClinicalAdult, today));
}

/// Born on 29 February: majority in a common year falls on 28
/// February, so the record is kept through that day and due on 1 March.
#[test]
fn a_leap_day_birth_counts_to_the_end_of_february() {
    let born = RecordFacts {
        date_of_birth: Some(date(2008, 2, 29)),
        last_visit: Some(date(2012, 5, 1)),
        ..facts(date(2008, 3, 1))
    };
    // New York: one year past 21 is age 22, in 2030, a common year.
    assert_eq!(
        due_on(DataClass::ClinicalMinor, &born, &schedule("NY")),
        Due::On(date(2030, 3, 1))
    );
    // Default: 20, in 2028, a leap year, so 29 February exists.
    assert_eq!(
        due_on(
            DataClass::ClinicalMinor,
            &born,
            &RetentionSchedule::default()
        ),
        Due::On(date(2028, 3, 1))
    );
    let seen_on_leap_day = RecordFacts {
        last_visit: Some(date(2024, 2, 29)),
        ..facts(date(2024, 2, 29))
    };
    assert_eq!(
        due_on(
            DataClass::ClinicalAdult,
            &seen_on_leap_day,
            &RetentionSchedule::default()
        ),
        Due::On(date(2034, 3, 1))
    );
}

#[test]
fn a_minor_is_kept_past_majority_and_an_adult_by_the_last_visit() {
    let ny = schedule("NY");
    let child = RecordFacts {
        date_of_birth: Some(date(2010, 1, 1)),
        last_visit: Some(date(2020, 6, 1)),
        ..facts(date(2015, 1, 1))
    };
    // Six years after the last visit would be 2026; a year past 21 is 2032.
    assert_eq!(
        due_on(DataClass::ClinicalMinor, &child, &ny),
        Due::On(date(2032, 1, 2))
    );
    // The class cannot shorten a minor's retention.
    assert_eq!(
        due_on(DataClass::ClinicalAdult, &child, &ny),
        Due::On(date(2032, 1, 2))
    );
    let adult = RecordFacts {
        date_of_birth: Some(date(1980, 1, 1)),
        ..child
    };
    assert_eq!(
        due_on(DataClass::ClinicalAdult, &adult, &ny),
        Due::On(date(2026, 6, 2))
    );
    assert_eq!(
        due_on(DataClass::ClinicalMinor, &adult, &ny),
        Due::On(date(2026, 6, 2))
    );
    // Texas: seven years, or until 21 when that is later.
    let tx = schedule("tx");
    assert_eq!(
        due_on(DataClass::ClinicalMinor, &child, &tx),
        Due::On(date(2031, 1, 2))
    );
    assert_eq!(
        due_on(DataClass::ClinicalAdult, &adult, &tx),
        Due::On(date(2027, 6, 2))
    );
}

#[test]
fn the_audit_trail_outlives_its_record_and_is_pseudonymised() {
    let ny = schedule("NY");
    let child = RecordFacts {
        date_of_birth: Some(date(2020, 1, 1)),
        last_visit: Some(date(2021, 1, 1)),
        ..facts(date(2021, 1, 1))
    };
    let record = due_on(DataClass::ClinicalMinor, &child, &ny);
    assert_eq!(record, Due::On(date(2042, 1, 2)));
    assert_eq!(due_on(DataClass::AuditTrail, &child, &ny), record);
    // Without a record to follow, a child's trail runs to majority + 2.
    let trail_only = RecordFacts {
        last_visit: None,
        ..child
    };
    assert_eq!(
        due_on(DataClass::AuditTrail, &trail_only, &ny),
        Due::On(date(2040, 1, 2))
    );
    assert_eq!(action(DataClass::AuditTrail), Action::Pseudonymise);
    for class in DataClass::ALL
        .iter()
        .filter(|c| **c != DataClass::AuditTrail)
    {
        assert_eq!(action(*class), Action::Delete, "{class}");
    }
}

#[test]
fn the_schedule_is_checked_and_published_as_data() {
    assert_eq!(schedule("az").state().citation, "A.R.S. § 12-2297(A)");
    assert_eq!(schedule("OH").state(), &DEFAULT_STATE_RULES);
    assert_eq!(schedule("US").usage_log_days(), DEFAULT_USAGE_LOG_DAYS);
    assert_eq!(
        RetentionSchedule::new("CA", Some(14))
            .unwrap()
            .usage_log_days(),
        14
    );
    let err = RetentionSchedule::new("Calif", Some(0)).unwrap_err();
    assert!(
        err.for_field("state")
            .unwrap()
            .contains("two-letter postal code"),
        "{err}"
    );
    assert!(
        err.for_field("usage_log_days")
            .unwrap()
            .contains("between 1 and 90 days, not 0"),
        "{err}"
    );
    let err = RetentionSchedule::new("CA", Some(91)).unwrap_err();
    assert!(err.for_field("usage_log_days").is_some(), "{err}");
    let s = RetentionSchedule::default();
    for class in DataClass::ALL {
        let row = rule(*class, &s);
        assert_eq!(row.class, *class);
        assert!(!row.citation.is_empty(), "{class} has no source");
    }
    assert_eq!(rule(DataClass::UsageLogs, &s).keep, Keep::Days(30));
}

fn any_date() -> impl Strategy<Value = Date> {
    (1950i16..2060, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
        let first = date(y, m, 1);
        date(y, m, d.min(first.days_in_month()))
    })
}

fn any_schedule() -> impl Strategy<Value = RetentionSchedule> {
    proptest::sample::select(vec!["US", "AZ", "NY", "TX"]).prop_map(schedule)
}

fn on(due: Due) -> Option<Date> {
    match due {
        Due::On(d) => Some(d),
        _ => None,
    }
}

proptest! {
    /// A later last visit never makes a clinical record or its trail
    /// due earlier.
    #[test]
    fn a_later_visit_never_brings_the_due_date_forward(
        s in any_schedule(),
        dob in proptest::option::of(any_date()),
        visit in any_date(),
        more_days in 0i32..5_000,
    ) {
        let later_visit = visit.checked_add(Span::new().days(more_days)).unwrap();
        for class in [DataClass::ClinicalAdult, DataClass::ClinicalMinor, DataClass::AuditTrail] {
            let base = RecordFacts { date_of_birth: dob, last_visit: Some(visit), ..facts(visit) };
            let moved = RecordFacts { last_visit: Some(later_visit), ..base };
            let (a, b) = (due_on(class, &base, &s), due_on(class, &moved, &s));
            if let (Some(a), Some(b)) = (on(a), on(b)) {
                prop_assert!(a <= b, "{class}: {a} then {b}");
            } else {
                prop_assert_eq!(a, b, "{}", class);
            }
        }
    }

    /// Once due, a record stays due (without holds), and no day before
    /// its due date is due.
    #[test]
    fn due_is_a_threshold(s in any_schedule(), created in any_date(), today in any_date(), class_ix in 0usize..9) {
        let class = DataClass::ALL[class_ix % DataClass::ALL.len()];
        let f = RecordFacts {
            closed_on: Some(created),
            learned_under_13_on: Some(created),
            date_of_birth: Some(created),
            ..facts(created)
        };
        if let Due::On(due) = due_on(class, &f, &s) {
            prop_assert!(due >= created);
            prop_assert_eq!(is_due(class, &f, &s, &[], today), today >= due);
        }
    }
}
