//! Acceptance tests for the closed-loop biopsy log: the order of steps and
//! the messages for steps out of order, each SLA timer against a simulated
//! clock (fires once at its due time, escalates, stops when the biopsy
//! moves on), business days across weekends and holidays, the quality
//! measures, and properties over arbitrary event sequences.

// A failed unwrap in a test helper or strategy is a test failure with its
// location; that is the point.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use kerato_domain::biopsies::*;
use kerato_domain::calendar::BusinessCalendar;
use kerato_domain::ids::{BiopsyId, UserId};
use kerato_domain::time::{Clock, TestClock, Timestamp};
use proptest::prelude::*;

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn ny() -> BusinessCalendar {
    BusinessCalendar::federal(jiff::tz::db().get("America/New_York").unwrap())
}

/// An instant written as a New York clock time; the tests only use times
/// that exist exactly once.
fn ny_at(d: Date, h: i8, m: i8) -> Timestamp {
    let tz: TimeZone = jiff::tz::db().get("America/New_York").unwrap();
    Timestamp::from_jiff(tz.to_timestamp(d.at(h, m, 0, 0)).unwrap())
}

fn biopsy_id(n: u8) -> BiopsyId {
    BiopsyId::new(Timestamp::from_micros(0), [n; 10])
}

fn user(n: u8) -> UserId {
    UserId::new(Timestamp::from_micros(0), [n; 10])
}

fn dr() -> UserId {
    user(1)
}

fn result(diagnosis: Diagnosis) -> BiopsyEvent {
    BiopsyEvent::RecordResult {
        diagnosis,
        text: "Basal cell carcinoma, nodular type".into(),
        received: None,
    }
}

fn notify(when: Timestamp) -> BiopsyEvent {
    BiopsyEvent::Notify {
        how: NotifyChannel::Phone,
        by: user(2),
        when,
    }
}

fn plan() -> BiopsyEvent {
    BiopsyEvent::Plan {
        text: "Mohs referral".into(),
    }
}

/// Applies `event` at `at`, which must succeed.
fn step(b: &BiopsyTimeline, event: BiopsyEvent, at: Timestamp) -> BiopsyTimeline {
    advance(b, event, at).unwrap()
}

/// A biopsy ordered and sent at `sent`.
fn sent_at(sent: Timestamp) -> BiopsyTimeline {
    let b = BiopsyTimeline::new(biopsy_id(7), dr(), sent);
    step(&b, BiopsyEvent::Send, sent)
}

/// Runs `clock` from `from` to `to` in `every` steps and returns, for each
/// alert key, the first instant at which `due_alerts` reported it, as an
/// application that stores sent keys would send it.
fn simulate(
    b: &BiopsyTimeline,
    clock: &TestClock,
    to: Timestamp,
    every: i64,
) -> BTreeMap<String, Timestamp> {
    let cal = ny();
    let mut sent: BTreeMap<String, Timestamp> = BTreeMap::new();
    while clock.now() <= to {
        for alert in due_alerts(b, clock.now(), &cal) {
            sent.entry(alert.key()).or_insert(clock.now());
        }
        clock.advance_micros(every);
    }
    sent
}

// ---------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------

#[test]
fn the_whole_loop_runs_in_order_to_closed() {
    let t0 = ny_at(date(2026, 10, 5), 10, 0);
    let mut b = BiopsyTimeline::new(biopsy_id(1), dr(), t0);
    assert_eq!(b.state(), BiopsyState::Ordered);
    let events = [
        BiopsyEvent::Send,
        result(Diagnosis::Malignant),
        BiopsyEvent::Review { by: dr() },
        notify(t0.plus_micros(3 * HOUR)),
        plan(),
        BiopsyEvent::Close,
    ];
    let expected = [
        BiopsyState::Sent,
        BiopsyState::Resulted,
        BiopsyState::Reviewed,
        BiopsyState::PatientNotified,
        BiopsyState::Planned,
        BiopsyState::Closed,
    ];
    for (i, (event, state)) in events.into_iter().zip(expected).enumerate() {
        let at = t0.plus_micros(i64::try_from(i).unwrap() * HOUR);
        b = step(&b, event, at);
        assert_eq!(b.state(), state);
    }
    let n = b.notification.as_ref().unwrap();
    assert_eq!(n.how, NotifyChannel::Phone);
    assert_eq!(n.by, user(2));
    assert_eq!(n.when, t0.plus_micros(3 * HOUR));
    assert_eq!(b.review.as_ref().unwrap().by, dr());
    assert_eq!(b.result.as_ref().unwrap().diagnosis, Diagnosis::Malignant);
}

#[test]
fn a_biopsy_cannot_be_closed_without_review_and_notification() {
    let t = ny_at(date(2026, 10, 5), 10, 0);
    let resulted = step(&sent_at(t), result(Diagnosis::Benign), t);
    let err = advance(&resulted, BiopsyEvent::Close, t).unwrap_err();
    assert!(err.contains("reviewed"), "{err}");
    assert!(err.contains("patient notified"), "{err}");

    let reviewed = step(&resulted, BiopsyEvent::Review { by: dr() }, t);
    let err = advance(&reviewed, BiopsyEvent::Close, t).unwrap_err();
    assert_eq!(err, "record the patient notification before closing");

    let notified = step(&reviewed, notify(t), t);
    let err = advance(&notified, BiopsyEvent::Close, t).unwrap_err();
    assert!(err.contains("record the plan"), "{err}");

    let planned = step(&notified, plan(), t);
    assert_eq!(
        step(&planned, BiopsyEvent::Close, t).state(),
        BiopsyState::Closed
    );
}

#[test]
fn notification_before_review_is_refused() {
    let t = ny_at(date(2026, 10, 5), 10, 0);
    let resulted = step(&sent_at(t), result(Diagnosis::Malignant), t);
    let err = advance(&resulted, notify(t), t).unwrap_err();
    assert_eq!(
        err,
        "a clinician must review the result before the patient is notified"
    );
    let err = advance(&sent_at(t), notify(t), t).unwrap_err();
    assert!(err.contains("before notifying the patient"), "{err}");
}

#[test]
fn invalid_transitions_are_refused_with_messages() {
    let t = ny_at(date(2026, 10, 5), 10, 0);
    let ordered = BiopsyTimeline::new(biopsy_id(1), dr(), t);
    let sent = step(&ordered, BiopsyEvent::Send, t);

    let cases: Vec<(&BiopsyTimeline, BiopsyEvent, &str)> = vec![
        (&ordered, result(Diagnosis::Benign), "sent before recording"),
        (
            &ordered,
            BiopsyEvent::Review { by: dr() },
            "record the pathology result before reviewing",
        ),
        (&sent, BiopsyEvent::Send, "already been sent"),
        (
            &sent,
            BiopsyEvent::Review { by: dr() },
            "record the pathology result before reviewing",
        ),
        (
            &sent,
            plan(),
            "record the patient notification before recording the plan",
        ),
        (
            &sent,
            BiopsyEvent::RecordResult {
                diagnosis: Diagnosis::Benign,
                text: "   ".into(),
                received: None,
            },
            "enter the pathology report text",
        ),
    ];
    for (b, event, expected) in cases {
        let err = advance(b, event.clone(), t).unwrap_err();
        assert!(err.contains(expected), "{event:?}: {err}");
    }

    let resulted = step(&sent, result(Diagnosis::Benign), t);
    let err = advance(&resulted, result(Diagnosis::Malignant), t).unwrap_err();
    assert!(err.contains("already recorded"), "{err}");

    let reviewed = step(
        &resulted,
        BiopsyEvent::Review { by: dr() },
        t.plus_micros(HOUR),
    );
    let err = advance(
        &reviewed,
        BiopsyEvent::Review { by: dr() },
        t.plus_micros(HOUR),
    )
    .unwrap_err();
    assert!(err.contains("already been reviewed"), "{err}");
    // A notification cannot be dated in the future, nor before the review.
    let err = advance(
        &reviewed,
        notify(t.plus_micros(2 * HOUR)),
        t.plus_micros(HOUR),
    )
    .unwrap_err();
    assert!(err.contains("in the future"), "{err}");
    let err = advance(&reviewed, notify(t), t.plus_micros(HOUR)).unwrap_err();
    assert!(err.contains("before the review"), "{err}");
    // No step may be recorded before the previous one.
    let err = advance(&reviewed, notify(t), t).unwrap_err();
    assert!(err.contains("before the previous step"), "{err}");

    let notified = step(&reviewed, notify(t.plus_micros(HOUR)), t.plus_micros(HOUR));
    let err = advance(
        &notified,
        BiopsyEvent::Plan { text: "".into() },
        t.plus_micros(HOUR),
    )
    .unwrap_err();
    assert!(err.contains("enter the plan"), "{err}");
    let planned = step(&notified, plan(), t.plus_micros(HOUR));
    let closed = step(&planned, BiopsyEvent::Close, t.plus_micros(HOUR));
    for event in [BiopsyEvent::Send, BiopsyEvent::Close, plan()] {
        let err = advance(&closed, event, t.plus_micros(2 * HOUR)).unwrap_err();
        assert!(err.contains("closed"), "{err}");
    }
}

// ---------------------------------------------------------------------------
// Timers against a simulated clock
// ---------------------------------------------------------------------------

#[test]
fn no_result_fires_once_after_seven_calendar_days_then_escalates() {
    // Sent Tuesday 6 October 2026, 10:00. Seven calendar days later is
    // Tuesday 13 October 10:00 (Columbus Day, the Monday, does not matter
    // to a calendar-day timer). Two business days after that is Thursday
    // 15 October 10:00.
    let sent = ny_at(date(2026, 10, 6), 10, 0);
    let b = sent_at(sent);
    let clock = TestClock::new(sent);
    let fired = simulate(&b, &clock, ny_at(date(2026, 10, 20), 10, 0), 15 * MINUTE);
    let clinician = alert_key(b.id, AlertKind::NoResult, Recipient::ResponsibleClinician);
    let director = alert_key(b.id, AlertKind::NoResult, Recipient::MedicalDirector);
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(fired[&clinician], ny_at(date(2026, 10, 13), 10, 0));
    assert_eq!(fired[&director], ny_at(date(2026, 10, 15), 10, 0));

    // Not a microsecond early.
    let cal = ny();
    let due = ny_at(date(2026, 10, 13), 10, 0);
    assert!(due_alerts(&b, due.plus_micros(-1), &cal).is_empty());
    let alerts = due_alerts(&b, due, &cal);
    assert_eq!(
        alerts,
        vec![Alert {
            biopsy: b.id,
            kind: AlertKind::NoResult,
            due_at: due,
            escalate_to: Recipient::ResponsibleClinician,
        }]
    );
    let later = due_alerts(&b, ny_at(date(2026, 10, 15), 10, 0), &cal);
    assert_eq!(later.len(), 2);
    assert_eq!(later[1].escalate_to, Recipient::MedicalDirector);
    assert_eq!(later[1].due_at, ny_at(date(2026, 10, 15), 10, 0));
}

#[test]
fn no_result_keeps_wall_clock_time_across_daylight_saving() {
    // Sent Friday 30 October 2026 at 10:00 EDT; clocks go back on
    // 1 November, so seven days later is 10:00 EST, 169 hours on.
    let sent = ny_at(date(2026, 10, 30), 10, 0);
    let alerts = due_alerts(&sent_at(sent), ny_at(date(2026, 11, 6), 10, 0), &ny());
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].due_at, ny_at(date(2026, 11, 6), 10, 0));
    assert_eq!(alerts[0].due_at.as_micros() - sent.as_micros(), 169 * HOUR);
}

#[test]
fn malignant_not_reviewed_counts_business_days_over_a_holiday_weekend() {
    // Resulted Friday 4 September 2026 at 16:00; Monday 7 September is
    // Labor Day. The two business days are Tuesday and Wednesday, so the
    // alert is due Wednesday 9 September at 16:00 and escalates two
    // business days later, Friday 11 September at 16:00.
    let resulted_at = ny_at(date(2026, 9, 4), 16, 0);
    let b = step(
        &sent_at(ny_at(date(2026, 9, 1), 10, 0)),
        result(Diagnosis::Malignant),
        resulted_at,
    );
    let clock = TestClock::new(resulted_at);
    let fired = simulate(&b, &clock, ny_at(date(2026, 9, 18), 0, 0), 15 * MINUTE);
    let key = |r| alert_key(b.id, AlertKind::MalignantNotReviewed, r);
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(
        fired[&key(Recipient::ResponsibleClinician)],
        ny_at(date(2026, 9, 9), 16, 0)
    );
    assert_eq!(
        fired[&key(Recipient::MedicalDirector)],
        ny_at(date(2026, 9, 11), 16, 0)
    );

    // The following Friday has no holiday after it: due Tuesday 16:00.
    let plain = step(
        &sent_at(ny_at(date(2026, 9, 8), 10, 0)),
        result(Diagnosis::Malignant),
        ny_at(date(2026, 9, 11), 16, 0),
    );
    let (kind, due) = running_timer(&plain, &ny()).unwrap();
    assert_eq!(kind, AlertKind::MalignantNotReviewed);
    assert_eq!(due, ny_at(date(2026, 9, 15), 16, 0));
}

#[test]
fn a_report_entered_late_runs_its_clock_from_its_arrival() {
    // Sent Tuesday 1 September, the malignant report arrived Friday 4
    // September at 16:00 but was typed in on Thursday 10 September: the
    // review was due Wednesday 9 September, so it is overdue on entry and
    // both levels of alert are due at once by Friday 11 September.
    let sent = sent_at(ny_at(date(2026, 9, 1), 10, 0));
    let arrived = ny_at(date(2026, 9, 4), 16, 0);
    let entered = ny_at(date(2026, 9, 10), 9, 0);
    let event = BiopsyEvent::RecordResult {
        diagnosis: Diagnosis::Malignant,
        text: "Melanoma in situ".into(),
        received: Some(arrived),
    };
    let b = step(&sent, event.clone(), entered);
    assert_eq!(b.result.as_ref().map(|r| r.at), Some(arrived));
    assert_eq!(
        running_timer(&b, &ny()),
        Some((
            AlertKind::MalignantNotReviewed,
            ny_at(date(2026, 9, 9), 16, 0)
        ))
    );
    assert_eq!(due_alerts(&b, entered, &ny()).len(), 1);
    assert_eq!(
        due_alerts(&b, ny_at(date(2026, 9, 11), 16, 0), &ny()).len(),
        2
    );
    // An arrival in the future or before the specimen left is refused.
    for (received, expected) in [
        (ny_at(date(2026, 9, 10), 10, 0), "in the future"),
        (
            ny_at(date(2026, 8, 31), 10, 0),
            "before the specimen was sent",
        ),
    ] {
        let event = BiopsyEvent::RecordResult {
            diagnosis: Diagnosis::Malignant,
            text: "Melanoma in situ".into(),
            received: Some(received),
        };
        let err = advance(&sent, event, entered).unwrap_err();
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn a_benign_result_gets_five_business_days_for_review() {
    let resulted_at = ny_at(date(2026, 9, 4), 16, 0);
    let b = step(
        &sent_at(ny_at(date(2026, 9, 1), 10, 0)),
        result(Diagnosis::Benign),
        resulted_at,
    );
    // Tuesday 8 to Monday 14 September are the five open days.
    let (kind, due) = running_timer(&b, &ny()).unwrap();
    assert_eq!(kind, AlertKind::ResultNotReviewed);
    assert_eq!(due, ny_at(date(2026, 9, 14), 16, 0));
}

#[test]
fn patient_not_notified_fires_escalates_and_stops_once_notified() {
    // Reviewed Monday 9 November 2026 at 11:00. Veterans Day, Wednesday
    // 11 November, is closed, so the five business days are the 10th,
    // 12th, 13th, 16th and 17th: due Tuesday 17 November at 11:00, and to
    // the director on Thursday 19 November at 11:00.
    let reviewed_at = ny_at(date(2026, 11, 9), 11, 0);
    let resulted = step(
        &sent_at(ny_at(date(2026, 11, 2), 10, 0)),
        result(Diagnosis::Atypical),
        ny_at(date(2026, 11, 6), 9, 0),
    );
    let b = step(&resulted, BiopsyEvent::Review { by: dr() }, reviewed_at);
    let clock = TestClock::new(reviewed_at);
    let fired = simulate(&b, &clock, ny_at(date(2026, 11, 25), 0, 0), 15 * MINUTE);
    let key = |r| alert_key(b.id, AlertKind::PatientNotNotified, r);
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(
        fired[&key(Recipient::ResponsibleClinician)],
        ny_at(date(2026, 11, 17), 11, 0)
    );
    assert_eq!(
        fired[&key(Recipient::MedicalDirector)],
        ny_at(date(2026, 11, 19), 11, 0)
    );

    // Notified late, after both alerts: nothing is due any more, however
    // late it is asked.
    let late = ny_at(date(2026, 11, 20), 9, 0);
    let notified = step(&b, notify(late), late);
    assert!(due_alerts(&notified, late, &ny()).is_empty());
    assert!(due_alerts(&notified, late.plus_micros(365 * DAY), &ny()).is_empty());
}

#[test]
fn each_timer_stops_when_the_state_advances() {
    let cal = ny();
    let t0 = ny_at(date(2026, 10, 6), 10, 0);
    let far = t0.plus_micros(400 * DAY);
    let sent = sent_at(t0);
    assert_eq!(due_alerts(&sent, far, &cal).len(), 2);
    assert!(
        due_alerts(&BiopsyTimeline::new(biopsy_id(7), dr(), t0), far, &cal).is_empty(),
        "an unsent order has no timer"
    );

    // A late result stops the no-result alert and starts the review timer.
    let resulted = step(
        &sent,
        result(Diagnosis::Malignant),
        t0.plus_micros(20 * DAY),
    );
    let alerts = due_alerts(&resulted, far, &cal);
    assert!(
        alerts
            .iter()
            .all(|a| a.kind == AlertKind::MalignantNotReviewed)
    );
    assert!(due_alerts(&resulted, t0.plus_micros(20 * DAY), &cal).is_empty());

    let reviewed = step(
        &resulted,
        BiopsyEvent::Review { by: dr() },
        t0.plus_micros(30 * DAY),
    );
    assert!(
        due_alerts(&reviewed, far, &cal)
            .iter()
            .all(|a| a.kind == AlertKind::PatientNotNotified)
    );
    let notified = step(
        &reviewed,
        notify(t0.plus_micros(31 * DAY)),
        t0.plus_micros(31 * DAY),
    );
    assert!(due_alerts(&notified, far, &cal).is_empty());
}

#[test]
fn alert_keys_are_stable_and_distinct() {
    let a = alert_key(
        biopsy_id(1),
        AlertKind::NoResult,
        Recipient::ResponsibleClinician,
    );
    assert_eq!(a, format!("biopsy:{}:no_result:clinician", biopsy_id(1)));
    assert_eq!(
        a,
        alert_key(
            biopsy_id(1),
            AlertKind::NoResult,
            Recipient::ResponsibleClinician
        )
    );
    let others = [
        alert_key(
            biopsy_id(2),
            AlertKind::NoResult,
            Recipient::ResponsibleClinician,
        ),
        alert_key(
            biopsy_id(1),
            AlertKind::NoResult,
            Recipient::MedicalDirector,
        ),
        alert_key(
            biopsy_id(1),
            AlertKind::PatientNotNotified,
            Recipient::ResponsibleClinician,
        ),
    ];
    assert!(others.iter().all(|o| *o != a));
}

// ---------------------------------------------------------------------------
// Business days
// ---------------------------------------------------------------------------

#[test]
fn business_days_keep_the_time_of_day_and_start_at_opening_when_closed() {
    let cal = ny();
    let fri = ny_at(date(2026, 9, 4), 16, 0);
    assert_eq!(cal.add_business_days(fri, 0), fri);
    assert_eq!(
        cal.add_business_days(fri, 1),
        ny_at(date(2026, 9, 8), 16, 0)
    );
    // Saturday counts from Tuesday's opening (Monday is Labor Day).
    let sat = ny_at(date(2026, 9, 5), 11, 0);
    assert_eq!(cal.add_business_days(sat, 0), ny_at(date(2026, 9, 8), 9, 0));
    assert_eq!(
        cal.add_business_days(sat, 2),
        ny_at(date(2026, 9, 10), 9, 0)
    );
    // After closing counts from the next opening.
    let evening = ny_at(date(2026, 9, 9), 20, 0);
    assert_eq!(
        cal.add_business_days(evening, 1),
        ny_at(date(2026, 9, 11), 9, 0)
    );
    // An absurd count saturates rather than walking forever.
    assert!(cal.add_business_days(fri, u32::MAX) > ny_at(date(9000, 1, 1), 0, 0));
}

// ---------------------------------------------------------------------------
// Quality measures
// ---------------------------------------------------------------------------

/// A biopsy sent at `sent` with a result `after` later, reviewed by
/// `reviewer` and notified if asked.
fn closed_loop(
    n: u8,
    sent: Timestamp,
    diagnosis: Diagnosis,
    after: i64,
    reviewer: Option<UserId>,
    notified: bool,
) -> BiopsyTimeline {
    let mut b = BiopsyTimeline::new(biopsy_id(n), dr(), sent);
    b = step(&b, BiopsyEvent::Send, sent);
    let mut t = sent.plus_micros(after);
    b = step(&b, result(diagnosis), t);
    if let Some(by) = reviewer {
        t = t.plus_micros(HOUR);
        b = step(&b, BiopsyEvent::Review { by }, t);
        if notified {
            t = t.plus_micros(HOUR);
            b = step(&b, notify(t), t);
        }
    }
    b
}

#[test]
fn mips_440_style_counts_malignant_reports_within_seven_days() {
    let start = ny_at(date(2026, 1, 1), 0, 0);
    let period = Period {
        start,
        end: ny_at(date(2027, 1, 1), 0, 0),
    };
    // April has no daylight saving change, so seven days are 168 hours.
    let sent = ny_at(date(2026, 4, 6), 10, 0);
    let biopsies = vec![
        // Exactly seven days: met.
        closed_loop(1, sent, Diagnosis::Malignant, 7 * DAY, None, false),
        // A minute late: missed.
        closed_loop(2, sent, Diagnosis::Malignant, 7 * DAY + MINUTE, None, false),
        // Benign: not in the measure.
        closed_loop(3, sent, Diagnosis::Benign, 20 * DAY, None, false),
        // Sent before the period: not in the measure.
        closed_loop(
            4,
            start.plus_micros(-DAY),
            Diagnosis::Malignant,
            DAY,
            None,
            false,
        ),
        // No result yet: no diagnosis, not in the measure.
        sent_at(sent),
    ];
    let m = report_within_7_days(&biopsies, period, &ny());
    assert_eq!((m.numerator, m.denominator), (1, 2));
    assert_eq!(m.gaps, vec![biopsy_id(2)]);
    assert_eq!(m.rate(), Some(0.5));
    assert_eq!(report_within_7_days(&[], period, &ny()).rate(), None);

    // Across the spring change seven calendar days are 167 hours, so a
    // result 168 hours after sending is late.
    let spring = ny_at(date(2026, 3, 2), 10, 0);
    let late = closed_loop(6, spring, Diagnosis::Malignant, 7 * DAY, None, false);
    let m = report_within_7_days(&[late], period, &ny());
    assert_eq!((m.numerator, m.denominator), (0, 1));
}

#[test]
fn aad_follow_up_counts_review_by_the_biopsying_clinician_and_notification() {
    let period = Period {
        start: ny_at(date(2026, 1, 1), 0, 0),
        end: ny_at(date(2027, 1, 1), 0, 0),
    };
    let sent = ny_at(date(2026, 3, 2), 10, 0);
    let biopsies = vec![
        closed_loop(1, sent, Diagnosis::Benign, DAY, Some(dr()), true),
        // Reviewed but the patient never told.
        closed_loop(2, sent, Diagnosis::Malignant, DAY, Some(dr()), false),
        // Reviewed and told, but reviewed by a covering colleague.
        closed_loop(3, sent, Diagnosis::Benign, DAY, Some(user(9)), true),
        // Never resulted.
        sent_at(sent),
        // Ordered but never sent: no biopsy was performed.
        BiopsyTimeline::new(biopsy_id(5), dr(), sent),
    ];
    let m = biopsy_follow_up(&biopsies, period, ny_at(date(2026, 12, 31), 0, 0));
    assert_eq!((m.numerator, m.denominator), (1, 4));
    assert_eq!(m.gaps, vec![biopsy_id(2), biopsy_id(3), biopsy_id(7)]);
    // Before the notification was recorded, the first one had not met it.
    let early = biopsy_follow_up(&biopsies, period, sent.plus_micros(DAY + HOUR));
    assert_eq!(early.numerator, 0);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn any_diagnosis() -> impl Strategy<Value = Diagnosis> {
    prop_oneof![
        Just(Diagnosis::Benign),
        Just(Diagnosis::Atypical),
        Just(Diagnosis::Malignant),
        Just(Diagnosis::Nondiagnostic),
    ]
}

/// Any event, valid or not in the state it meets; `notify_back` is how
/// long before the recording the notification is dated.
fn any_event() -> impl Strategy<Value = (u8, Diagnosis, i64)> {
    (0u8..6, any_diagnosis(), 0i64..(3 * DAY))
}

fn make_event(kind: u8, diagnosis: Diagnosis, notify_back: i64, now: Timestamp) -> BiopsyEvent {
    match kind {
        0 => BiopsyEvent::Send,
        1 => result(diagnosis),
        2 => BiopsyEvent::Review { by: dr() },
        3 => notify(now.plus_micros(-notify_back)),
        4 => plan(),
        _ => BiopsyEvent::Close,
    }
}

proptest! {
    /// Whatever events arrive, in any order and at any pace: an accepted
    /// event moves the state exactly one step forward, a refused one
    /// leaves the history untouched, and every alert due at any instant
    /// belongs to the current state (so no alert of a past state ever
    /// appears), with the clinician's alert due no later than the
    /// director's.
    #[test]
    fn states_only_move_forward_and_alerts_never_outlive_their_state(
        start_day in 0i64..3650,
        steps in prop::collection::vec((0i64..(12 * DAY), any_event()), 0..25),
        probes in prop::collection::vec(0i64..(30 * DAY), 1..4),
    ) {
        let cal = ny();
        let t0 = Timestamp::from_micros(1_700_000_000_000_000 + start_day * DAY);
        let mut b = BiopsyTimeline::new(biopsy_id(3), dr(), t0);
        let mut now = t0;
        for (gap, (kind, diagnosis, back)) in steps {
            // Alerts in the waiting time before the event.
            for p in &probes {
                let at = now.plus_micros(*p);
                let alerts = due_alerts(&b, at, &cal);
                prop_assert!(alerts.len() <= 2);
                for a in &alerts {
                    prop_assert_eq!(a.kind.runs_in(), b.state());
                    prop_assert!(a.due_at <= at);
                    prop_assert_eq!(a.biopsy, b.id);
                }
                if let [first, second] = alerts.as_slice() {
                    prop_assert_eq!(first.escalate_to, Recipient::ResponsibleClinician);
                    prop_assert_eq!(second.escalate_to, Recipient::MedicalDirector);
                    prop_assert!(first.due_at < second.due_at);
                }
            }
            now = now.plus_micros(gap);
            let before = b.state();
            match advance(&b, make_event(kind, diagnosis, back, now), now) {
                Ok(next) => {
                    prop_assert!(next.state() > before);
                    prop_assert_eq!(next.state() as u8, before as u8 + 1);
                    b = next;
                }
                Err(message) => prop_assert!(!message.is_empty()),
            }
        }
        if b.state() == BiopsyState::Closed {
            prop_assert!(b.review.is_some() && b.notification.is_some() && b.plan.is_some());
        }
    }

    /// A timer's first alert is never earlier than the step that started
    /// it, whenever that step happens.
    #[test]
    fn alerts_are_never_due_before_their_step(
        minutes in 0i64..(60 * 24 * 3650),
        diagnosis in any_diagnosis(),
    ) {
        let cal = ny();
        let t = Timestamp::from_micros(1_700_000_000_000_000 + minutes * MINUTE);
        let resulted = step(&sent_at(t), result(diagnosis), t);
        let (_, due) = running_timer(&resulted, &cal).unwrap();
        prop_assert!(due > t);
        let (_, due) = running_timer(&sent_at(t), &cal).unwrap();
        prop_assert!(due > t);
    }
}
