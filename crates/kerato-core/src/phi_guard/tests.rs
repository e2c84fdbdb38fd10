use super::*;
use proptest::prelude::*;

/// The kinds found in `text` and the text of each value.
fn found(text: &str) -> Vec<(PhiKind, &str)> {
    scan(text)
        .into_iter()
        .map(|f| (f.kind, &text[f.range()]))
        .collect()
}

/// Asserts that each positive example yields exactly `value` as a
/// finding of `kind`, and each negative example yields nothing.
fn check(kind: PhiKind, positives: &[(&str, &str)], negatives: &[&str]) {
    for (text, value) in positives {
        let got = found(text);
        assert!(
            got.contains(&(kind, value)),
            "{text:?}: expected {kind} {value:?}, got {got:?}"
        );
    }
    for text in negatives {
        let got = found(text);
        assert!(got.is_empty(), "{text:?}: expected nothing, got {got:?}");
    }
}

#[test]
fn social_security_numbers() {
    check(
        PhiKind::Ssn,
        &[
            ("pt 123-45-6789 called", "123-45-6789"),
            ("123 45 6789", "123 45 6789"),
            ("SSN 123-45-6789", "123-45-6789"),
            ("ssn: 123456789", "123456789"),
            ("Social Security number is 078051120", "078051120"),
            ("soc. sec. no. 219099999", "219099999"),
            ("SS# 123456789.", "123456789"),
            ("(SSN-123-45-6789)", "123-45-6789"),
            ("her SSN\n123 45 6789\nthanks", "123 45 6789"),
            ("x é 123-45-6789 ü", "123-45-6789"),
        ],
        &[
            "order 123456789012 shipped",
            "call (518) 555-0100 or 518-555-0100",
            "invoice 123456789 is unpaid",
            "SSN 000-12-3456",
            "SSN 666-12-3456",
            "SSN 912-34-5678",
            "SSN 123-00-4567",
            "SSN 123-45-0000",
            "ssn 123456789012",
            "price $123.45 on 2026-11-20",
            "ref 1-123-45-6789 and 123-45-6789-0",
            "version 123-45-6789.1",
            "$123-45-6789",
            "tracking 1 123 45 6789",
            "SSN was discussed; later we shipped 123456789 widgets to a place far away",
        ],
    );
}

#[test]
fn medical_record_numbers() {
    check(
        PhiKind::Mrn,
        &[
            ("MRN 00123456", "00123456"),
            ("MRN: A1234567", "A1234567"),
            ("medical record number 55512", "55512"),
            ("Medical Record No. 9876543", "9876543"),
            ("medical record #: 4455667", "4455667"),
            ("chart # X99-z 1234567", "1234567"),
            ("Patient ID 12AB3456", "12AB3456"),
            ("patient #77665544", "77665544"),
            ("acct 4455667788", "4455667788"),
            ("account #: 12345", "12345"),
        ],
        &[
            "MRN pending",
            "MRN 1234",
            "MRN ABCDEFG1",
            "MRN 1234567890123456",
            "order 12345678 shipped",
            "patient had 12345678 visits",
            "MRN 12345-6789-01",
            "the chart loads slowly since build 20261120",
        ],
    );
}

#[test]
fn dates_of_birth() {
    check(
        PhiKind::DateOfBirth,
        &[
            ("DOB 03/03/1961", "03/03/1961"),
            ("D.O.B.: 3/3/61", "3/3/61"),
            ("date of birth 1961-03-03", "1961-03-03"),
            ("born March 3, 1961", "March 3, 1961"),
            ("birthdate: 3 Mar 1961", "3 Mar 1961"),
            ("Jane b. 12-31-1950", "12-31-1950"),
            ("Jane Doe 03/03/1961 cannot log in", "03/03/1961"),
            ("Doe, Jane (3 March 1961)", "3 March 1961"),
            ("Jane Doe\n03/03/1961\n", "03/03/1961"),
            ("seen 11/20/2026, patient is Jane Doe", "11/20/2026"),
            ("DOB for the patient: Sept 30th, 1961", "Sept 30th, 1961"),
        ],
        &[
            "the update on 11/20/2026 broke printing",
            "On Monday 11/20/2026 the sync failed",
            "Windows Server 2026-11-20 patch",
            "DOB 13/45/1961",
            "DOB 03/03/1761",
            "Thanks, the team. 3/3/2026",
            "release 2026-11-20 fixed it",
            "Jane Doe wrote a long message about the printer, and then on 11/20/2026 it failed",
            "Hi, this is Mary Smith. The update on 11/20/2026 broke printing.",
            "DOB pending",
        ],
    );
}

#[test]
fn diagnosis_codes() {
    check(
        PhiKind::Diagnosis,
        &[
            ("melanoma C43.9 excised", "C43.9"),
            ("dx L57.0", "L57.0"),
            ("ICD-10: H40.1131", "H40.1131"),
            ("diagnosis E11.9 noted", "E11.9"),
            ("dx: l57", "l57"),
            ("ICD-10-CM code Z00.00", "Z00.00"),
            ("codes C43.9, L57.0 and E11.9", "L57.0"),
            ("codes C43.9, L57.0 and E11.9", "E11.9"),
            ("Diagnosis: L57", "L57"),
            ("dx V43.52XA", "V43.52XA"),
        ],
        &[
            "the L57 adapter",
            "upgraded to v2.1",
            "E2E tests pass",
            "version C43.9.1 released",
            "U07.1 is not in scope",
            "c43.9 lower case",
            "part A12 and B34",
            "Dx pending",
            "E1101 error",
            "V10.2 released",
        ],
    );
}

#[test]
fn redaction_replaces_only_values() {
    let cases = [
        ("SSN 123-45-6789", "SSN [redacted: Social Security number]"),
        (
            "Jane Doe, DOB 03/03/1961, MRN A1234567, dx C43.9.",
            "Jane Doe, DOB [redacted: date of birth], MRN [redacted: medical record number], \
             dx [redacted: diagnosis code].",
        ),
        (
            "Jane Doe 3/3/61 — ça marche pas",
            "Jane Doe [redacted: date of birth] — ça marche pas",
        ),
        ("nothing here on 11/20/2026", "nothing here on 11/20/2026"),
    ];
    for (input, expected) in cases {
        let r = redact(input);
        assert_eq!(r.text, expected);
        for f in &r.findings {
            assert!(input.is_char_boundary(f.start) && input.is_char_boundary(f.end));
        }
    }
    let r = redact("SSN 123-45-6789");
    assert_eq!(
        r.findings,
        vec![Finding {
            kind: PhiKind::Ssn,
            start: 4,
            end: 15
        }]
    );
}

#[test]
fn summary_counts_without_quoting() {
    let text = "SSN 123-45-6789, DOB 3/3/61 and born 4/4/1962";
    let findings = scan(text);
    let s = summary(&findings);
    assert_eq!(s, "1 Social Security number, 2 dates of birth");
    assert!(!s.contains("6789"));
    assert_eq!(summary(&[]), "no patient information");
    assert_eq!(
        summary(&scan("dx C43.9")),
        "1 diagnosis code",
        "singular label"
    );
}

#[test]
fn redacting_twice_changes_nothing() {
    for text in [
        "SSN 123-45-6789 123456789",
        "Social Security number of the patient 123456789 MRN 1234567",
        "MRN 1234567 123 45 6789",
        "123-45-6789-C43.9",
        "Jane Doe [redacted: date of birth] 4/4/1962",
    ] {
        let once = redact(text);
        let twice = redact(&once.text);
        assert!(twice.findings.is_empty(), "{text:?} -> {:?}", once.text);
    }
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SSN".to_owned()),
        Just("123-45-6789".to_owned()),
        Just("123 45 6789".to_owned()),
        Just("123456789".to_owned()),
        Just("DOB".to_owned()),
        Just("3/3/1961".to_owned()),
        Just("March 3, 1961".to_owned()),
        Just("Jane".to_owned()),
        Just("Doe,".to_owned()),
        Just("MRN".to_owned()),
        Just("A1234567".to_owned()),
        Just("dx".to_owned()),
        Just("C43.9".to_owned()),
        Just("L57".to_owned()),
        Just("[redacted: date of birth]".to_owned()),
        Just("-".to_owned()),
        Just("é".to_owned()),
        Just("518-555-0100".to_owned()),
        "[a-zA-Z0-9 .,/#-]{0,8}",
        "\\PC{0,4}",
    ]
}

fn mixed() -> impl Strategy<Value = String> {
    prop::collection::vec((fragment(), prop_oneof![" ", "", "\n", ", ", "-"]), 0..12)
        .prop_map(|parts| parts.into_iter().map(|(a, b)| a + &b).collect())
}

fn well_formed(text: &str, findings: &[Finding]) -> bool {
    findings.windows(2).all(|w| w[0].end <= w[1].start)
        && findings.iter().all(|f| {
            f.start < f.end
                && f.end <= text.len()
                && text.is_char_boundary(f.start)
                && text.is_char_boundary(f.end)
        })
}

proptest! {
    #[test]
    fn scan_is_total_and_well_formed(text in "\\PC{0,200}") {
        let findings = scan(&text);
        prop_assert!(well_formed(&text, &findings));
        let _ = redact(&text);
    }

    #[test]
    fn mixed_text_is_well_formed_and_idempotent(text in mixed()) {
        let once = redact(&text);
        prop_assert!(well_formed(&text, &once.findings));
        let twice = scan(&once.text);
        prop_assert!(twice.is_empty(), "{:?} -> {:?} -> {:?}", text, once.text, twice);
    }

    #[test]
    fn valid_formatted_ssn_is_found(
        before in prop::collection::vec("[a-zA-Z]{1,10}", 0..5),
        after in prop::collection::vec("[a-zA-Z]{1,10}", 0..5),
        area in (1u32..900).prop_filter("666 is never issued", |a| *a != 666),
        group in 1u32..100,
        serial in 1u32..10000,
    ) {
        let ssn = format!("{area:03}-{group:02}-{serial:04}");
        let text = format!("{} {ssn} {}", before.join(" "), after.join(" "));
        let start = text.find(&ssn).unwrap_or(usize::MAX);
        let findings = scan(&text);
        prop_assert!(findings.contains(&Finding { kind: PhiKind::Ssn, start, end: start + ssn.len() }),
            "{:?}: {:?}", text, findings);
        let r = redact(&text);
        prop_assert!(!r.text.contains(&ssn));
        prop_assert!(!r.text.contains(&ssn.replace('-', "")));
    }
}
