//! Prescription PDFs, read back with poppler's `pdftotext` and `pdfinfo`.

use kerato_domain::eye::ftc::RxKind;
use kerato_formats::rx_pdf::{MAX_COLUMNS, RxPdf, RxPdfError, RxPdfRow, render};

use crate::poppler::{assert_one_letter_page, pdftotext, poppler};

fn row(eye: &str, cells: &[&str]) -> RxPdfRow {
    RxPdfRow {
        eye: eye.to_owned(),
        cells: cells.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn spectacle() -> RxPdf {
    RxPdf {
        kind: RxKind::Spectacle,
        practice_name: "Riverside Skin & Eye".to_owned(),
        practice_address: strings(&["1200 River Road, Suite 4", "Sacramento, CA 95814"]),
        practice_phone: Some("(916) 555-0142".to_owned()),
        prescriber_name: "Dr. Ana Ñúñez, OD".to_owned(),
        prescriber_license: "CA OPT 12345".to_owned(),
        prescriber_npi: "1234567893".to_owned(),
        patient_name: "Zoë Müller-O'Neil".to_owned(),
        patient_dob: "1987-03-14".to_owned(),
        issued_on: "2026-05-04".to_owned(),
        expires_on: "2028-05-04".to_owned(),
        rx_id: "RX-0193F2A7".to_owned(),
        columns: strings(&["Sphere", "Cylinder", "Axis", "Add", "Prism", "Base"]),
        rows: vec![
            row("OD", &["-2.25", "-0.75", "180", "+1.50", "0.5", "BI"]),
            row("OS", &["-1.75", "-0.50", "175", "+1.50", "0.5", "BO"]),
        ],
        notes: strings(&["PD 63/60 mm"]),
        footer: Some(
            "This prescription was given to the patient at the end of the eye examination, \
             as the FTC Eyeglass Rule requires."
                .to_owned(),
        ),
    }
}

fn contact_lens() -> RxPdf {
    RxPdf {
        kind: RxKind::ContactLens,
        columns: strings(&[
            "Brand",
            "Base curve",
            "Diameter",
            "Sphere",
            "Cylinder",
            "Axis",
            "Add",
        ]),
        rows: vec![
            row(
                "OD",
                &[
                    "Acuvue Oasys for Astigmatism",
                    "8.6",
                    "14.5",
                    "-2.25",
                    "-0.75",
                    "180",
                    "",
                ],
            ),
            row(
                "OS",
                &[
                    "Acuvue Oasys for Astigmatism",
                    "8.6",
                    "14.5",
                    "-1.75",
                    "-1.25",
                    "010",
                    "",
                ],
            ),
        ],
        notes: strings(&[
            "Replace every two weeks",
            "Quantity: 6 boxes per eye",
            "Expiration shortened for medical reason: corneal neovascularisation needs review \
             within six months, and the patient must not sleep in these lenses.",
        ]),
        footer: Some(
            "Verified prescriptions may be confirmed with the prescriber under the FTC \
             Contact Lens Rule."
                .to_owned(),
        ),
        ..spectacle()
    }
}

/// Every word's box as `pdftotext -bbox` reports it: (xMin, yMin, xMax, yMax, word).
fn word_boxes(pdf: &[u8]) -> Vec<(f32, f32, f32, f32, String)> {
    let html = poppler("pdftotext", pdf, &["-bbox", "-enc", "UTF-8"], &["-"]);
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + line[start..].find('"').unwrap();
        line[start..end].parse().unwrap()
    };
    html.lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| {
            let word = l[l.find('>').unwrap() + 1..l.rfind("</word>").unwrap()].to_owned();
            (
                attr(l, "xMin"),
                attr(l, "yMin"),
                attr(l, "xMax"),
                attr(l, "yMax"),
                word,
            )
        })
        .collect()
}

fn assert_inside_margins(pdf: &[u8]) {
    let boxes = word_boxes(pdf);
    assert!(!boxes.is_empty());
    // Glyph boxes may poke a point past the advance widths the layout measures.
    for (x0, y0, x1, y1, word) in boxes {
        assert!(
            x0 >= 53.0 && x1 <= 559.0 && y0 >= 53.0 && y1 <= 739.0,
            "{word:?} at ({x0}, {y0})-({x1}, {y1}) is outside the margins"
        );
    }
}

#[test]
fn output_is_a_complete_pdf_file() {
    for rx in [spectacle(), contact_lens()] {
        let pdf = render(&rx).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        assert_one_letter_page(&pdf);
    }
}

#[test]
fn eyeglass_prescription_text_reads_back() {
    let pdf = render(&spectacle()).unwrap();
    let text = pdftotext(&pdf);
    for expected in [
        "Riverside Skin & Eye",
        "Sacramento, CA 95814",
        "(916) 555-0142",
        "Eyeglass prescription",
        "Zoë Müller-O'Neil",
        "1987-03-14",
        "Dr. Ana Ñúñez, OD",
        "CA OPT 12345",
        "1234567893",
        "2026-05-04",
        "2028-05-04",
        "RX-0193F2A7",
        "PD 63/60 mm",
        "FTC Eyeglass Rule",
        "Sphere",
        "Cylinder",
        "OD",
        "OS",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    for row in &spectacle().rows {
        for cell in &row.cells {
            assert!(
                text.contains(cell.as_str()),
                "{cell:?} missing from:\n{text}"
            );
        }
    }
    assert_inside_margins(&pdf);
}

#[test]
fn contact_lens_prescription_text_reads_back() {
    let rx = contact_lens();
    let pdf = render(&rx).unwrap();
    let text = pdftotext(&pdf);
    for expected in [
        "Contact lens prescription",
        "Zoë Müller-O'Neil",
        "Base curve",
        "Diameter",
        "CA OPT 12345",
        "1234567893",
        "2026-05-04",
        "2028-05-04",
        "Replace every two weeks",
        "Quantity: 6 boxes per eye",
        "Contact Lens Rule",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    for row in &rx.rows {
        for cell in row.cells.iter().filter(|c| !c.is_empty()) {
            for word in cell.split(' ') {
                assert!(text.contains(word), "{word:?} missing from:\n{text}");
            }
        }
    }
    // The long note wraps; every word of it is still on the page.
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("corneal neovascularisation needs review within six months"),
        "{words}"
    );
    assert_inside_margins(&pdf);
}

#[test]
fn rendering_is_deterministic() {
    for rx in [spectacle(), contact_lens()] {
        let first = render(&rx).unwrap();
        let second = render(&rx.clone()).unwrap();
        assert_eq!(first, second);
        // Nothing in the file may depend on when it was made or by which run.
        for key in [&b"/CreationDate"[..], b"/ModDate", b"/ID"] {
            assert!(!first.windows(key.len()).any(|w| w == key));
        }
    }
}

#[test]
fn a_row_with_the_wrong_number_of_cells_is_refused() {
    let mut rx = spectacle();
    rx.rows[1].cells.pop();
    let err = render(&rx).unwrap_err();
    assert_eq!(
        err,
        RxPdfError::CellCountMismatch {
            row: 2,
            eye: "OS".to_owned(),
            found: 5,
            expected: 6
        }
    );
    assert_eq!(
        err.to_string(),
        "row 2 (OS) has 5 cells but there are 6 columns; \
         give each row exactly one cell per column"
    );
}

#[test]
fn empty_tables_and_required_fields_are_refused() {
    let mut rx = spectacle();
    rx.rows.clear();
    assert_eq!(render(&rx).unwrap_err(), RxPdfError::NoRows);

    let mut rx = spectacle();
    rx.columns.clear();
    assert_eq!(render(&rx).unwrap_err(), RxPdfError::NoColumns);

    let mut rx = spectacle();
    rx.expires_on = "  ".to_owned();
    assert_eq!(
        render(&rx).unwrap_err().to_string(),
        "the expiry date is empty; a prescription must show it"
    );
}

#[test]
fn more_columns_than_fit_are_refused() {
    let mut rx = spectacle();
    let n = MAX_COLUMNS + 1;
    rx.columns = (1..=n).map(|i| format!("C{i}")).collect();
    rx.rows = vec![RxPdfRow {
        eye: "OD".to_owned(),
        cells: vec!["1".to_owned(); n],
    }];
    assert_eq!(
        render(&rx).unwrap_err(),
        RxPdfError::TooManyColumns { found: 13, max: 12 }
    );
}

#[test]
fn the_widest_table_with_long_cells_and_notes_stays_on_the_page() {
    let mut rx = contact_lens();
    rx.columns = (1..=MAX_COLUMNS)
        .map(|i| format!("Column heading {i}"))
        .collect();
    let long = "Biofinity Toric XR multifocal extended range ".repeat(2);
    let cells: Vec<String> = (0..MAX_COLUMNS)
        .map(|i| {
            if i % 3 == 0 {
                long.clone()
            } else {
                format!("-1{i}.25")
            }
        })
        .collect();
    rx.rows = vec![
        RxPdfRow {
            eye: "OD".to_owned(),
            cells: cells.clone(),
        },
        RxPdfRow {
            eye: "OS".to_owned(),
            cells,
        },
    ];
    rx.notes.push("x".repeat(300));
    rx.practice_name = "The Extraordinarily Long Named Riverside Regional Skin, Eye and \
                        Optical Care Cooperative of Northern California"
        .to_owned();
    let pdf = render(&rx).unwrap();
    assert_one_letter_page(&pdf);
    assert_inside_margins(&pdf);
    let text = pdftotext(&pdf);
    assert!(text.contains("-111.25"), "{text}");
}

#[test]
fn text_that_cannot_fit_one_page_is_refused_not_cut() {
    let mut rx = spectacle();
    rx.notes = vec!["Wear for distance and near. ".repeat(400)];
    assert_eq!(
        render(&rx).unwrap_err().to_string(),
        "the prescription does not fit on one page: it runs out of room at the notes; \
         shorten the longest text there or above it"
    );

    let mut rx = spectacle();
    rx.rows[0].cells[0] = "9".repeat(20_000);
    assert_eq!(
        render(&rx).unwrap_err(),
        RxPdfError::DoesNotFit {
            section: "the table"
        }
    );

    let mut rx = spectacle();
    rx.footer = Some("Small print. ".repeat(2_000));
    assert_eq!(
        render(&rx).unwrap_err(),
        RxPdfError::DoesNotFit {
            section: "the footer"
        }
    );
}

#[test]
fn characters_outside_windows_1252_print_as_question_marks() {
    let mut rx = spectacle();
    rx.patient_name = "Łucja Dvořák 李".to_owned();
    // A decomposed "ë" (e + combining diaeresis) still prints as one "ë".
    rx.prescriber_name = "Dr. Zoe\u{308} Brontë".to_owned();
    rx.rows[0].cells[0] = "\u{2212}2.25".to_owned();
    let text = pdftotext(&render(&rx).unwrap());
    assert!(text.contains("?ucja Dvo?ák ?"), "{text}");
    assert!(text.contains("Dr. Zoë Brontë"), "{text}");
    assert!(text.contains("-2.25"), "{text}");
}
