use super::deadlines::end_of_day;
use super::*;
use crate::calendar::BusinessCalendar;
use crate::ids::RightsRequestId;
use crate::time::Timestamp;
use crate::time::{Clock, TestClock};
use jiff::Span;
use jiff::civil::date;
use proptest::prelude::*;

const DAY_SECS: i64 = 86_400;

fn calendar() -> BusinessCalendar {
    BusinessCalendar::federal(jiff::tz::db().get("America/New_York").unwrap())
}

/// The instant of a wall-clock time in New York.
fn ny(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    let tz = jiff::tz::db().get("America/New_York").unwrap();
    Timestamp::from_jiff(
        date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned_datetime(tz)
            .unwrap()
            .timestamp(),
    )
}

/// The last instant of a New York date, which is how deadlines read.
fn end_of(y: i16, m: i8, d: i8) -> Timestamp {
    end_of_day(date(y, m, d), &calendar())
}

fn id() -> RightsRequestId {
    RightsRequestId::new(Timestamp::from_micros(0), [7; 10])
}

fn request(regime: Regime, received: Timestamp) -> RequestTimeline {
    RequestTimeline::new(id(), RequestType::Access, regime, received)
}

fn step(r: &RequestTimeline, event: RequestEvent, now: Timestamp) -> RequestTimeline {
    advance(r, event, now, &calendar()).unwrap()
}

fn verified(regime: Regime, received: Timestamp) -> RequestTimeline {
    step(
        &request(regime, received),
        RequestEvent::VerifyIdentity,
        received,
    )
}

/// A request verified and extended with the notice sent at once.
fn extended(regime: Regime, received: Timestamp, at: Timestamp) -> RequestTimeline {
    step(
        &verified(regime, received),
        RequestEvent::Extend {
            reason: "records are in three systems".into(),
            notice_sent_at: Some(at),
        },
        at,
    )
}

fn kinds(alarms: &[Alarm]) -> Vec<AlarmKind> {
    alarms.iter().map(|a| a.kind).collect()
}

/// Every regime's first and extended deadline for a request received
/// at 10:00 on 3 March 2025 (a Monday), checked against a clock that
/// walks to the deadline: no overdue alarm at its last instant, one a
/// microsecond later.
#[test]
fn every_regime_has_its_deadline_and_extension() {
    let cal = calendar();
    let received = ny(2025, 3, 3, 10, 0);
    let cases = [
        (
            Regime::Statement,
            end_of(2025, 4, 17),
            Some(end_of(2025, 6, 1)),
        ),
        (
            Regime::HipaaAccess,
            end_of(2025, 4, 2),
            Some(end_of(2025, 5, 2)),
        ),
        (
            Regime::HipaaAmendment,
            end_of(2025, 5, 2),
            Some(end_of(2025, 6, 1)),
        ),
        (
            Regime::HipaaAccounting,
            end_of(2025, 5, 2),
            Some(end_of(2025, 6, 1)),
        ),
        (Regime::Ccpa, end_of(2025, 4, 17), Some(end_of(2025, 6, 1))),
        // Fifteen business days after Monday 3 March: 24 March.
        (Regime::CcpaOptOut, end_of(2025, 3, 24), None),
        (Regime::Gdpr, end_of(2025, 4, 3), Some(end_of(2025, 6, 3))),
    ];
    for (regime, first, second) in cases {
        let r = verified(regime, received);
        assert_eq!(due_at(&r, &cal), first, "{regime}");
        let clock = TestClock::new(first);
        assert!(
            !kinds(&alarms(&r, clock.now(), &cal)).contains(&AlarmKind::Overdue),
            "{regime}"
        );
        assert_eq!(days_left(&r, clock.now(), &cal), 0, "{regime}");
        clock.advance_micros(1);
        assert!(
            kinds(&alarms(&r, clock.now(), &cal)).contains(&AlarmKind::Overdue),
            "{regime}"
        );
        assert_eq!(days_left(&r, clock.now(), &cal), -1, "{regime}");

        let decided = ny(2025, 3, 10, 9, 0);
        let outcome = advance(
            &r,
            RequestEvent::Extend {
                reason: "complex".into(),
                notice_sent_at: Some(decided),
            },
            decided,
            &cal,
        );
        match second {
            Some(extended_due) => {
                let e = outcome.unwrap();
                assert_eq!(e.state(), RequestState::Extended);
                assert_eq!(due_at(&e, &cal), extended_due, "{regime}");
                assert_eq!(original_due_at(&e, &cal), first, "{regime}");
                assert!(!is_overdue(&e, first.plus_micros(1), &cal), "{regime}");
                assert!(
                    is_overdue(&e, extended_due.plus_micros(1), &cal),
                    "{regime}"
                );
            }
            None => {
                let err = outcome.unwrap_err();
                assert!(err.contains("cannot be extended"), "{regime}: {err}");
            }
        }
    }
}

#[test]
fn the_statement_promises_45_days_and_90_in_all() {
    let cal = calendar();
    let received = ny(2025, 1, 6, 12, 0);
    let r = verified(Regime::Statement, received);
    assert_eq!(days_left(&r, received, &cal), 45);
    let e = extended(Regime::Statement, received, ny(2025, 1, 7, 12, 0));
    assert_eq!(days_left(&e, received, &cal), 90);
}

/// GDPR months: 31 January plus a month is the last day of February,
/// in a common and in a leap year, and the extension runs two months
/// from that clamped date.
#[test]
fn gdpr_months_end_at_the_month_end() {
    let cal = calendar();
    let cases = [
        ((2025, 1, 31), (2025, 2, 28), (2025, 4, 28)),
        ((2024, 1, 31), (2024, 2, 29), (2024, 4, 29)),
        ((2025, 1, 30), (2025, 2, 28), (2025, 4, 28)),
        ((2025, 3, 15), (2025, 4, 15), (2025, 6, 15)),
        ((2025, 12, 31), (2026, 1, 31), (2026, 3, 31)),
        ((2025, 8, 31), (2025, 9, 30), (2025, 11, 30)),
    ];
    for ((y, m, d), (fy, fm, fd), (ey, em, ed)) in cases {
        let received = ny(y, m, d, 23, 30);
        let r = verified(Regime::Gdpr, received);
        assert_eq!(due_at(&r, &cal), end_of(fy, fm, fd), "received {y}-{m}-{d}");
        let e = extended(Regime::Gdpr, received, received);
        assert_eq!(due_at(&e, &cal), end_of(ey, em, ed), "received {y}-{m}-{d}");
    }
}

/// Labor Day weekend 2025: Monday 1 September is a federal holiday, so
/// ten business days after Friday 29 August end on Monday 15 September,
/// not Friday 12. A request arriving after hours on Friday, on the
/// Saturday or on the holiday itself counts the same way.
#[test]
fn ccpa_confirmation_counts_business_days_across_a_holiday_weekend() {
    let cal = calendar();
    for received in [
        ny(2025, 8, 29, 10, 0),
        ny(2025, 8, 29, 20, 0),
        ny(2025, 8, 30, 11, 0),
        ny(2025, 9, 1, 9, 30),
    ] {
        let r = request(Regime::Ccpa, received);
        assert_eq!(
            confirmation_due_at(&r, &cal),
            Some(end_of(2025, 9, 15)),
            "{received}"
        );
    }
    // A request received on Tuesday 2 September counts from then.
    let r = request(Regime::Ccpa, ny(2025, 9, 2, 8, 0));
    assert_eq!(confirmation_due_at(&r, &cal), Some(end_of(2025, 9, 16)));
    // Other regimes ask for no confirmation.
    assert_eq!(
        confirmation_due_at(&request(Regime::Gdpr, ny(2025, 9, 2, 8, 0)), &cal),
        None
    );
}

#[test]
fn ccpa_confirmation_alarm_fires_once_late_and_stops_when_confirmed() {
    let cal = calendar();
    let received = ny(2025, 8, 29, 10, 0);
    let r = request(Regime::Ccpa, received);
    let clock = TestClock::new(end_of(2025, 9, 15));
    assert!(!kinds(&alarms(&r, clock.now(), &cal)).contains(&AlarmKind::ConfirmationOverdue));
    clock.advance_secs(1);
    let late = alarms(&r, clock.now(), &cal);
    assert!(kinds(&late).contains(&AlarmKind::ConfirmationOverdue));
    clock.advance_secs(DAY_SECS);
    let later = alarms(&r, clock.now(), &cal);
    let key = |a: &[Alarm]| {
        a.iter()
            .find(|x| x.kind == AlarmKind::ConfirmationOverdue)
            .map(Alarm::key)
    };
    assert_eq!(key(&late), key(&later), "the same alarm keeps the same key");
    let confirmed = step(&r, RequestEvent::ConfirmReceipt, clock.now());
    assert!(
        !kinds(&alarms(&confirmed, clock.now(), &cal)).contains(&AlarmKind::ConfirmationOverdue)
    );
}

#[test]
fn due_soon_starts_seven_days_out_and_an_extension_gives_a_new_key() {
    let cal = calendar();
    let received = ny(2025, 3, 3, 10, 0);
    let r = verified(Regime::HipaaAccess, received);
    // Due 2 April; seven days before is 26 March.
    assert!(alarms(&r, ny(2025, 3, 25, 23, 0), &cal).is_empty());
    let soon = alarms(&r, ny(2025, 3, 26, 0, 1), &cal);
    assert_eq!(kinds(&soon), [AlarmKind::DueSoon]);
    let e = step(
        &r,
        RequestEvent::Extend {
            reason: "records archived off site".into(),
            notice_sent_at: Some(ny(2025, 3, 27, 9, 0)),
        },
        ny(2025, 3, 27, 9, 0),
    );
    assert!(
        alarms(&e, ny(2025, 3, 27, 9, 0), &cal).is_empty(),
        "the new deadline is a month away"
    );
    let soon_again = alarms(&e, ny(2025, 4, 25, 9, 0), &cal);
    assert_eq!(kinds(&soon_again), [AlarmKind::DueSoon]);
    assert_ne!(soon[0].key(), soon_again[0].key());
    assert!(
        soon_again[0]
            .key()
            .starts_with(&format!("rights_request:{}:due_soon:", id()))
    );
}

#[test]
fn an_extension_counts_only_once_its_notice_is_sent_in_time() {
    let cal = calendar();
    let received = ny(2025, 3, 3, 10, 0);
    let first = end_of(2025, 4, 2);
    let e = step(
        &verified(Regime::HipaaAccess, received),
        RequestEvent::Extend {
            reason: "records archived off site".into(),
            notice_sent_at: None,
        },
        ny(2025, 3, 20, 9, 0),
    );
    assert_eq!(due_at(&e, &cal), first, "no notice, no extension");
    let now = ny(2025, 3, 20, 9, 0);
    assert!(kinds(&alarms(&e, now, &cal)).contains(&AlarmKind::ExtensionNoticeMissing));

    let told = step(&e, RequestEvent::RecordExtensionNotice { at: now }, now);
    assert_eq!(due_at(&told, &cal), end_of(2025, 5, 2));
    assert!(!kinds(&alarms(&told, now, &cal)).contains(&AlarmKind::ExtensionNoticeMissing));

    // A notice sent after the original deadline is recorded, but the
    // extension it announces came too late to count.
    let late_at = first.plus_micros(1);
    let late = step(
        &e,
        RequestEvent::RecordExtensionNotice { at: late_at },
        late_at,
    );
    assert_eq!(due_at(&late, &cal), first);
    assert!(kinds(&alarms(&late, late_at, &cal)).contains(&AlarmKind::Overdue));
}

#[test]
fn advance_refuses_steps_out_of_order() {
    let cal = calendar();
    let received = ny(2025, 3, 3, 10, 0);
    let later = ny(2025, 3, 4, 10, 0);
    let r = request(Regime::HipaaAccess, received);
    let refused = |r: &RequestTimeline, event: RequestEvent, now: Timestamp, needle: &str| {
        let err = advance(r, event, now, &cal).unwrap_err();
        assert!(err.contains(needle), "{err}");
    };
    refused(
        &r,
        RequestEvent::Fulfil {
            summary: "sent".into(),
        },
        later,
        "verify the requester's identity",
    );
    refused(
        &r,
        RequestEvent::StartWork,
        later,
        "verify the requester's identity",
    );
    refused(
        &r,
        RequestEvent::Extend {
            reason: "x".into(),
            notice_sent_at: None,
        },
        later,
        "verify the requester's identity",
    );
    refused(
        &r,
        RequestEvent::RecordExtensionNotice { at: later },
        later,
        "extend the request before",
    );
    refused(
        &r,
        RequestEvent::Deny {
            reason: "  ".into(),
        },
        later,
        "reason for the denial",
    );
    refused(
        &r,
        RequestEvent::VerifyIdentity,
        received.plus_micros(-1),
        "before the previous step",
    );

    let v = step(&r, RequestEvent::VerifyIdentity, later);
    assert_eq!(v.state(), RequestState::IdentityVerified);
    refused(
        &v,
        RequestEvent::VerifyIdentity,
        later,
        "already been verified",
    );
    refused(
        &v,
        RequestEvent::Fulfil {
            summary: " ".into(),
        },
        later,
        "summary",
    );
    refused(
        &v,
        RequestEvent::Extend {
            reason: "".into(),
            notice_sent_at: None,
        },
        later,
        "why the request needs more time",
    );
    refused(
        &v,
        RequestEvent::Extend {
            reason: "big".into(),
            notice_sent_at: Some(ny(2025, 3, 5, 0, 0)),
        },
        later,
        "in the future",
    );
    refused(
        &v,
        RequestEvent::Extend {
            reason: "big".into(),
            notice_sent_at: None,
        },
        end_of(2025, 4, 2).plus_micros(1),
        "original deadline",
    );

    let w = step(&v, RequestEvent::StartWork, later);
    assert_eq!(w.state(), RequestState::InProgress);
    refused(&w, RequestEvent::StartWork, later, "already started");
    let e = step(
        &w,
        RequestEvent::Extend {
            reason: "big".into(),
            notice_sent_at: Some(later),
        },
        later,
    );
    refused(
        &e,
        RequestEvent::Extend {
            reason: "again".into(),
            notice_sent_at: None,
        },
        later,
        "only one extension",
    );
    refused(
        &e,
        RequestEvent::RecordExtensionNotice { at: later },
        later,
        "already recorded",
    );

    let done = step(
        &e,
        RequestEvent::Fulfil {
            summary: "copy sent by portal".into(),
        },
        later,
    );
    assert_eq!(done.state(), RequestState::Fulfilled);
    refused(&done, RequestEvent::ConfirmReceipt, later, "is closed");
    assert!(
        alarms(&done, end_of(2026, 1, 1), &cal).is_empty(),
        "a closed request raises nothing"
    );
    assert!(!is_overdue(&done, end_of(2026, 1, 1), &cal));

    let denied = step(
        &r,
        RequestEvent::Deny {
            reason: "identity could not be verified".into(),
        },
        later,
    );
    assert_eq!(denied.state(), RequestState::Denied);
    refused(
        &denied,
        RequestEvent::VerifyIdentity,
        later,
        "denied and is closed",
    );
}

#[test]
fn regime_for_picks_hipaa_for_phi_and_the_local_law_otherwise() {
    use Jurisdiction as J;
    use RequestType as T;
    let cases = [
        (T::Access, true, J::California, Regime::HipaaAccess),
        (
            T::Correction,
            true,
            J::EuropeanUnion,
            Regime::HipaaAmendment,
        ),
        (
            T::AccountingOfDisclosures,
            true,
            J::UnitedStates,
            Regime::HipaaAccounting,
        ),
        (T::Deletion, true, J::California, Regime::Statement),
        (T::Access, false, J::California, Regime::Ccpa),
        (T::DoNotSellShare, false, J::California, Regime::CcpaOptOut),
        (T::MarketingOptOut, false, J::California, Regime::CcpaOptOut),
        (
            T::ConfidentialCommunications,
            false,
            J::California,
            Regime::Statement,
        ),
        (T::Deletion, false, J::EuropeanUnion, Regime::Gdpr),
        (T::Access, false, J::UnitedStates, Regime::Statement),
    ];
    for (t, phi, j, expected) in cases {
        assert_eq!(regime_for(t, phi, j), expected, "{t} phi={phi} {j}");
    }
}

/// For non-PHI, the chosen regime's first deadline is never later than
/// the statement's, which is what "the strictest applies" promises.
#[test]
fn the_local_law_is_never_laxer_than_the_statement() {
    let cal = calendar();
    let received = ny(2025, 7, 31, 10, 0);
    let statement = due_at(&request(Regime::Statement, received), &cal);
    for t in RequestType::ALL {
        for j in Jurisdiction::ALL {
            let regime = regime_for(*t, false, *j);
            assert!(
                due_at(&request(regime, received), &cal) <= statement,
                "{t} {j}"
            );
        }
    }
}

#[test]
fn dashboard_shows_overdue_first_then_fewest_days_left() {
    let cal = calendar();
    let now = ny(2025, 5, 1, 12, 0);
    let mk = |n: u8, regime, received| RequestTimeline {
        id: RightsRequestId::new(Timestamp::from_micros(0), [n; 10]),
        ..request(regime, received)
    };
    let overdue_a_lot = mk(1, Regime::HipaaAccess, ny(2025, 3, 1, 9, 0));
    let overdue_a_bit = mk(2, Regime::HipaaAccess, ny(2025, 3, 30, 9, 0));
    let soon = mk(3, Regime::HipaaAccess, ny(2025, 4, 5, 9, 0));
    let later = mk(4, Regime::Statement, ny(2025, 4, 5, 9, 0));
    let closed = step(
        &mk(5, Regime::HipaaAccess, ny(2025, 2, 1, 9, 0)),
        RequestEvent::Deny {
            reason: "not our record".into(),
        },
        ny(2025, 2, 2, 9, 0),
    );
    let all = [
        later.clone(),
        closed.clone(),
        soon.clone(),
        overdue_a_bit.clone(),
        overdue_a_lot.clone(),
    ];
    let order: Vec<RightsRequestId> = by_urgency(&all, now, &cal).iter().map(|r| r.id).collect();
    assert_eq!(
        order,
        [
            overdue_a_lot.id,
            overdue_a_bit.id,
            soon.id,
            later.id,
            closed.id
        ]
    );
}

fn any_regime() -> impl Strategy<Value = Regime> {
    proptest::sample::select(Regime::ALL.to_vec())
}

/// Instants from 2020 to 2035.
fn any_instant() -> impl Strategy<Value = Timestamp> {
    (1_577_836_800i64..2_082_758_400).prop_map(|s| Timestamp::from_micros(s * 1_000_000))
}

proptest! {
    #[test]
    fn a_deadline_is_never_before_receipt(regime in any_regime(), received in any_instant()) {
        let cal = calendar();
        let r = request(regime, received);
        prop_assert!(due_at(&r, &cal) > received);
        prop_assert!(days_left(&r, received, &cal) >= 15);
        if let Some(confirm) = confirmation_due_at(&r, &cal) {
            prop_assert!(confirm > received);
            prop_assert!(confirm < due_at(&r, &cal));
        }
    }

    #[test]
    fn an_extension_never_shortens_a_deadline(
        regime in any_regime(),
        received in any_instant(),
        after_hours in 0i64..(30 * 24),
    ) {
        let cal = calendar();
        let v = verified(regime, received);
        let at = received.plus_micros(after_hours * 3_600_000_000);
        let event = RequestEvent::Extend { reason: "complex".into(), notice_sent_at: Some(at) };
        match advance(&v, event, at, &cal) {
            Ok(e) => {
                prop_assert!(due_at(&e, &cal) > due_at(&v, &cal));
                prop_assert_eq!(original_due_at(&e, &cal), due_at(&v, &cal));
            }
            Err(_) => prop_assert!(regime.rule().extension.is_none() || at > due_at(&v, &cal)),
        }
    }

    /// One local day later, one day fewer left, across daylight saving
    /// changes and past the deadline.
    #[test]
    fn days_left_falls_by_one_each_day(regime in any_regime(), received in any_instant(), after in 0i64..200) {
        let cal = calendar();
        let r = request(regime, received);
        let tz = cal.time_zone().clone();
        let day = |n: i64| {
            Timestamp::from_jiff(
                received.to_jiff().to_zoned_datetime(tz.clone()).checked_add(Span::new().days(n)).unwrap().timestamp(),
            )
        };
        prop_assert_eq!(days_left(&r, day(after), &cal) - 1, days_left(&r, day(after + 1), &cal));
    }
}

#[test]
fn a_state_is_stored_under_its_serde_name() {
    use RequestState::*;
    for s in [
        Received,
        IdentityVerified,
        InProgress,
        Extended,
        Fulfilled,
        Denied,
    ] {
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
}
