//! Photos keep their pixels and lose their metadata. The fixtures were
//! made with Pillow and piexif: a JPEG with EXIF (camera make and model, a
//! description naming a patient, the time taken, orientation 6) and a GPS
//! position, plus a comment; a PNG with text chunks and an eXIf chunk.

use kerato_formats::photo::{MAX_PHOTO_BYTES, PhotoError, PhotoKind, sniff, strip_metadata};
use proptest::prelude::*;

const JPEG: &[u8] = include_bytes!("../fixtures/with-exif-gps.jpg");
const PNG: &[u8] = include_bytes!("../fixtures/with-text.png");
const GIF: &[u8] = include_bytes!("../fixtures/not-an-image.gif");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The JPEG's segments before the scan, as (marker, body).
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 2;
    while bytes[i + 1] != 0xDA {
        let len = usize::from(bytes[i + 2]) << 8 | usize::from(bytes[i + 3]);
        out.push((bytes[i + 1], bytes[i + 4..i + 2 + len].to_vec()));
        i += 2 + len;
    }
    out
}

fn scan(bytes: &[u8]) -> &[u8] {
    let at = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    &bytes[at..]
}

#[test]
fn a_jpeg_loses_exif_gps_and_comments_and_keeps_its_pixels_and_orientation() {
    for needle in [&b"Jane Roe"[..], b"DermLite", b"2026:11:20", b"Exif"] {
        assert!(contains(JPEG, needle), "the fixture has {needle:?}");
    }
    let (kind, clean) = strip_metadata(JPEG).unwrap();
    assert_eq!(kind, PhotoKind::Jpeg);
    for needle in [
        &b"Jane Roe"[..],
        b"Dermatoscope",
        b"DermLite",
        b"2026:11:20",
        b"MRN",
    ] {
        assert!(!contains(&clean, needle), "{needle:?} survived");
    }
    // The only EXIF left is the orientation, in a block of its own.
    let exif: Vec<_> = jpeg_segments(&clean)
        .into_iter()
        .filter(|(m, _)| *m == 0xE1)
        .collect();
    assert_eq!(exif.len(), 1);
    assert_eq!(
        exif[0].1,
        b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec()
    );
    assert!(
        jpeg_segments(&clean).iter().all(|(m, _)| *m != 0xFE),
        "no comment"
    );
    assert_eq!(scan(&clean), scan(JPEG), "the image data is untouched");
    assert_eq!(
        strip_metadata(&clean).unwrap().1,
        clean,
        "stripping twice changes nothing"
    );
}

#[test]
fn a_png_loses_its_text_and_exif_chunks_and_keeps_its_pixels() {
    assert!(contains(PNG, b"Jane Roe") && contains(PNG, b"eXIf"));
    let (kind, clean) = strip_metadata(PNG).unwrap();
    assert_eq!(kind, PhotoKind::Png);
    for needle in [&b"Jane Roe"[..], b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"GPS"] {
        assert!(!contains(&clean, needle), "{needle:?} survived");
    }
    let idat = |b: &[u8]| {
        let at = b.windows(4).position(|w| w == b"IDAT").unwrap() - 4;
        b[at..].to_vec()
    };
    assert_eq!(
        idat(&clean),
        idat(PNG),
        "the image data and the end are untouched"
    );
    assert!(clean.starts_with(b"\x89PNG\r\n\x1a\n"));
}

#[test]
fn other_files_are_refused_with_a_reason() {
    assert_eq!(sniff(GIF), Err(PhotoError::NotJpegOrPng));
    assert_eq!(
        PhotoError::NotJpegOrPng.to_string(),
        "only JPEG and PNG photos can be stored; export the photo as JPEG or PNG"
    );
    assert_eq!(sniff(b""), Err(PhotoError::Empty));
    let huge = vec![0xFF; MAX_PHOTO_BYTES + 1];
    assert!(matches!(sniff(&huge), Err(PhotoError::TooLarge { .. })));
    let cut = &JPEG[..40];
    assert!(matches!(strip_metadata(cut), Err(PhotoError::Malformed(_))));
    let cut = &PNG[..PNG.len() - 5];
    assert!(matches!(strip_metadata(cut), Err(PhotoError::Malformed(_))));
}

proptest! {
    #[test]
    fn any_bytes_are_refused_or_stripped_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = strip_metadata(&bytes);
    }

    #[test]
    fn a_damaged_photo_never_panics(cut in 0usize..2000, flip in 0usize..2000, png: bool) {
        let mut bytes = if png { PNG.to_vec() } else { JPEG.to_vec() };
        let n = bytes.len();
        bytes[flip % n] ^= 0x5A;
        bytes.truncate(cut.min(n));
        let _ = strip_metadata(&bytes);
    }

    #[test]
    fn a_cut_photo_is_refused_or_stripped_of_everything(cut in 0usize..2000, png: bool) {
        let bytes = if png { PNG } else { JPEG };
        if let Ok((_, clean)) = strip_metadata(&bytes[..cut.min(bytes.len())]) {
            prop_assert!(!contains(&clean, b"Jane Roe"));
            prop_assert!(!contains(&clean, b"DermLite"));
        }
    }
}
