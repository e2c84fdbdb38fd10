//! The eye area's inputs parse once: each names every field's problem, and
//! what it accepts is what the use cases need (typed states, typed IDs,
//! trimmed text). Also the request clock's status rule and a
//! prescription's printed table.

// A failed unwrap in a test helper or strategy is a test failure with its
// location; that is the point.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use jiff::civil::date;
use kerato_domain::eye::exam::{
    AmendInput, AmendRaw, MAX_TEXT, SectionEntry, StartExamInput, StartExamRaw, Template,
};
use kerato_domain::eye::ftc::RxKind;
use kerato_domain::eye::prescription::{
    ConfirmationInput, ConfirmationOutcome, ConfirmationRaw, Delivery, DigitalConsentInput,
    DigitalConsentRaw, PrescriberCredentialsInput, PrescriberCredentialsRaw, Prescription,
    RxChannel, SignInput, SignRaw,
};
use kerato_domain::eye::requests::{
    RxAnswerInput, RxAnswerRaw, RxRequest, RxRequestAnswer, RxRequestAnswered, RxRequestInput,
    RxRequestKind, RxRequestRaw, RxRequestStatus,
};
use kerato_domain::ids::{LocationId, OrganisationId, UserId};
use kerato_domain::input::ParseInput;
use kerato_domain::time::Timestamp;
use proptest::prelude::*;

fn location() -> LocationId {
    LocationId::new(Timestamp::from_micros(1), [7; 10])
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// The raw shape as a URL-encoded form arrives: every field text.
fn from_json<T: ParseInput>(json: &str) -> Result<T, kerato_domain::ValidationErrors> {
    T::parse(serde_json::from_str(json).unwrap())
}

#[test]
fn an_exam_opens_at_a_location_with_a_template() {
    let ok: StartExamInput = from_json(&format!(
        r#"{{"location_id":"{}","template":"glaucoma"}}"#,
        location()
    ))
    .unwrap();
    assert_eq!(ok.template, Template::Glaucoma);
    assert_eq!(ok.location_id, location());
    assert_eq!(ok.appointment_id, None);
    let e = StartExamInput::parse(StartExamRaw {
        location_id: "nowhere".into(),
        template: "eyeball".into(),
        appointment_id: Some("x".into()),
    })
    .unwrap_err();
    for field in ["location_id", "template", "appointment_id"] {
        assert!(e.for_field(field).is_some(), "{field}: {e:?}");
    }
}

#[test]
fn a_section_entry_is_trimmed_and_blank_values_are_left_out() {
    let entry = SectionEntry::parse(map(&[
        ("od.sphere", " -2.25 "),
        ("os.sphere", "   "),
        ("notes", ""),
    ]))
    .unwrap();
    assert_eq!(entry.values(), &map(&[("od.sphere", "-2.25")]));
    let e = SectionEntry::parse(map(&[
        ("OD Sphere", "1"),
        ("notes", &"x".repeat(MAX_TEXT + 1)),
    ]))
    .unwrap_err();
    assert!(e.for_field("OD Sphere").is_some(), "{e:?}");
    assert!(e.for_field("notes").is_some(), "{e:?}");
}

#[test]
fn an_amendment_needs_a_reason_and_names_its_values_problems_too() {
    let e = AmendInput::parse(AmendRaw {
        reason: " ".into(),
        values: map(&[("bad key", "1")]),
    })
    .unwrap_err();
    assert!(e.for_field("reason").unwrap().contains("say why"));
    assert!(e.for_field("bad key").is_some(), "{e:?}");
    // The form sends the reason beside the section's own fields.
    let ok: AmendInput =
        from_json(r#"{"reason":"measured after signing","od.pressure":"17"}"#).unwrap();
    assert_eq!(ok.reason, "measured after signing");
    assert_eq!(ok.entry.values(), &map(&[("od.pressure", "17")]));
}

#[test]
fn signing_defaults_to_paper_and_reads_a_shorter_expiry() {
    let paper = SignInput::parse(SignRaw::default()).unwrap();
    assert_eq!(paper, SignInput::default());
    assert_eq!(paper.delivery, Delivery::Paper);
    let short: SignInput = from_json(
        r#"{"delivery":"digital","cl_months":" 6 ","medical_reason":"  neovascularisation "}"#,
    )
    .unwrap();
    assert_eq!(short.delivery, Delivery::Digital);
    assert_eq!(short.cl_months, Some(6));
    assert_eq!(short.medical_reason.as_deref(), Some("neovascularisation"));
    let e = SignInput::parse(SignRaw {
        delivery: Some("pigeon".into()),
        cl_months: Some("six".into()),
        medical_reason: Some("x".repeat(501)),
    })
    .unwrap_err();
    assert_eq!(e.errors.len(), 3, "{e:?}");
}

#[test]
fn a_signed_confirmation_needs_the_ticked_statement_and_a_name() {
    let e = ConfirmationInput::parse(ConfirmationRaw {
        outcome: "signed".into(),
        signer_name: Some(" ".into()),
        acknowledge: None,
    })
    .unwrap_err();
    assert!(e.for_field("acknowledge").is_some(), "{e:?}");
    assert!(e.for_field("signer_name").is_some(), "{e:?}");
    let refused = ConfirmationInput::parse(ConfirmationRaw {
        outcome: "refused".into(),
        signer_name: Some("ignored".into()),
        acknowledge: None,
    })
    .unwrap();
    assert_eq!(refused.outcome, ConfirmationOutcome::Refused);
    assert_eq!(refused.signer_name, "");
    let e = ConfirmationInput::parse(ConfirmationRaw::default()).unwrap_err();
    assert!(e.for_field("outcome").is_some(), "{e:?}");
}

#[test]
fn consent_credentials_requests_and_answers_name_their_fields() {
    assert_eq!(
        DigitalConsentInput::parse(DigitalConsentRaw {
            channel: "email".into()
        })
        .unwrap()
        .channel,
        RxChannel::Email
    );
    assert!(
        DigitalConsentInput::parse(DigitalConsentRaw {
            channel: "fax".into()
        })
        .unwrap_err()
        .for_field("channel")
        .is_some()
    );
    let e = PrescriberCredentialsInput::parse(PrescriberCredentialsRaw {
        license: "".into(),
        npi: "1234567890".into(),
    })
    .unwrap_err();
    assert!(e.for_field("license").is_some(), "{e:?}");
    assert!(e.for_field("npi").unwrap().contains("check digit"), "{e:?}");
    let e = RxRequestInput::parse(RxRequestRaw {
        received_at: Some("yesterday".into()),
        ..RxRequestRaw::default()
    })
    .unwrap_err();
    for field in [
        "kind",
        "location_id",
        "requester",
        "requester_contact",
        "patient_name",
        "details",
        "received_at",
    ] {
        assert!(e.for_field(field).is_some(), "{field}: {e:?}");
    }
    let ok = RxRequestInput::parse(RxRequestRaw {
        kind: "agent_copy".into(),
        location_id: location().to_string(),
        requester: " Agent ".into(),
        requester_contact: "fax".into(),
        patient_name: "Pat".into(),
        details: "copy please".into(),
        received_at: Some("2027-06-11T09:30:00-04:00".into()),
    })
    .unwrap();
    assert_eq!(ok.kind, RxRequestKind::AgentCopy);
    assert_eq!(ok.requester, "Agent");
    assert_eq!(
        ok.received_at.map(|t| t.to_jiff().to_string()),
        Some("2027-06-11T13:30:00Z".into())
    );
    let e = RxAnswerInput::parse(RxAnswerRaw {
        answer: "invalid".into(),
        note: None,
    })
    .unwrap_err();
    assert!(e.for_field("note").unwrap().contains("say why"), "{e:?}");
    assert!(
        RxAnswerInput::parse(RxAnswerRaw {
            answer: "maybe".into(),
            note: None,
        })
        .unwrap_err()
        .for_field("answer")
        .is_some()
    );
}

fn request(kind: RxRequestKind, answered: Option<(i64, RxRequestAnswer)>) -> RxRequest {
    let at = |m: i64| Timestamp::from_micros(m * 60_000_000);
    RxRequest {
        id: kerato_domain::ids::RxRequestId::new(at(0), [1; 10]),
        organisation_id: OrganisationId::new(at(0), [2; 10]),
        kind,
        requester: "Seller".into(),
        requester_contact: "fax".into(),
        patient_name: "Pat".into(),
        patient_id: None,
        prescription_id: None,
        details: String::new(),
        received_at: at(0),
        due_at: at(100),
        answered: answered.map(|(m, answer)| RxRequestAnswered {
            answer,
            note: String::new(),
            at: at(m),
            by: UserId::new(at(0), [3; 10]),
        }),
    }
}

#[test]
fn a_request_stands_where_its_deadline_puts_it() {
    use RxRequestAnswer as A;
    use RxRequestKind::{AgentCopy, Verification};
    use RxRequestStatus as S;
    let now = |m: i64| Timestamp::from_micros(m * 60_000_000);
    assert_eq!(request(Verification, None).status(now(100)), S::Pending);
    assert_eq!(
        request(Verification, None).status(now(101)),
        S::PassivelyVerified
    );
    assert_eq!(
        request(Verification, Some((100, A::Confirmed))).status(now(200)),
        S::Verified
    );
    assert_eq!(
        request(Verification, Some((50, A::Corrected))).status(now(200)),
        S::Corrected
    );
    assert_eq!(
        request(Verification, Some((50, A::Invalid))).status(now(200)),
        S::Invalid
    );
    let late = request(Verification, Some((101, A::Confirmed)));
    assert_eq!(late.status(now(200)), S::PassivelyVerified);
    assert_eq!(late.answered_on_time(), Some(false));
    assert_eq!(request(AgentCopy, None).status(now(101)), S::Overdue);
    assert_eq!(
        request(AgentCopy, Some((300, A::Sent))).status(now(400)),
        S::Sent
    );
    assert_eq!(AgentCopy.answers(), &[A::Sent]);
}

#[test]
fn a_prescription_prints_one_row_per_eye_under_its_kind_s_columns() {
    let rx = Prescription {
        id: kerato_domain::ids::PrescriptionId::new(Timestamp::from_micros(1), [1; 10]),
        organisation_id: OrganisationId::new(Timestamp::from_micros(1), [2; 10]),
        patient_id: kerato_domain::ids::PatientId::new(Timestamp::from_micros(1), [3; 10]),
        exam_id: kerato_domain::ids::ExamId::new(Timestamp::from_micros(1), [4; 10]),
        kind: RxKind::ContactLens,
        state: "TX".into(),
        prescriber_user_id: UserId::new(Timestamp::from_micros(1), [5; 10]),
        prescriber_name: "Dr".into(),
        prescriber_license: "L".into(),
        prescriber_npi: "1234567893".into(),
        body: map(&[("od.brand", "Oasys"), ("os.sphere", "-2.75")]),
        issued_on: date(2027, 1, 1),
        expires_on: date(2028, 1, 1),
        medical_reason: None,
        created_at: Timestamp::from_micros(1),
    };
    let table = rx.table();
    assert_eq!(table.columns[0], "Brand");
    assert_eq!(table.rows[0].0, "OD");
    assert_eq!(table.rows[0].1[0], "Oasys");
    assert_eq!(table.rows[1].1[3], "-2.75");
    assert_eq!(RxKind::ContactLens.title(), "Contact lens prescription");
    for kind in RxKind::ALL {
        assert_eq!(kind.as_str().parse::<RxKind>(), Ok(kind));
    }
}

proptest! {
    /// Whatever is typed, a section entry either names each bad key or
    /// keeps every non-blank value trimmed, and parsing what it kept gives
    /// it back unchanged.
    #[test]
    fn a_section_entry_keeps_what_it_accepts(
        values in proptest::collection::btree_map("[a-z]{1,3}(\\.[a-z_]{1,6})?", "[ -~]{0,12}", 0..8),
    ) {
        let entry = SectionEntry::parse(values.clone()).unwrap();
        for (k, v) in &values {
            prop_assert_eq!(entry.values().get(k).map(String::as_str), (!v.trim().is_empty()).then(|| v.trim()));
        }
        prop_assert_eq!(SectionEntry::parse(entry.values().clone()).unwrap(), entry);
    }

    /// Months are read as a whole number and anything else is refused by
    /// name.
    #[test]
    fn contact_lens_months_are_whole_numbers(text in "[ 0-9a-z.-]{0,6}") {
        let parsed = SignInput::parse(SignRaw { cl_months: Some(text.clone()), ..SignRaw::default() });
        match text.trim() {
            "" => prop_assert_eq!(parsed.unwrap().cl_months, None),
            t => match t.parse::<u32>() {
                Ok(n) => prop_assert_eq!(parsed.unwrap().cl_months, Some(n)),
                Err(_) => prop_assert!(parsed.unwrap_err().for_field("cl_months").is_some()),
            },
        }
    }
}
