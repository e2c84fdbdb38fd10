//! Small previews of clinical photos, for lesion timelines and requisitions.

use image::imageops;

use super::PhotoError;
use super::pixels::{decode, encode_jpeg};

/// The photo as an upright JPEG whose longest side is at most `max_edge` pixels, with no
/// metadata.
///
/// A photo already within `max_edge` keeps its size: enlarging would only add blur and
/// bytes. A `max_edge` of zero is read as one, the smallest image there is.
pub fn thumbnail(bytes: &[u8], max_edge: u32) -> Result<Vec<u8>, PhotoError> {
    let image = decode(bytes)?;
    let (width, height) = fit(image.width(), image.height(), max_edge.max(1));
    if (width, height) == image.dimensions() {
        return encode_jpeg(&image);
    }
    // `thumbnail` averages every source pixel into the one it lands in, which keeps fine
    // detail such as pigment network from aliasing when the scale is large.
    encode_jpeg(&imageops::thumbnail(&image, width, height))
}

/// The size that fits `width` × `height` within `max_edge` on its longest side, keeping
/// the aspect ratio to the nearest pixel and never enlarging.
fn fit(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max_edge) + u64::from(longest) / 2) / u64::from(longest);
        u32::try_from(scaled).unwrap_or(max_edge).clamp(1, max_edge)
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_side_becomes_max_edge_and_the_other_keeps_the_ratio() {
        assert_eq!(fit(4000, 3000, 400), (400, 300));
        assert_eq!(fit(3000, 4000, 400), (300, 400));
        // 1000 × 333 at 100: 33.3 rounds to 33.
        assert_eq!(fit(1000, 333, 100), (100, 33));
        assert_eq!(fit(1000, 335, 100), (100, 34));
    }

    #[test]
    fn small_photos_keep_their_size_and_thin_ones_keep_a_pixel() {
        assert_eq!(fit(48, 32, 256), (48, 32));
        assert_eq!(fit(48, 32, 48), (48, 32));
        assert_eq!(fit(10_000, 2, 100), (100, 1));
    }
}
