//! Photos exported for teaching or for a referral letter, marked with where they came
//! from so that a copy found elsewhere can be traced back to the export.
//!
//! Two marks are drawn. A band along the bottom carries every line in full, legibly; a
//! faint repetition of the first line across the whole photo means that cropping the band
//! off still leaves the photo marked.

use image::{Rgb, RgbImage};

use super::PhotoError;
use super::glyphs::{GLYPH_HEIGHT, GLYPH_WIDTH, ascii, is_set};
use super::pixels::{decode, encode_jpeg};
use crate::wrap::wrap_by;

/// Font pixels a character takes across: the glyph and one column of spacing.
const CELL_WIDTH: u32 = GLYPH_WIDTH + 1;
/// Font pixels a line takes down: the glyph and three rows of spacing.
const LINE_HEIGHT: u32 = GLYPH_HEIGHT + 3;
/// The font is scaled by a whole number, one step per this many pixels of the photo's
/// shorter side, so the text is about the same share of any photo: a 12 megapixel photo
/// (3000 pixels high) gets glyphs 49 pixels tall, still under 2% of its height.
const PIXELS_PER_SCALE_STEP: u32 = 400;
/// The share of the photo's own brightness kept under the band: dark enough for white
/// text to read over any skin tone, light enough that the photo still shows through.
const BAND_KEEP: f32 = 0.35;
/// How far each pixel of the tiled mark moves towards black or white: enough to survive
/// JPEG compression and be seen, faint enough not to hide the lesion.
const TILE_STRENGTH: f32 = 0.3;

/// The photo as an upright JPEG, the same size as the original, with `lines` written in a
/// band along the bottom and the first line repeated faintly across the whole image.
///
/// Blank lines are skipped; characters outside ASCII are drawn as '?' (typographic dashes
/// and quotes as their ASCII forms). Lines too long for the photo's width wrap. The output
/// carries no metadata.
pub fn watermark(bytes: &[u8], lines: &[String]) -> Result<Vec<u8>, PhotoError> {
    let lines: Vec<Vec<u8>> = lines
        .iter()
        .map(|line| ascii(line).trim_ascii().to_vec())
        .filter(|line| !line.is_empty())
        .collect();
    let Some(mark) = lines.first() else {
        return Err(PhotoError::NoWatermarkText);
    };
    let mut image = decode(bytes)?;
    let scale = (image.width().min(image.height()) / PIXELS_PER_SCALE_STEP).max(1);
    tile(&mut image, mark, scale);
    band(&mut image, &lines, scale);
    encode_jpeg(&image)
}

/// Repeats `mark` in rows across the whole photo, each row shifted a third of the way
/// along from the one above so that the marks run diagonally: no rectangle cropped from
/// between them is large enough to be useful.
fn tile(image: &mut RgbImage, mark: &[u8], scale: u32) {
    let width = i64::from(image.width());
    let height = i64::from(image.height());
    let cell = i64::from(CELL_WIDTH * scale);
    let mark_width = i64::try_from(mark.len()).unwrap_or(i64::MAX / 2) * cell;
    let step_x = mark_width + 4 * cell;
    let step_y = 5 * i64::from(LINE_HEIGHT * scale);
    let mut top = step_y / 2;
    let mut row = 0;
    while top < height {
        let mut left = -((row * step_x / 3) % step_x);
        while left < width {
            draw_text(image, mark, (left, top), scale, |pixel| {
                let [r, g, b] = pixel.0;
                let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
                let target = if luma < 128 { 255.0 } else { 0.0 };
                *pixel = Rgb(pixel.0.map(|c| blend(c, target, TILE_STRENGTH)));
            });
            left += step_x;
        }
        top += step_y;
        row += 1;
    }
}

/// Darkens a band along the bottom and writes `lines` in it in white, each wrapped to the
/// photo's width. On a photo too small for the band it covers the whole photo.
fn band(image: &mut RgbImage, lines: &[Vec<u8>], scale: u32) {
    let pad = 2 * scale;
    let cell = CELL_WIDTH * scale;
    let line_height = LINE_HEIGHT * scale;
    let columns = (image.width().saturating_sub(2 * pad) / cell).max(1);
    // The font is monospaced, so a line's width is its number of characters.
    let wrapped: Vec<Vec<u8>> = lines
        .iter()
        .flat_map(|line| wrap_by(line, columns as f32, |text| text.len() as f32))
        .collect();
    let rows = u32::try_from(wrapped.len()).unwrap_or(u32::MAX);
    let band_height = rows.saturating_mul(line_height).saturating_add(2 * pad);
    let band_top = image.height().saturating_sub(band_height);
    for y in band_top..image.height() {
        for x in 0..image.width() {
            let pixel = image.get_pixel_mut(x, y);
            *pixel = Rgb(pixel.0.map(|c| blend(c, 0.0, 1.0 - BAND_KEEP)));
        }
    }
    let above_glyph = (LINE_HEIGHT - GLYPH_HEIGHT) * scale / 2;
    let mut top = i64::from(band_top + pad + above_glyph);
    for line in &wrapped {
        draw_text(image, line, (i64::from(pad), top), scale, |pixel| {
            *pixel = Rgb([255, 255, 255]);
        });
        top += i64::from(line_height);
    }
}

/// Moves `channel` the fraction `amount` of the way towards `target`.
fn blend(channel: u8, target: f32, amount: f32) -> u8 {
    let value = f32::from(channel) + (target - f32::from(channel)) * amount;
    // The value lies between two bytes, so the cast neither truncates nor wraps.
    value.round().clamp(0.0, 255.0) as u8
}

/// Paints the pixels of `text` set in the font, each font pixel a `scale` × `scale`
/// square, with the top left of the first glyph at `origin`. Whatever falls outside the
/// image is skipped, so text may start off the left edge or run past the right one.
fn draw_text(
    image: &mut RgbImage,
    text: &[u8],
    (left, top): (i64, i64),
    scale: u32,
    mut paint: impl FnMut(&mut Rgb<u8>),
) {
    let width = i64::from(image.width());
    let height = i64::from(image.height());
    let scale = i64::from(scale);
    for (i, &byte) in text.iter().enumerate() {
        let cell_left =
            left + i64::try_from(i).unwrap_or(i64::MAX / 2) * i64::from(CELL_WIDTH) * scale;
        if cell_left >= width {
            break;
        }
        if cell_left + i64::from(GLYPH_WIDTH) * scale < 0 {
            continue;
        }
        for gy in 0..GLYPH_HEIGHT {
            for gx in 0..GLYPH_WIDTH {
                if !is_set(byte, gx, gy) {
                    continue;
                }
                let x0 = cell_left + i64::from(gx) * scale;
                let y0 = top + i64::from(gy) * scale;
                for y in y0.max(0)..(y0 + scale).min(height) {
                    for x in x0.max(0)..(x0 + scale).min(width) {
                        if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) {
                            paint(image.get_pixel_mut(x, y));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_glyph_by_glyph_at_its_scale() {
        let mut image = RgbImage::new(20, 20);
        draw_text(&mut image, b"A", (2, 3), 2, |p| *p = Rgb([255, 255, 255]));
        let lit = |x: u32, y: u32| image.get_pixel(x, y).0 == [255, 255, 255];
        // The top of 'A' is font pixels 1 to 3 of row 0, so image pixels 4 to 9 of rows
        // 3 and 4; its corners stay dark.
        assert!((4..10).all(|x| lit(x, 3) && lit(x, 4)));
        assert!(!lit(2, 3) && !lit(3, 4) && !lit(10, 3));
        // Its crossbar is the whole of font row 4.
        assert!((2..12).all(|x| lit(x, 11) && lit(x, 12)));
        assert!(!lit(0, 0) && !lit(12, 11) && !lit(5, 17));
    }

    #[test]
    fn text_off_the_edges_is_clipped_without_panicking() {
        let mut image = RgbImage::new(8, 8);
        let mut painted = 0;
        draw_text(&mut image, b"WWWW", (-7, -3), 3, |_| painted += 1);
        assert!(painted > 0, "the part inside the image is painted");
        assert!(painted <= 64, "nothing outside is");
    }

    #[test]
    fn blending_reaches_its_target_in_proportion() {
        assert_eq!(blend(200, 0.0, 1.0 - BAND_KEEP), 70);
        assert_eq!(blend(0, 255.0, TILE_STRENGTH), 77);
        assert_eq!(blend(255, 255.0, 0.5), 255);
    }
}
