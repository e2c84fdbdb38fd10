//! Biopsy requisitions, read back with poppler's `pdftotext`, `pdfinfo` and `pdfimages`.

use image::codecs::jpeg::JpegEncoder;
use image::{GrayImage, Luma, Rgb, RgbImage};
use kerato_formats::photo::{PhotoError, thumbnail};
use kerato_formats::requisition_pdf::{
    MAX_FIELD_CHARS, MAX_TEXT_CHARS, Requisition, RequisitionError, RequisitionPhoto, render,
};

use crate::poppler::{assert_one_letter_page, pdftotext, poppler};

const FIXTURE: &[u8] = include_bytes!("../fixtures/with-exif-gps.jpg");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn rgb_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            u8::try_from(x % 256).unwrap(),
            u8::try_from(y % 256).unwrap(),
            90,
        ])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .unwrap();
    out
}

fn photo(jpeg: Vec<u8>) -> RequisitionPhoto {
    RequisitionPhoto {
        jpeg,
        caption: "Left cheek, 2026-11-20, before the biopsy".to_owned(),
    }
}

fn requisition() -> Requisition {
    Requisition {
        practice_name: "Riverside Skin & Eye".to_owned(),
        practice_address: vec![
            "1200 River Road, Suite 4".to_owned(),
            "Sacramento, CA 95814".to_owned(),
        ],
        practice_phone: Some("(916) 555-0142".to_owned()),
        clinician_name: "Dr. Ana Ñúñez, MD".to_owned(),
        clinician_npi: "1234567893".to_owned(),
        patient_name: "Zoë Müller-O'Neil".to_owned(),
        patient_dob: "1987-03-14".to_owned(),
        patient_sex: Some("Female".to_owned()),
        specimen_id: "S-2026-00042".to_owned(),
        collected_on: "2026-11-26".to_owned(),
        lesion_site: "Left cheek".to_owned(),
        method: "Punch biopsy 4 mm".to_owned(),
        clinical_description: "6 mm irregularly pigmented macule with an asymmetric border; \
                               new since the visit of 2025-11-12."
            .to_owned(),
        clinical_impression: "Dysplastic nevus versus melanoma in situ; rule out lentigo \
                              maligna."
            .to_owned(),
        history: Some("Melanoma of the back excised in 2019; no family history.".to_owned()),
        photo: Some(photo(rgb_jpeg(400, 300))),
    }
}

#[test]
fn the_lab_finds_the_specimen_patient_and_site_in_the_text() {
    let pdf = render(&requisition()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_one_letter_page(&pdf);
    let text = pdftotext(&pdf);
    for expected in [
        "Riverside Skin & Eye",
        "Biopsy requisition",
        "Specimen ID: S-2026-00042",
        "Zoë Müller-O'Neil",
        "1987-03-14",
        "Female",
        "2026-11-26",
        "Dr. Ana Ñúñez, MD",
        "1234567893",
        "Left cheek",
        "Punch biopsy 4 mm",
        "asymmetric border",
        "lentigo",
        "Melanoma of the back",
        "before the biopsy",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is missing from:\n{text}"
        );
    }
}

#[test]
fn a_photo_is_embedded_as_the_jpeg_it_is() {
    let req = requisition();
    let pdf = render(&req).unwrap();
    assert!(contains(&pdf, b"/DCTDecode"));
    assert!(contains(&pdf, b"/DeviceRGB"));
    let jpeg = &req.photo.as_ref().unwrap().jpeg;
    assert!(contains(&pdf, jpeg), "the JPEG bytes are placed unchanged");
    // pdfimages reads the image back: one 400 × 300 colour JPEG.
    let list = poppler("pdfimages", &pdf, &["-list"], &[]);
    let rows: Vec<&str> = list.lines().skip(2).collect();
    assert_eq!(rows.len(), 1, "{list}");
    let columns: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(&columns[3..7], ["400", "300", "rgb", "3"], "{list}");
    assert_eq!(columns[8], "jpeg", "{list}");
}

#[test]
fn without_a_photo_there_is_no_image() {
    let pdf = render(&Requisition {
        photo: None,
        ..requisition()
    })
    .unwrap();
    assert!(!contains(&pdf, b"/DCTDecode"));
    assert!(!contains(&pdf, b"/XObject"));
    assert!(pdftotext(&pdf).contains("Specimen ID: S-2026-00042"));
}

#[test]
fn the_same_requisition_gives_the_same_bytes() {
    assert_eq!(
        render(&requisition()).unwrap(),
        render(&requisition()).unwrap()
    );
    let plain = Requisition {
        photo: None,
        ..requisition()
    };
    assert_eq!(render(&plain).unwrap(), render(&plain).unwrap());
}

#[test]
fn a_thumbnail_of_a_phone_photo_goes_in_upright_and_the_original_is_refused() {
    // The fixture is turned by EXIF, which PDF readers ignore: it must go through
    // `thumbnail` first, which turns it upright and removes the camera's metadata.
    let refused = render(&Requisition {
        photo: Some(photo(FIXTURE.to_vec())),
        ..requisition()
    });
    assert_eq!(refused, Err(RequisitionError::PhotoNotUpright));
    let thumb = thumbnail(FIXTURE, 256).unwrap();
    let pdf = render(&Requisition {
        photo: Some(photo(thumb)),
        ..requisition()
    })
    .unwrap();
    for needle in [&b"Jane Roe"[..], b"DermLite", b"Exif"] {
        assert!(!contains(&pdf, needle), "{needle:?} reached the PDF");
    }
    assert!(poppler("pdfimages", &pdf, &["-list"], &[]).contains(" 32    48 "));
}

#[test]
fn metadata_left_in_the_photo_is_stripped_before_embedding() {
    // A JPEG comment segment, right after the start marker.
    let mut jpeg = rgb_jpeg(40, 30);
    let comment = b"GPS 38.5816 -121.4944 DermLite";
    let length = u16::try_from(comment.len() + 2).unwrap().to_be_bytes();
    let segment = [&[0xFF, 0xFE], &length[..], comment].concat();
    jpeg.splice(2..2, segment);
    let pdf = render(&Requisition {
        photo: Some(photo(jpeg)),
        ..requisition()
    })
    .unwrap();
    assert!(contains(&pdf, b"/DCTDecode"));
    assert!(!contains(&pdf, b"DermLite"));
}

#[test]
fn a_greyscale_photo_is_placed_in_grey() {
    let grey = GrayImage::from_fn(60, 80, |x, _| Luma([u8::try_from(x * 4).unwrap()]));
    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut jpeg).encode_image(&grey).unwrap();
    let pdf = render(&Requisition {
        photo: Some(photo(jpeg)),
        ..requisition()
    })
    .unwrap();
    assert!(contains(&pdf, b"/DeviceGray") && !contains(&pdf, b"/DeviceRGB"));
    let list = poppler("pdfimages", &pdf, &["-list"], &[]);
    assert!(list.contains("gray"), "{list}");
}

#[test]
fn a_photo_must_be_an_rgb_or_grey_jpeg() {
    let png = include_bytes!("../fixtures/with-text.png").to_vec();
    let not_jpeg = render(&Requisition {
        photo: Some(photo(png)),
        ..requisition()
    });
    assert_eq!(
        not_jpeg,
        Err(RequisitionError::Photo(PhotoError::NotJpegOrPng))
    );
    // A frame header claiming four components, as a CMYK JPEG's does: PDF would need
    // DeviceCMYK and, for Adobe's files, inverted values, so it is refused instead.
    let mut cmyk = rgb_jpeg(400, 300);
    let sof = cmyk.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    cmyk[sof + 9] = 4;
    let four = render(&Requisition {
        photo: Some(photo(cmyk)),
        ..requisition()
    });
    assert_eq!(four, Err(RequisitionError::PhotoColour { components: 4 }));
    let cut = rgb_jpeg(400, 300)[..20].to_vec();
    let damaged = render(&Requisition {
        photo: Some(photo(cut)),
        ..requisition()
    });
    assert!(matches!(
        damaged,
        Err(RequisitionError::Photo(PhotoError::Malformed(_)))
    ));
}

#[test]
fn required_fields_are_checked_and_named() {
    let missing = render(&Requisition {
        specimen_id: "  ".to_owned(),
        ..requisition()
    });
    assert_eq!(
        missing,
        Err(RequisitionError::MissingField {
            field: "the specimen ID"
        })
    );
    assert_eq!(
        missing.unwrap_err().to_string(),
        "the specimen ID is empty; a requisition must show it"
    );
    let missing = render(&Requisition {
        clinical_impression: String::new(),
        ..requisition()
    });
    assert_eq!(
        missing,
        Err(RequisitionError::MissingField {
            field: "the clinical impression"
        })
    );
}

#[test]
fn long_text_wraps_and_absurd_text_is_refused() {
    let long = "Irregular pigment network with regression structures at the periphery. ".repeat(12);
    let pdf = render(&Requisition {
        clinical_description: long.clone(),
        ..requisition()
    })
    .unwrap();
    assert_one_letter_page(&pdf);
    // Joined back into one line, the wrapped description reads as it was given.
    let text = pdftotext(&pdf);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains(long.trim()), "{text}");
    assert!(
        text.lines().filter(|l| l.contains("regression")).count() > 5,
        "{text}"
    );

    let pasted = "x".repeat(MAX_TEXT_CHARS + 1);
    let refused = render(&Requisition {
        history: Some(pasted),
        ..requisition()
    });
    assert_eq!(
        refused,
        Err(RequisitionError::TooLong {
            field: "the history",
            found: MAX_TEXT_CHARS + 1,
            max: MAX_TEXT_CHARS,
        })
    );
    let name = "Ö".repeat(MAX_FIELD_CHARS + 1);
    let refused = render(&Requisition {
        patient_name: name,
        ..requisition()
    })
    .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the patient's name is 201 characters long; at most 200 fit on the requisition, \
         so shorten it"
    );
}

#[test]
fn text_within_the_limits_that_overfills_the_page_is_refused() {
    let full = "Lesion described at length for the pathologist. ".repeat(30);
    let refused = render(&Requisition {
        clinical_description: full.clone(),
        clinical_impression: full.clone(),
        history: Some(full),
        ..requisition()
    });
    assert!(
        matches!(refused, Err(RequisitionError::DoesNotFit { .. })),
        "{refused:?}"
    );
}
