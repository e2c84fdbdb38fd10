//! Acceptance tests for the FTC module: verification deadlines at set
//! instants in a prescriber's zone (weekends, holidays, DST), the request's
//! state as the clock moves, federal holidays against the published dates,
//! expiry by state, and properties of the business-hours clock.

// A failed unwrap in a test helper or strategy is a test failure with its
// location; that is the point.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use jiff::SignedDuration;
use jiff::civil::{Date, Time, date};
use jiff::tz::TimeZone;
use kerato_domain::eye::ftc::*;
use kerato_domain::time::{Clock, TestClock, Timestamp};
use proptest::prelude::*;

fn zone(name: &str) -> TimeZone {
    jiff::tz::db().get(name).unwrap()
}

fn ny() -> BusinessCalendar {
    BusinessCalendar::federal(zone("America/New_York"))
}

/// An instant written as a local clock time in `tz`; the tests below only
/// use times that exist exactly once.
fn local(tz: &str, d: Date, h: i8, m: i8) -> Timestamp {
    Timestamp::from_jiff(zone(tz).to_timestamp(d.at(h, m, 0, 0)).unwrap())
}

fn ny_at(d: Date, h: i8, m: i8) -> Timestamp {
    local("America/New_York", d, h, m)
}

fn utc(s: &str) -> Timestamp {
    Timestamp::from_jiff(s.parse().unwrap())
}

// ---------------------------------------------------------------------------
// Verification deadlines
// ---------------------------------------------------------------------------

#[test]
fn a_request_on_friday_afternoon_is_due_monday_afternoon() {
    // Friday 15:00 to 17:00 is two hours; the other six run Monday 09:00
    // to 15:00. Columbus Day is the Monday before, so nothing else closes.
    let received = ny_at(date(2026, 10, 16), 15, 0);
    let due = verification_deadline(received, &ny());
    assert_eq!(due, ny_at(date(2026, 10, 19), 15, 0));
    assert_eq!(due, utc("2026-10-19T19:00:00Z"), "15:00 EDT");
}

#[test]
fn a_request_on_saturday_starts_counting_monday_at_nine() {
    let received = ny_at(date(2026, 10, 17), 11, 30);
    let cal = ny();
    assert_eq!(
        cal.add_business_hours(received, 0),
        ny_at(date(2026, 10, 19), 9, 0)
    );
    assert_eq!(
        verification_deadline(received, &cal),
        ny_at(date(2026, 10, 19), 17, 0),
        "eight hours from Monday 09:00 end at closing, not Tuesday morning"
    );
    // After closing on a weekday it is the same: the next morning.
    let evening = ny_at(date(2026, 10, 20), 17, 0);
    assert_eq!(
        verification_deadline(evening, &cal),
        ny_at(date(2026, 10, 21), 17, 0)
    );
    // Before opening, the same day.
    let early = ny_at(date(2026, 10, 20), 7, 45);
    assert_eq!(
        verification_deadline(early, &cal),
        ny_at(date(2026, 10, 20), 17, 0)
    );
}

#[test]
fn partial_hours_count() {
    let received = ny_at(date(2026, 10, 20), 16, 20);
    // 40 minutes on Tuesday, 7 h 20 min on Wednesday.
    assert_eq!(
        verification_deadline(received, &ny()),
        ny_at(date(2026, 10, 21), 16, 20)
    );
    let odd = Timestamp::from_micros(ny_at(date(2026, 10, 20), 10, 0).as_micros() + 1_234_567);
    assert_eq!(
        verification_deadline(odd, &ny()).as_micros(),
        ny_at(date(2026, 10, 21), 10, 0).as_micros() + 1_234_567,
        "10:00:01.234567 on Tuesday + 8 h = 10:00:01.234567 on Wednesday"
    );
}

#[test]
fn memorial_day_is_skipped() {
    // Memorial Day 2026 is Monday 25 May (31 May is a Sunday).
    let received = ny_at(date(2026, 5, 22), 15, 0);
    let due = verification_deadline(received, &ny());
    assert_eq!(due, ny_at(date(2026, 5, 26), 15, 0));
    assert_eq!(due, utc("2026-05-26T19:00:00Z"));
}

#[test]
fn an_observed_holiday_is_skipped_and_a_saturday_holiday_changes_nothing() {
    // Independence Day 2026 is a Saturday, observed Friday 3 July.
    let received = ny_at(date(2026, 7, 2), 13, 0);
    assert_eq!(
        verification_deadline(received, &ny()),
        ny_at(date(2026, 7, 6), 13, 0),
        "Thursday 13-17, then Monday 9-13"
    );
}

#[test]
fn the_clock_keeps_local_hours_across_the_spring_change() {
    // Clocks go forward on Sunday 8 March 2026: Friday is EST (UTC-5),
    // Monday EDT (UTC-4). Counting civil hours keeps Monday's 15:00 local.
    let received = ny_at(date(2026, 3, 6), 15, 0);
    assert_eq!(received, utc("2026-03-06T20:00:00Z"));
    let due = verification_deadline(received, &ny());
    assert_eq!(due, utc("2026-03-09T19:00:00Z"), "15:00 EDT");
    assert_eq!(
        ny().business_hours_between(received, due),
        SignedDuration::from_hours(8)
    );
}

#[test]
fn the_clock_keeps_local_hours_across_the_autumn_change() {
    // Clocks go back on Sunday 1 November 2026.
    let received = ny_at(date(2026, 10, 30), 16, 0);
    assert_eq!(received, utc("2026-10-30T20:00:00Z"));
    let due = verification_deadline(received, &ny());
    assert_eq!(due, utc("2026-11-02T21:00:00Z"), "16:00 EST");
}

#[test]
fn hours_are_counted_in_the_prescribers_zone() {
    // 22:00Z on Friday is 18:00 in New York (closed) and 15:00 in Los
    // Angeles (two hours left).
    let received = utc("2026-10-16T22:00:00Z");
    let la = BusinessCalendar::federal(zone("America/Los_Angeles"));
    assert_eq!(
        verification_deadline(received, &ny()),
        utc("2026-10-19T21:00:00Z"),
        "Monday 09:00-17:00 EDT"
    );
    assert_eq!(
        verification_deadline(received, &la),
        utc("2026-10-19T22:00:00Z"),
        "Friday 15-17 and Monday 09:00-15:00 PDT"
    );
}

#[test]
fn saturday_hours_count_only_when_set() {
    let cal = ny()
        .with_saturday_hours(Time::constant(9, 0, 0, 0), Time::constant(13, 0, 0, 0))
        .unwrap();
    let received = ny_at(date(2026, 10, 16), 15, 0);
    // Friday 2 h, Saturday 4 h, Monday 2 h.
    assert_eq!(
        verification_deadline(received, &cal),
        ny_at(date(2026, 10, 19), 11, 0)
    );
    assert!(
        ny().with_saturday_hours(Time::constant(13, 0, 0, 0), Time::constant(9, 0, 0, 0))
            .is_err()
    );
}

#[test]
fn extra_closed_days_are_skipped() {
    // A day given by executive order (Christmas Eve 2026, a Thursday).
    let cal = ny().with_extra_holidays([date(2026, 12, 24)]);
    let received = ny_at(date(2026, 12, 23), 15, 0);
    assert_eq!(
        verification_deadline(received, &ny()),
        ny_at(date(2026, 12, 24), 15, 0)
    );
    assert_eq!(
        verification_deadline(received, &cal),
        ny_at(date(2026, 12, 28), 15, 0),
        "24th closed, 25th Christmas, then the weekend"
    );
}

#[test]
fn an_agent_copy_gets_forty_hours_around_thanksgiving() {
    // Wednesday 25 November 2026 10:00: 7 h that day, Thursday is
    // Thanksgiving, then 8 h on Friday, Monday, Tuesday and Wednesday
    // (39 h), and the last hour on Thursday 3 December.
    let requested = ny_at(date(2026, 11, 25), 10, 0);
    let due = agent_copy_deadline(requested, &ny());
    assert_eq!(due, ny_at(date(2026, 12, 3), 10, 0));
    assert_eq!(due, utc("2026-12-03T15:00:00Z"));
}

#[test]
fn a_custom_calendar_has_only_its_own_holidays() {
    let cal = BusinessCalendar::new(
        zone("America/Chicago"),
        Time::constant(8, 0, 0, 0),
        Time::constant(12, 30, 0, 0),
        BTreeSet::from([date(2026, 10, 19)]),
    )
    .unwrap();
    assert!(cal.is_holiday(date(2026, 10, 19)));
    assert!(
        !cal.is_holiday(date(2026, 12, 25)),
        "no federal rule on a custom calendar"
    );
    let received = local("America/Chicago", date(2026, 10, 16), 11, 0);
    // Friday 1.5 h, Monday closed, Tuesday 4.5 h, Wednesday 2 h.
    assert_eq!(
        cal.add_business_hours(received, 8),
        local("America/Chicago", date(2026, 10, 21), 10, 0)
    );
    let bad =
        |open, close| BusinessCalendar::new(zone("UTC"), open, close, BTreeSet::new()).unwrap_err();
    assert!(bad(Time::constant(17, 0, 0, 0), Time::constant(9, 0, 0, 0)).contains("close after"));
    assert!(bad(Time::constant(9, 0, 30, 0), Time::constant(17, 0, 0, 0)).contains("whole minute"));
}

#[test]
fn business_time_between_two_instants() {
    let cal = ny();
    let fri = ny_at(date(2026, 10, 16), 15, 0);
    let mon = ny_at(date(2026, 10, 19), 10, 30);
    assert_eq!(
        cal.business_hours_between(fri, mon),
        SignedDuration::from_mins(210)
    );
    assert_eq!(
        cal.business_hours_between(mon, fri),
        SignedDuration::from_mins(-210)
    );
    assert_eq!(cal.business_hours_between(fri, fri), SignedDuration::ZERO);
    let sat = ny_at(date(2026, 10, 17), 10, 0);
    let sun = ny_at(date(2026, 10, 18), 16, 0);
    assert_eq!(cal.business_hours_between(sat, sun), SignedDuration::ZERO);
}

// ---------------------------------------------------------------------------
// Verification request state, as the clock moves
// ---------------------------------------------------------------------------

#[test]
fn an_unanswered_request_is_pending_until_the_deadline_then_passively_verified() {
    let cal = ny();
    let received = ny_at(date(2026, 10, 16), 15, 0);
    let clock = TestClock::new(received);
    let status = |clock: &TestClock| verification_status(received, None, clock.now(), &cal);

    let s = status(&clock);
    assert_eq!(s.outcome, VerificationOutcome::Pending);
    assert_eq!(s.deadline, ny_at(date(2026, 10, 19), 15, 0));
    assert_eq!(s.answered_on_time, None);
    assert_eq!(
        cal.business_hours_between(clock.now(), s.deadline),
        SignedDuration::from_hours(8)
    );

    // The weekend passes without using any of the eight hours.
    clock.set(ny_at(date(2026, 10, 18), 23, 0));
    assert_eq!(status(&clock).outcome, VerificationOutcome::Pending);
    assert_eq!(
        cal.business_hours_between(clock.now(), s.deadline),
        SignedDuration::from_hours(6)
    );

    // At the last instant it is still pending; one second later it is not.
    clock.set(s.deadline);
    assert_eq!(status(&clock).outcome, VerificationOutcome::Pending);
    clock.advance_secs(1);
    let lapsed = status(&clock);
    assert_eq!(lapsed.outcome, VerificationOutcome::PassivelyVerified);
    assert!(lapsed.outcome.is_verified());
    assert_eq!(lapsed.answered_on_time, None);
}

#[test]
fn an_answer_in_time_decides_the_request() {
    let cal = ny();
    let received = ny_at(date(2026, 10, 16), 15, 0);
    let deadline = verification_deadline(received, &cal);
    let later = ny_at(date(2026, 10, 20), 12, 0);
    let monday_ten = ny_at(date(2026, 10, 19), 10, 0);

    let confirmed = verification_status(
        received,
        Some((monday_ten, &VerificationAnswer::Confirmed)),
        later,
        &cal,
    );
    assert_eq!(confirmed.outcome, VerificationOutcome::Verified);
    assert_eq!(confirmed.answered_on_time, Some(true));

    let corrected = verification_status(
        received,
        Some((monday_ten, &VerificationAnswer::Corrected)),
        later,
        &cal,
    );
    assert_eq!(corrected.outcome, VerificationOutcome::Corrected);
    assert!(corrected.outcome.is_verified());

    let invalid = VerificationAnswer::invalid("  expired on 2026-09-30 ").unwrap();
    let refused = verification_status(received, Some((deadline, &invalid)), later, &cal);
    assert_eq!(
        refused.outcome,
        VerificationOutcome::Invalid {
            reason: "expired on 2026-09-30".into()
        }
    );
    assert_eq!(
        refused.answered_on_time,
        Some(true),
        "an answer at the deadline is within the eight hours"
    );
    assert!(!refused.outcome.is_verified());
    assert!(VerificationAnswer::invalid("   ").is_err());
}

#[test]
fn a_late_answer_is_recorded_as_late_and_the_request_was_passively_verified() {
    let cal = ny();
    let received = ny_at(date(2026, 10, 16), 15, 0);
    let late = ny_at(date(2026, 10, 19), 15, 30);
    let invalid = VerificationAnswer::invalid("patient not seen since 2023").unwrap();
    let s = verification_status(
        received,
        Some((late, &invalid)),
        ny_at(date(2026, 10, 20), 9, 0),
        &cal,
    );
    assert_eq!(s.outcome, VerificationOutcome::PassivelyVerified);
    assert_eq!(s.answered_on_time, Some(false));
    assert_eq!(s.deadline, ny_at(date(2026, 10, 19), 15, 0));
}

#[test]
fn an_answer_after_now_is_not_known_yet() {
    let cal = ny();
    let received = ny_at(date(2026, 10, 16), 15, 0);
    let answer_at = ny_at(date(2026, 10, 19), 11, 0);
    let s = verification_status(
        received,
        Some((answer_at, &VerificationAnswer::Confirmed)),
        ny_at(date(2026, 10, 19), 10, 0),
        &cal,
    );
    assert_eq!(s.outcome, VerificationOutcome::Pending);
    assert_eq!(s.answered_on_time, None);
}

#[test]
fn outcomes_serialize_with_a_tag() {
    let json = serde_json::to_string(&VerificationOutcome::Invalid {
        reason: "expired".into(),
    })
    .unwrap();
    assert_eq!(json, r#"{"outcome":"invalid","reason":"expired"}"#);
    assert_eq!(
        serde_json::to_string(&VerificationOutcome::PassivelyVerified).unwrap(),
        r#"{"outcome":"passively_verified"}"#
    );
}

// ---------------------------------------------------------------------------
// Federal holidays
// ---------------------------------------------------------------------------

#[test]
fn federal_holidays_2026() {
    assert_eq!(
        us_federal_holidays(2026),
        vec![
            date(2026, 1, 1),
            date(2026, 1, 19),
            date(2026, 2, 16),
            date(2026, 5, 25),
            date(2026, 6, 19),
            date(2026, 7, 3), // 4 July is a Saturday
            date(2026, 9, 7),
            date(2026, 10, 12),
            date(2026, 11, 11),
            date(2026, 11, 26),
            date(2026, 12, 25),
        ]
    );
}

#[test]
fn federal_holidays_2027_include_new_year_2028_observed_on_new_years_eve() {
    let named = us_federal_holidays_named(2027);
    let dates: Vec<Date> = named.iter().map(|(d, _)| *d).collect();
    assert_eq!(
        dates,
        vec![
            date(2027, 1, 1),
            date(2027, 1, 18),
            date(2027, 2, 15),
            date(2027, 5, 31),
            date(2027, 6, 18), // Juneteenth is a Saturday
            date(2027, 7, 5),  // 4 July is a Sunday
            date(2027, 9, 6),
            date(2027, 10, 11),
            date(2027, 11, 11),
            date(2027, 11, 25),
            date(2027, 12, 24), // Christmas is a Saturday
            date(2027, 12, 31), // 1 January 2028 is a Saturday
        ]
    );
    assert_eq!(named[11].1, "New Year's Day");
    assert_eq!(named[10].1, "Christmas Day");
}

#[test]
fn federal_holidays_2028_have_no_new_years_day_of_their_own() {
    assert_eq!(
        us_federal_holidays(2028),
        vec![
            date(2028, 1, 17),
            date(2028, 2, 21),
            date(2028, 5, 29),
            date(2028, 6, 19),
            date(2028, 7, 4),
            date(2028, 9, 4),
            date(2028, 10, 9),
            date(2028, 11, 10), // Veterans Day is a Saturday
            date(2028, 11, 23),
            date(2028, 12, 25),
        ]
    );
    assert!(is_us_federal_holiday(date(2027, 12, 31)));
    assert!(!is_us_federal_holiday(date(2028, 1, 1)));
}

#[test]
fn juneteenth_counts_from_2021() {
    assert!(!us_federal_holidays(2020).iter().any(|d| d.month() == 6));
    // 19 June 2021 was a Saturday; 1 January 2022 too.
    let y2021 = us_federal_holidays(2021);
    assert!(y2021.contains(&date(2021, 6, 18)));
    assert!(y2021.contains(&date(2021, 12, 31)));
    assert_eq!(y2021.len(), 12);
}

#[test]
fn a_sunday_holiday_moves_to_monday_in_the_same_year() {
    // 1 January 2023 and 25 December 2022 were Sundays.
    assert!(us_federal_holidays(2023).contains(&date(2023, 1, 2)));
    assert!(us_federal_holidays(2022).contains(&date(2022, 12, 26)));
    assert!(!us_federal_holidays(2022).contains(&date(2022, 12, 31)));
}

#[test]
fn the_friday_before_new_year_2028_closes_the_clock() {
    let received = ny_at(date(2027, 12, 30), 13, 0);
    assert_eq!(
        verification_deadline(received, &ny()),
        ny_at(date(2028, 1, 3), 13, 0),
        "Thursday 13-17, Friday 31 December observed, Monday 9-13"
    );
}

// ---------------------------------------------------------------------------
// Prescription expiry
// ---------------------------------------------------------------------------

#[test]
fn california_spectacles_run_two_years_and_shorter_needs_a_reason() {
    let issue = date(2026, 3, 15);
    assert_eq!(
        expiration(issue, RxKind::Spectacle, "CA", None, None),
        Ok(date(2028, 3, 15))
    );
    let err = expiration(issue, RxKind::Spectacle, "ca", Some(12), None).unwrap_err();
    assert_eq!(
        err,
        "a spectacle prescription in CA must run at least 24 months (Cal. Bus. & Prof. Code § 2541.1); to set 12 months, document the medical reason for the shorter expiry"
    );
    assert_eq!(
        expiration(
            issue,
            RxKind::Spectacle,
            "CA",
            Some(12),
            Some("progressive myopia")
        ),
        Ok(date(2027, 3, 15))
    );
    assert!(required_fields(RxKind::Spectacle, "CA").contains(&"prescriber_license_number"));
}

#[test]
fn contact_lenses_run_a_year_under_federal_rules() {
    let issue = date(2026, 3, 15);
    // Oregon has no row: the federal rule applies.
    assert_eq!(
        expiration(issue, RxKind::ContactLens, "OR", None, None),
        Ok(date(2027, 3, 15))
    );
    let err = expiration(issue, RxKind::ContactLens, "OR", Some(6), None).unwrap_err();
    assert_eq!(
        err,
        "a contact lens prescription in OR must run at least 12 months (16 CFR 315.6; 15 U.S.C. 7604); to set 6 months, document the medical reason for the shorter expiry"
    );
    assert!(
        expiration(issue, RxKind::ContactLens, "OR", Some(6), Some("  ")).is_err(),
        "a blank reason documents nothing"
    );
    assert_eq!(
        expiration(
            issue,
            RxKind::ContactLens,
            "OR",
            Some(6),
            Some("corneal neovascularization; recheck in 6 months")
        ),
        Ok(date(2026, 9, 15))
    );
    assert_eq!(
        expiration(issue, RxKind::ContactLens, "US", Some(24), None),
        Ok(date(2028, 3, 15))
    );
}

#[test]
fn texas_contact_lenses_and_new_hampshire_spectacles() {
    let issue = date(2026, 3, 15);
    assert_eq!(
        expiration(issue, RxKind::ContactLens, "TX", Some(24), None),
        Ok(date(2028, 3, 15))
    );
    assert!(expiration(issue, RxKind::ContactLens, "TX", Some(11), None).is_err());
    assert_eq!(
        expiration(issue, RxKind::Spectacle, "NH", None, None),
        Ok(date(2028, 3, 15))
    );
    let err = expiration(issue, RxKind::Spectacle, "NH", Some(36), Some("any")).unwrap_err();
    assert!(
        err.contains("at most 24 months") && err.contains("in NH"),
        "{err}"
    );
    let tx = required_fields(RxKind::ContactLens, "TX");
    assert!(tx.contains(&"total_lenses_authorized") && tx.contains(&"replacement_interval"));
}

#[test]
fn a_leap_day_issue_clamps_to_the_end_of_february() {
    let leap = date(2028, 2, 29);
    assert_eq!(
        expiration(leap, RxKind::ContactLens, "TX", None, None),
        Ok(date(2029, 2, 28))
    );
    assert_eq!(
        expiration(leap, RxKind::Spectacle, "CA", None, None),
        Ok(date(2030, 2, 28))
    );
    assert_eq!(
        expiration(leap, RxKind::Spectacle, "CA", Some(48), None),
        Ok(date(2032, 2, 29))
    );
}

#[test]
fn nonsense_requests_are_refused_with_what_to_fix() {
    let issue = date(2026, 3, 15);
    let err = expiration(issue, RxKind::Spectacle, "Cali", None, None).unwrap_err();
    assert_eq!(
        err,
        "\"Cali\" is not a US state code; enter the two-letter postal code, e.g. CA"
    );
    assert!(expiration(issue, RxKind::Spectacle, "ZZ", None, None).is_err());
    assert!(
        expiration(issue, RxKind::Spectacle, "WA", Some(0), Some("x"))
            .unwrap_err()
            .contains("at least 1 month")
    );
    assert!(expiration(date(9999, 6, 1), RxKind::Spectacle, "WA", Some(12), None).is_err());
    assert!(expiration(issue, RxKind::Spectacle, "WA", Some(u32::MAX), None).is_err());
}

#[test]
fn required_fields_follow_the_rules() {
    let cl = required_fields(RxKind::ContactLens, "OR");
    for f in [
        "patient_name",
        "exam_date",
        "issue_date",
        "expiration_date",
        "prescriber_name",
        "prescriber_npi",
        "practice_address",
        "practice_phone",
        "practice_fax",
        "power",
        "material_or_manufacturer",
        "base_curve",
        "diameter",
        "private_label_names",
    ] {
        assert!(cl.contains(&f), "{f} missing from {cl:?}");
    }
    assert!(!cl.contains(&"prescriber_license_number"));
    let unique: BTreeSet<_> = cl.iter().collect();
    assert_eq!(unique.len(), cl.len(), "no field twice: {cl:?}");

    let nc = required_fields(RxKind::Spectacle, "NC");
    assert!(nc.contains(&"expiration_date"));
    let federal = required_fields(RxKind::Spectacle, "WA");
    assert!(!federal.contains(&"expiration_date") && federal.contains(&"power"));
    assert!(required_fields(RxKind::Spectacle, "NH").contains(&"vertex_distance_when_necessary"));
}

#[test]
fn the_rules_table_is_consistent() {
    let mut seen = BTreeSet::new();
    for rule in STATE_RX_RULES.iter().chain(FEDERAL_RX_RULES.iter()) {
        assert_eq!(
            parse_state_code(rule.state),
            Ok(rule.state),
            "{}",
            rule.state
        );
        assert!(
            seen.insert((rule.state, rule.kind as u8)),
            "two rows for {} {:?}",
            rule.state,
            rule.kind
        );
        assert!(!rule.citation.is_empty());
        assert!(rule.default_months >= rule.min_months, "{rule:?}");
        if let Some(max) = rule.max_months {
            assert!(
                rule.default_months <= max && rule.min_months <= max,
                "{rule:?}"
            );
        }
        if rule.kind == RxKind::ContactLens {
            assert!(rule.default_months >= CONTACT_LENS_MIN_MONTHS, "{rule:?}");
        }
        // The default is always accepted without a reason.
        assert!(
            expiration(date(2026, 1, 31), rule.kind, rule.state, None, None).is_ok(),
            "{rule:?}"
        );
    }
    assert_eq!(rx_rule(RxKind::Spectacle, "ca").state, "CA");
    assert_eq!(rx_rule(RxKind::ContactLens, "CA").state, FEDERAL);
}

// ---------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------

#[test]
fn confirmations_are_kept_three_years() {
    assert_eq!(CONFIRMATION_RETENTION_YEARS, 3);
    assert_eq!(
        confirmation_deletable_after(date(2026, 5, 10)),
        date(2029, 5, 10)
    );
    assert_eq!(
        confirmation_deletable_after(date(2028, 2, 29)),
        date(2031, 2, 28)
    );
    assert_eq!(confirmation_deletable_after(date(9998, 1, 1)), Date::MAX);
}

// ---------------------------------------------------------------------------
// Properties of the clock
// ---------------------------------------------------------------------------

const ZONES: [&str; 6] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "Pacific/Honolulu",
];

/// Any instant from 2026 to 2028, to the microsecond.
fn instant() -> impl Strategy<Value = Timestamp> {
    let start = utc("2026-01-01T00:00:00Z").as_micros();
    let end = utc("2029-01-01T00:00:00Z").as_micros();
    (start..end).prop_map(Timestamp::from_micros)
}

fn calendar() -> impl Strategy<Value = BusinessCalendar> {
    (0..ZONES.len(), any::<bool>()).prop_map(|(i, saturday)| {
        let cal = BusinessCalendar::federal(zone(ZONES[i]));
        if saturday {
            cal.with_saturday_hours(Time::constant(10, 0, 0, 0), Time::constant(14, 30, 0, 0))
                .unwrap()
        } else {
            cal
        }
    })
}

proptest! {
    #[test]
    fn adding_hours_is_monotonic(cal in calendar(), a in instant(), b in instant(), h1 in 0u32..120, h2 in 0u32..120) {
        let (lo, hi) = (h1.min(h2), h1.max(h2));
        prop_assert!(cal.add_business_hours(a, lo) <= cal.add_business_hours(a, hi));
        let (early, late) = (a.min(b), a.max(b));
        prop_assert!(cal.add_business_hours(early, h1) <= cal.add_business_hours(late, h1));
        prop_assert!(cal.add_business_hours(a, h1) >= a);
    }

    #[test]
    fn the_hours_added_are_the_hours_between(cal in calendar(), from in instant(), h in 0u32..400) {
        let due = cal.add_business_hours(from, h);
        prop_assert_eq!(cal.business_hours_between(from, due), SignedDuration::from_hours(i64::from(h)));
        prop_assert_eq!(cal.business_hours_between(due, from), SignedDuration::from_hours(-i64::from(h)));
    }

    #[test]
    fn a_deadline_ends_inside_business_hours(cal in calendar(), from in instant(), h in 1u32..100) {
        let due = cal.add_business_hours(from, h);
        let local = due.to_jiff().to_zoned_datetime(cal.time_zone().clone());
        let (open, close) = match local.date().weekday() {
            jiff::civil::Weekday::Saturday => cal.saturday_hours().unwrap(),
            jiff::civil::Weekday::Sunday => unreachable!("nothing is due on a Sunday"),
            _ => (cal.open(), cal.close()),
        };
        prop_assert!(!cal.is_holiday(local.date()));
        prop_assert!(open < local.time() && local.time() <= close, "{}", local);
    }

    #[test]
    fn business_time_adds_up(cal in calendar(), a in instant(), b in instant(), c in instant()) {
        prop_assert_eq!(
            cal.business_hours_between(a, b) + cal.business_hours_between(b, c),
            cal.business_hours_between(a, c)
        );
    }
}

#[test]
fn an_absurd_number_of_hours_saturates_at_the_last_instant() {
    let last = utc("9999-12-30T22:00:00Z");
    let from = ny_at(date(2026, 1, 5), 9, 0);
    assert_eq!(ny().add_business_hours(from, u32::MAX), last);
    // Close to the end the walk itself runs out of days.
    let always_open = BusinessCalendar::new(
        zone("UTC"),
        Time::constant(0, 0, 0, 0),
        Time::constant(23, 59, 0, 0),
        BTreeSet::new(),
    )
    .unwrap();
    assert_eq!(
        always_open.add_business_hours(utc("9999-12-01T00:00:00Z"), 24 * 40),
        last
    );
}
