//! Synthetic clinical photos: a skin-coloured field with a darker spot of
//! irregular border, drawn from a few numbers so the same lesion at the
//! same size always gives the same bytes. No real patient is pictured.

use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;

use crate::AppError;

/// The thumbnail's size, so the upload re-encodes the photo without
/// scaling it, which is slow in a debug build.
const WIDTH: u32 = crate::lesions::THUMBNAIL_EDGE;
const HEIGHT: u32 = WIDTH * 3 / 4;
/// The field shows 20 mm across: 16 pixels to the millimetre.
const PX_PER_MM: f32 = WIDTH as f32 / 20.0;

/// A naevus's brown at its edge; it darkens towards the centre.
const PIGMENT: [f32; 3] = [120.0, 75.0, 52.0];

/// A small integer hash: the photo's "noise", the same on every run.
fn noise(x: u32, y: u32, seed: u32) -> u32 {
    let mut h = x
        .wrapping_mul(0x9E37_79B1)
        .wrapping_add(y.wrapping_mul(0x85EB_CA77))
        .wrapping_add(seed.wrapping_mul(0xC2B2_AE3D));
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h
}

/// A signed jitter of at most `amplitude` levels.
fn jitter(x: u32, y: u32, seed: u32, amplitude: u32) -> f32 {
    (noise(x, y, seed) % (2 * amplitude + 1)) as f32 - amplitude as f32
}

/// A JPEG of lesion `seed` measuring `size_tenths_mm` across.
pub(super) fn lesion_photo(seed: u32, size_tenths_mm: u32) -> Result<Vec<u8>, AppError> {
    let radius = size_tenths_mm as f32 / 20.0 * PX_PER_MM;
    // Where the spot sits and how its border wanders, from the seed.
    let (cx, cy) = (
        WIDTH as f32 / 2.0 + (seed % 7) as f32 * 6.0 - 18.0,
        HEIGHT as f32 / 2.0 + (seed % 5) as f32 * 5.0 - 10.0,
    );
    let phase = (seed % 13) as f32 * 0.48;
    let skin = [
        214.0 + (seed % 4) as f32 * 8.0,
        168.0 + (seed % 3) as f32 * 7.0,
        140.0 + (seed % 5) as f32 * 4.0,
    ];
    // Only pixels near the spot need its border; the rest is skin.
    let reach = radius * 1.25 + 2.0;
    let mut pixels = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
    for y in 0..HEIGHT {
        let light = 1.0 - y as f32 / HEIGHT as f32 * 0.08;
        let dy = y as f32 - cy;
        for x in 0..WIDTH {
            let dx = x as f32 - cx;
            let grain = jitter(x, y, seed, 5);
            let (inside, depth) = if dx.abs() > reach || dy.abs() > reach {
                (0.0, 0.0)
            } else {
                let angle = dy.atan2(dx);
                let edge = radius
                    * (1.0
                        + 0.14 * (3.0 * angle + phase).sin()
                        + 0.07 * (5.0 * angle - 2.0 * phase).sin());
                let distance = (dx * dx + dy * dy).sqrt();
                // 0 outside the spot, 1 inside, blended over two pixels;
                // darker towards the centre, as a pigmented lesion is.
                (
                    ((edge - distance) / 2.0).clamp(0.0, 1.0),
                    1.0 - (distance / edge.max(1.0)).min(1.0) * 0.45,
                )
            };
            let mottle = if inside > 0.0 {
                jitter(x / 3, y / 3, seed + 1, 9)
            } else {
                0.0
            };
            // A float cast to u8 saturates, so no channel wraps. Written
            // out rather than zipped: a debug build pays for every
            // iterator call, and this runs for every pixel.
            let shade = 1.25 - 0.6 * depth;
            let channel = |base: f32, pigment: f32| {
                (base * light * (1.0 - inside) + (pigment * shade + mottle) * inside + grain) as u8
            };
            pixels.extend_from_slice(&[
                channel(skin[0], PIGMENT[0]),
                channel(skin[1], PIGMENT[1]),
                channel(skin[2], PIGMENT[2]),
            ]);
        }
    }
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode(&pixels, WIDTH, HEIGHT, ExtendedColorType::Rgb8)
        .map_err(|e| AppError::NotReady(format!("a demo photo could not be drawn: {e}")))?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_lesion_gives_the_same_photo_and_a_bigger_one_another() {
        let a = lesion_photo(3, 50).unwrap();
        assert_eq!(a, lesion_photo(3, 50).unwrap());
        assert_ne!(a, lesion_photo(3, 65).unwrap());
        assert_ne!(a, lesion_photo(4, 50).unwrap());
        let (kind, _) = kerato_formats::photo::strip_metadata(&a).unwrap();
        assert_eq!(kind.media_type(), "image/jpeg");
    }
}
