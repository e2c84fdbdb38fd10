//! Clinical photos in: only JPEG and PNG, and every piece of metadata a
//! camera or phone adds (EXIF with its GPS position, XMP, IPTC, comments,
//! text chunks, timestamps) removed before anything is stored.
//!
//! The pixels are never decoded or re-encoded: the image data is copied
//! byte for byte, so stripping cannot lose quality, and the parser only has
//! to walk the files' segment and chunk structure. The one piece of EXIF
//! kept is the orientation, rewritten as a minimal EXIF block holding that
//! tag alone, because without it a phone photo taken upright shows on its
//! side, which matters when comparing a lesion across visits.
//!
//! Thumbnails and watermarked exports, by contrast, are new images: they decode the
//! pixels, turn them upright, and write a JPEG with no metadata at all.

mod glyphs;
mod pixels;
mod thumb;
mod watermark;

use std::fmt;

pub use self::pixels::{MAX_PHOTO_PIXELS, MAX_PHOTO_SIDE};
pub use self::thumb::thumbnail;
pub use self::watermark::watermark;

/// The largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;

/// The formats a clinical photo may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    Jpeg,
    Png,
}

impl PhotoKind {
    pub fn media_type(self) -> &'static str {
        match self {
            PhotoKind::Jpeg => "image/jpeg",
            PhotoKind::Png => "image/png",
        }
    }
}

/// Why a file was refused; each message says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    Empty,
    TooLarge {
        bytes: usize,
    },
    NotJpegOrPng,
    Malformed(&'static str),
    /// The image has more pixels than `MAX_PHOTO_PIXELS`, or a side longer than
    /// `MAX_PHOTO_SIDE`, so decoding it could exhaust memory.
    TooManyPixels,
    /// A watermark was asked for with no text to draw.
    NoWatermarkText,
}

impl fmt::Display for PhotoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhotoError::Empty => f.write_str("the file is empty; choose the photo again"),
            PhotoError::TooLarge { bytes } => write!(
                f,
                "the photo is {:.1} MB; the limit is {} MB, so export it at a smaller size",
                *bytes as f64 / 1_048_576.0,
                MAX_PHOTO_BYTES / 1_048_576
            ),
            PhotoError::NotJpegOrPng => f.write_str(
                "only JPEG and PNG photos can be stored; export the photo as JPEG or PNG",
            ),
            PhotoError::Malformed(what) => write!(
                f,
                "the file is damaged ({what}); export the photo again and upload that copy"
            ),
            PhotoError::TooManyPixels => write!(
                f,
                "the photo has more than {} megapixels or is more than {MAX_PHOTO_SIDE} pixels \
                 on a side; export it at a smaller size",
                MAX_PHOTO_PIXELS / 1_000_000
            ),
            PhotoError::NoWatermarkText => f.write_str(
                "the watermark has no text; give at least one line, such as the practice name",
            ),
        }
    }
}

impl std::error::Error for PhotoError {}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Which of the accepted formats `bytes` is, from its signature (never
/// from the file name or the declared type, which the sender controls).
pub fn sniff(bytes: &[u8]) -> Result<PhotoKind, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge { bytes: bytes.len() });
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(PhotoKind::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Ok(PhotoKind::Png)
    } else {
        Err(PhotoError::NotJpegOrPng)
    }
}

/// The photo without its metadata, and its format.
pub fn strip_metadata(bytes: &[u8]) -> Result<(PhotoKind, Vec<u8>), PhotoError> {
    let kind = sniff(bytes)?;
    let clean = match kind {
        PhotoKind::Jpeg => strip_jpeg(bytes)?.0,
        PhotoKind::Png => strip_png(bytes)?,
    };
    Ok((kind, clean))
}

/// What a JPEG's frame header and EXIF say about its pixels, for placing it in a document
/// without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JpegFrame {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Colour components: 1 for greyscale, 3 for colour, 4 for CMYK.
    pub(crate) components: u8,
    /// The EXIF orientation, when the file has one other than 1 (upright).
    pub(crate) turned: bool,
}

/// The JPEG without its metadata, as `strip_metadata` gives it, and its frame.
pub(crate) fn jpeg_frame(bytes: &[u8]) -> Result<(Vec<u8>, JpegFrame), PhotoError> {
    if sniff(bytes)? != PhotoKind::Jpeg {
        return Err(PhotoError::NotJpegOrPng);
    }
    match strip_jpeg(bytes)? {
        (clean, Some(frame)) => Ok((clean, frame)),
        (_, None) => Err(PhotoError::Malformed("the JPEG has no frame header")),
    }
}

/// JPEG segments kept, a list of what is allowed rather than of what is
/// not: the frame headers, tables and restart interval the decoder needs,
/// JFIF (APP0), the ICC colour profile (APP2, colour only) and Adobe's
/// colour-transform flag (APP14). Everything else before the scan (EXIF
/// and XMP in APP1, IPTC in APP13, comments, maker and unknown segments)
/// goes.
fn keep_jpeg_segment(marker: u8, body: &[u8]) -> bool {
    match marker {
        0xE0 => body.starts_with(b"JFIF\0") || body.starts_with(b"JFXX\0"),
        0xE2 => body.starts_with(b"ICC_PROFILE\0"),
        0xEE => body.starts_with(b"Adobe"),
        // SOF0–SOF15 (but not the reserved C8), DHT (C4), DAC (CC), DQT,
        // DNL, DRI, DHP and EXP.
        0xC0..=0xC7 | 0xC9..=0xCF | 0xDB..=0xDF => true,
        _ => false,
    }
}

/// Strips the JPEG, and reads its frame header on the way.
fn strip_jpeg(bytes: &[u8]) -> Result<(Vec<u8>, Option<JpegFrame>), PhotoError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut orientation = None;
    let mut frame = None;
    let mut i = 2;
    loop {
        // Markers may be padded with extra 0xFF bytes.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            return Err(PhotoError::Malformed("a JPEG marker is missing"));
        };
        match marker {
            // Start of scan: the entropy-coded image and everything after
            // it (further scans of a progressive JPEG, the end marker) is
            // image data and is copied as it is.
            0xDA => {
                if let Some(o) = orientation {
                    insert_orientation(&mut out, o);
                }
                out.extend_from_slice(&bytes[i..]);
                let frame = frame.map(|f: JpegFrame| JpegFrame {
                    turned: orientation.is_some_and(|o| o != 1),
                    ..f
                });
                return Ok((out, frame));
            }
            0xD9 => return Err(PhotoError::Malformed("the image ends before its data")),
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&bytes[i..i + 2]);
                i += 2;
            }
            _ => {
                let len = match (bytes.get(i + 2), bytes.get(i + 3)) {
                    (Some(&h), Some(&l)) => usize::from(h) << 8 | usize::from(l),
                    _ => return Err(PhotoError::Malformed("a JPEG segment is cut short")),
                };
                let end = i + 2 + len;
                if len < 2 || end > bytes.len() {
                    return Err(PhotoError::Malformed("a JPEG segment is cut short"));
                }
                let body = &bytes[i + 4..end];
                if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif_orientation(&body[6..]));
                }
                // SOF0 to SOF15 except DHT (C4), the reserved C8 and DAC (CC): sample
                // precision, height, width and the number of components.
                if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)
                    && let [_, h0, h1, w0, w1, components, ..] = *body
                {
                    frame = frame.or(Some(JpegFrame {
                        width: u32::from(u16::from_be_bytes([w0, w1])),
                        height: u32::from(u16::from_be_bytes([h0, h1])),
                        components,
                        turned: false,
                    }));
                }
                if keep_jpeg_segment(marker, body) {
                    out.extend_from_slice(&bytes[i..end]);
                }
                i = end;
            }
        }
    }
}

/// The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block,
/// when it holds one of the eight defined values.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<usize> {
        let b = tiff.get(at..at + 4)?;
        let v = if little {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        };
        usize::try_from(v).ok()
    };
    let ifd = u32_at(4)?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(512)).find_map(|k| {
        let entry = ifd + 2 + 12 * k;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// Appends a minimal EXIF segment holding only the orientation.
fn insert_orientation(out: &mut Vec<u8>, orientation: u16) {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian TIFF, IFD0 at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let len = 2 + 6 + tiff.len();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
}

/// PNG chunks kept: the critical ones and the ancillary chunks that only
/// describe colour, transparency and pixel size. Text (tEXt, zTXt, iTXt),
/// EXIF (eXIf), timestamps (tIME) and anything unknown go.
fn keep_png_chunk(kind: &[u8]) -> bool {
    matches!(
        kind,
        b"IHDR"
            | b"PLTE"
            | b"IDAT"
            | b"IEND"
            | b"tRNS"
            | b"gAMA"
            | b"cHRM"
            | b"sRGB"
            | b"iCCP"
            | b"sBIT"
            | b"pHYs"
            | b"bKGD"
    )
}

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut i = PNG_SIGNATURE.len();
    let mut ended = false;
    while i < bytes.len() {
        let Some(head) = bytes.get(i..i + 8) else {
            return Err(PhotoError::Malformed("a PNG chunk is cut short"));
        };
        let len = usize::try_from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
            .map_err(|_| PhotoError::Malformed("a PNG chunk is too long"))?;
        let kind = &head[4..8];
        let end = i
            .checked_add(12)
            .and_then(|n| n.checked_add(len))
            .filter(|end| *end <= bytes.len())
            .ok_or(PhotoError::Malformed("a PNG chunk is cut short"))?;
        if keep_png_chunk(kind) {
            out.extend_from_slice(&bytes[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            ended = true;
            break;
        }
    }
    if !ended {
        return Err(PhotoError::Malformed("the PNG has no end chunk"));
    }
    Ok(out)
}
