//! Decoding a photo to pixels and encoding pixels back to a bare JPEG, shared by the
//! thumbnail and the watermarked export.
//!
//! Unlike metadata stripping, these functions do look at every pixel, so a file that is
//! small on disk but huge once decoded (a "decompression bomb") is refused from its header
//! alone, before any pixel memory is allocated.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};

use super::{PhotoError, PhotoKind, sniff};

/// The most pixels a photo may have to be decoded: a 50 megapixel camera's full frame,
/// which as 8-bit RGBA takes 200 MB once decoded.
pub const MAX_PHOTO_PIXELS: u64 = 50_000_000;

/// The longest side a photo may have, which is also the most a JPEG can encode.
pub const MAX_PHOTO_SIDE: u32 = 65_535;

/// JPEG quality for everything re-encoded: small files with no visible blocking on skin.
const JPEG_QUALITY: u8 = 80;

/// Decodes a JPEG or PNG to RGB pixels, turned upright by its EXIF orientation.
///
/// The orientation is the one piece of EXIF `strip_metadata` keeps, precisely so that a
/// phone photo taken upright is shown upright; here it is applied to the pixels, since the
/// JPEG written afterwards carries no EXIF at all.
pub(super) fn decode(bytes: &[u8]) -> Result<RgbImage, PhotoError> {
    let format = match sniff(bytes)? {
        PhotoKind::Jpeg => ImageFormat::Jpeg,
        PhotoKind::Png => ImageFormat::Png,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    // The header's dimensions are checked here, before `from_decoder` allocates the
    // pixels, because `Limits` bounds each side but not their product.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PHOTO_PIXELS {
        return Err(PhotoError::TooManyPixels);
    }
    let orientation = decoder.orientation().map_err(refusal)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    Ok(flatten(image))
}

/// Drops any alpha channel by laying the photo on white, which is how a transparent PNG
/// looks in a browser; simply discarding alpha would reveal whatever colour the
/// transparent pixels happen to hold.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let c = u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a));
            u8::try_from(c / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

fn refusal(error: ImageError) -> PhotoError {
    match error {
        ImageError::Limits(_) => PhotoError::TooManyPixels,
        ImageError::Unsupported(_) => {
            PhotoError::Malformed("the image uses an unsupported feature")
        }
        _ => PhotoError::Malformed("the image data cannot be decoded"),
    }
}

/// Encodes pixels as a baseline JPEG. The encoder writes a JFIF header and nothing else
/// (no EXIF, no ICC profile, no comment), so the result carries no metadata at all.
pub(super) fn encode_jpeg(image: &RgbImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|_| PhotoError::Malformed("the image cannot be encoded as JPEG"))?;
    Ok(out)
}
