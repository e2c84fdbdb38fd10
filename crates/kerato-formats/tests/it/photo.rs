//! Photos keep their pixels and lose their metadata. The fixtures were
//! made with Pillow and piexif: a JPEG with EXIF (camera make and model, a
//! description naming a patient, the time taken, orientation 6) and a GPS
//! position, plus a comment; a PNG with text chunks and an eXIf chunk. Thumbnails and
//! watermarked exports are decoded again with the `image` crate to check their pixels.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, ImageFormat, Rgb, RgbImage};
use kerato_formats::photo::{
    MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, PhotoError, PhotoKind, sniff, strip_metadata, thumbnail,
    watermark,
};
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

/// A smooth colour gradient, so that resized and re-encoded pixels stay comparable.
fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let r = u8::try_from(x * 255 / width.max(1)).unwrap();
        let g = u8::try_from(y * 255 / height.max(1)).unwrap();
        Rgb([r, g, 128])
    })
}

fn png_of(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn jpeg_of(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(image)
        .unwrap();
    out
}

fn decode_jpeg(bytes: &[u8]) -> RgbImage {
    image::load(Cursor::new(bytes), ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8()
}

/// Asserts `bytes` is a JPEG whose only application segment is the JFIF header.
fn assert_bare_jpeg(bytes: &[u8]) {
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "starts with SOI");
    let segments = jpeg_segments(bytes);
    for (marker, body) in &segments {
        let app = (0xE1..=0xEF).contains(marker) || *marker == 0xFE;
        assert!(
            !app,
            "segment {marker:#04x} {:?} survived",
            &body[..body.len().min(12)]
        );
    }
    assert!(!contains(bytes, b"Exif"));
    assert!(
        segments
            .iter()
            .any(|(m, b)| *m == 0xE0 && b.starts_with(b"JFIF\0"))
    );
}

/// A PNG whose header claims `width` × `height` pixels, followed by a tiny, valid
/// compressed stream: a decompression bomb's shape, without the bomb.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    crc >> 1 ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    // An empty zlib stream: header, one final stored block of length 0, Adler-32 of nothing.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_thumbnail_fits_max_edge_keeps_the_aspect_ratio_and_has_no_metadata() {
    for (width, height) in [(1200, 800), (800, 1200), (1000, 333)] {
        let original = gradient(width, height);
        for bytes in [png_of(&original), jpeg_of(&original)] {
            let thumb = thumbnail(&bytes, 256).unwrap();
            assert_bare_jpeg(&thumb);
            let small = decode_jpeg(&thumb);
            assert_eq!(small.width().max(small.height()), 256);
            let expected_short =
                f64::from(width.min(height)) * 256.0 / f64::from(width.max(height));
            let short = f64::from(small.width().min(small.height()));
            assert!(
                (short - expected_short).abs() <= 1.0,
                "{width}x{height}: {short}"
            );
            assert_eq!(
                small.width() > small.height(),
                width > height,
                "orientation kept"
            );
            // The gradient survives: the top-right corner is red, the bottom-left green.
            let top_right = small.get_pixel(small.width() - 2, 1).0;
            let bottom_left = small.get_pixel(1, small.height() - 2).0;
            assert!(top_right[0] > 200 && top_right[1] < 60, "{top_right:?}");
            assert!(
                bottom_left[0] < 60 && bottom_left[1] > 200,
                "{bottom_left:?}"
            );
        }
    }
}

#[test]
fn a_small_photo_is_never_enlarged() {
    let thumb = thumbnail(&png_of(&gradient(120, 90)), 512).unwrap();
    assert_eq!(decode_jpeg(&thumb).dimensions(), (120, 90));
}

#[test]
fn thumbnails_are_upright_whether_or_not_the_photo_was_stripped_first() {
    // The fixture is stored 48 × 32 with orientation 6 (turn 90° clockwise to view).
    let stripped = strip_metadata(JPEG).unwrap().1;
    for bytes in [JPEG, &stripped[..]] {
        let thumb = thumbnail(bytes, 512).unwrap();
        assert_bare_jpeg(&thumb);
        assert!(!contains(&thumb, b"Jane Roe") && !contains(&thumb, b"DermLite"));
        assert_eq!(decode_jpeg(&thumb).dimensions(), (32, 48));
    }
    // The PNG fixture's eXIf chunk also says orientation 6, which a thumbnail of the
    // original honours; stripping drops the whole chunk, orientation included.
    let png = thumbnail(PNG, 24).unwrap();
    assert!(!contains(&png, b"Jane Roe"));
    assert_eq!(decode_jpeg(&png).dimensions(), (16, 24));
    let stripped = strip_metadata(PNG).unwrap().1;
    assert_eq!(
        decode_jpeg(&thumbnail(&stripped, 24).unwrap()).dimensions(),
        (24, 16)
    );
}

#[test]
fn a_transparent_png_is_laid_on_white() {
    let clear = image::RgbaImage::from_pixel(8, 8, image::Rgba([0, 0, 0, 0]));
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(clear.as_raw(), 8, 8, image::ExtendedColorType::Rgba8)
        .unwrap();
    let thumb = decode_jpeg(&thumbnail(&bytes, 8).unwrap());
    assert!(
        thumb.pixels().all(|p| p.0.iter().all(|&c| c > 245)),
        "white, not black"
    );
}

#[test]
fn decompression_bombs_are_refused_from_their_header() {
    // 10,000 × 10,000 is 100 megapixels, 300 MB as RGB, in a file of 70 bytes.
    let bomb = png_claiming(10_000, 10_000);
    assert!(bomb.len() < 100);
    assert_eq!(thumbnail(&bomb, 256), Err(PhotoError::TooManyPixels));
    assert_eq!(
        watermark(&bomb, &["Riverside".to_owned()]),
        Err(PhotoError::TooManyPixels)
    );
    // A side too long for a JPEG is refused the same way, however few pixels in all.
    assert_eq!(
        thumbnail(&png_claiming(70_000, 1), 256),
        Err(PhotoError::TooManyPixels)
    );
    assert_eq!(
        PhotoError::TooManyPixels.to_string(),
        "the photo has more than 50 megapixels or is more than 65535 pixels on a side; \
         export it at a smaller size"
    );
    assert_eq!(MAX_PHOTO_PIXELS, 50_000_000);
    // The same file shape within the limits passes the header check, and the missing
    // pixel data is what fails, which shows the refusals above came from the header.
    assert!(matches!(
        thumbnail(&png_claiming(10, 10), 256),
        Err(PhotoError::Malformed(_))
    ));
}

#[test]
fn damaged_and_foreign_files_are_refused() {
    let mut jpeg = jpeg_of(&gradient(64, 64));
    let n = jpeg.len();
    jpeg.truncate(n / 3);
    assert!(matches!(
        thumbnail(&jpeg, 32),
        Err(PhotoError::Malformed(_))
    ));
    let mut png = png_of(&gradient(64, 64));
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
    png[idat + 8] ^= 0xFF;
    assert!(matches!(thumbnail(&png, 32), Err(PhotoError::Malformed(_))));
    assert_eq!(thumbnail(GIF, 32), Err(PhotoError::NotJpegOrPng));
    assert_eq!(thumbnail(b"", 32), Err(PhotoError::Empty));
    assert!(matches!(
        watermark(&png, &["x".to_owned()]),
        Err(PhotoError::Malformed(_))
    ));
}

fn export_lines() -> Vec<String> {
    vec![
        "Riverside Dermatology — for teaching use only".to_owned(),
        "Exported 2026-11-26 by J. Doe — photo P-123".to_owned(),
    ]
}

/// The mean brightness of the pixels in rows `rows` of `image`.
fn mean(image: &RgbImage, rows: std::ops::Range<u32>) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in rows {
        for x in 0..image.width() {
            sum += image
                .get_pixel(x, y)
                .0
                .iter()
                .map(|&c| f64::from(c))
                .sum::<f64>()
                / 3.0;
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn a_watermark_darkens_a_band_marks_the_middle_and_keeps_the_size() {
    // A flat light grey photo, so that every change is the watermark's.
    let original = RgbImage::from_pixel(800, 600, Rgb([200, 200, 200]));
    let marked = watermark(&png_of(&original), &export_lines()).unwrap();
    assert_bare_jpeg(&marked);
    let marked = decode_jpeg(&marked);
    assert_eq!(marked.dimensions(), (800, 600));

    // Two lines at scale 1 make a band 24 pixels high; its bottom rows are dark with
    // white text, far darker than the photo on average.
    let band = mean(&marked, 580..600);
    assert!(band < 140.0, "band mean {band}");
    let text = (0..800)
        .filter(|&x| marked.get_pixel(x, 585).0[0] > 180)
        .count();
    assert!(text > 20, "white text in the band ({text} pixels)");

    // Far above the band, in the middle of the photo, the tiled mark has changed pixels,
    // darker than the light grey, while most of the photo is untouched.
    let mut changed = 0;
    let mut total = 0;
    for y in 200..400 {
        for x in 200..600 {
            total += 1;
            if marked.get_pixel(x, y).0[0] < 180 {
                changed += 1;
            }
        }
    }
    assert!(changed > 200, "the middle is marked ({changed} pixels)");
    assert!(
        changed * 4 < total,
        "the mark is sparse ({changed} of {total})"
    );
}

#[test]
fn a_dark_photo_gets_a_light_tiled_mark_and_an_upright_export() {
    let original = RgbImage::from_pixel(300, 200, Rgb([30, 30, 30]));
    let marked = decode_jpeg(&watermark(&jpeg_of(&original), &export_lines()).unwrap());
    let lighter = marked
        .pixels()
        .take(300 * 100)
        .filter(|p| p.0[0] > 60)
        .count();
    assert!(
        lighter > 100,
        "the mark shows on a dark photo ({lighter} pixels)"
    );
    // The fixture's orientation is applied, so the export is upright like the thumbnail.
    let upright = watermark(JPEG, &export_lines()).unwrap();
    assert_bare_jpeg(&upright);
    assert!(!contains(&upright, b"Jane Roe"));
    assert_eq!(decode_jpeg(&upright).dimensions(), (32, 48));
}

#[test]
fn a_watermark_needs_text() {
    let png = png_of(&gradient(50, 50));
    assert_eq!(watermark(&png, &[]), Err(PhotoError::NoWatermarkText));
    assert_eq!(
        watermark(&png, &["  ".to_owned(), String::new()]),
        Err(PhotoError::NoWatermarkText)
    );
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
