//! Text for the standard Type1 fonts: WinAnsi encoding, glyph widths and line wrapping.
//!
//! Helvetica and Helvetica-Bold are among the 14 fonts every PDF reader carries, so the
//! document embeds no font file; in exchange it can only show the 218 characters of
//! WinAnsiEncoding (Windows-1252), and layout needs the fonts' widths, which are below.

use unicode_normalization::UnicodeNormalization;

use crate::wrap::wrap_by;

/// The two fonts the documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The width of `text` (WinAnsi bytes) set at `size` points, in points.
    pub(crate) fn width(self, text: &[u8], size: f32) -> f32 {
        let units: u32 = text.iter().map(|&b| u32::from(self.advance(b))).sum();
        // Units are thousandths of the font size, as in the fonts' AFM files.
        units as f32 * size / 1000.0
    }

    fn advance(self, byte: u8) -> u16 {
        let table = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        // Bytes below the space are never produced by `encode`; if one ever is, counting it
        // as wide as a space keeps the layout conservative rather than overlapping.
        byte.checked_sub(0x20)
            .and_then(|i| table.get(usize::from(i)))
            .copied()
            .filter(|&w| w > 0)
            .unwrap_or(table[0])
    }
}

/// Encodes text to WinAnsi bytes for a font with `/Encoding /WinAnsiEncoding`.
///
/// The text is first composed (NFC), so a name typed as "e" plus a combining diaeresis
/// prints as the one WinAnsi "ë" instead of "e?". A character WinAnsi lacks becomes '?',
/// which shows the reader that something is missing rather than silently printing a
/// look-alike, with two exceptions: typographic dashes and spaces become their ASCII
/// forms, because a caller that formats "-2.25" with U+2212 MINUS SIGN must not get a
/// prescription that reads "?2.25"; and invisible characters (zero-width spaces and
/// joiners, soft hyphens, byte order marks) are dropped, because they print nothing
/// anyway.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.nfc().filter_map(encode_char).collect()
}

fn encode_char(c: char) -> Option<u8> {
    let byte = match c {
        // Printable ASCII and Latin-1 are WinAnsi's own codes.
        ' '..='~' | '\u{A1}'..='\u{AC}' | '\u{AE}'..='\u{FF}' => {
            u8::try_from(u32::from(c)).unwrap_or(b'?')
        }
        // Prescriptions are single-line fields; a stray tab or line break reads as a space.
        '\t'
        | '\n'
        | '\r'
        | '\u{A0}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => b' ',
        '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => return None,
        '\u{2010}'..='\u{2012}' | '\u{2212}' => b'-',
        '\u{20AC}' => 0x80,
        '\u{201A}' => 0x82,
        '\u{0192}' => 0x83,
        '\u{201E}' => 0x84,
        '\u{2026}' => 0x85,
        '\u{2020}' => 0x86,
        '\u{2021}' => 0x87,
        '\u{02C6}' => 0x88,
        '\u{2030}' => 0x89,
        '\u{0160}' => 0x8A,
        '\u{2039}' => 0x8B,
        '\u{0152}' => 0x8C,
        '\u{017D}' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '\u{2022}' => 0x95,
        '\u{2013}' => 0x96,
        '\u{2014}' => 0x97,
        '\u{02DC}' => 0x98,
        '\u{2122}' => 0x99,
        '\u{0161}' => 0x9A,
        '\u{203A}' => 0x9B,
        '\u{0153}' => 0x9C,
        '\u{017E}' => 0x9E,
        '\u{0178}' => 0x9F,
        _ => b'?',
    };
    Some(byte)
}

/// Breaks `text` into lines no wider than `max_width` points at `size` points, as
/// `wrap_by` does.
pub(crate) fn wrap(font: Font, size: f32, text: &[u8], max_width: f32) -> Vec<Vec<u8>> {
    // Widths summed glyph by glyph round differently from the same text measured at once,
    // so a column sized to its widest cell could otherwise wrap that very cell; a
    // hundredth of a point is invisible on paper.
    wrap_by(text, max_width + 0.01, |t| font.width(t, size))
}

// Advance widths of WinAnsi codes 0x20 to 0xFF in thousandths of an em, from the AFM
// metrics of Helvetica and Helvetica-Bold (identical in URW's metric-compatible Nimbus
// Sans, from which they were read). Zero marks the codes WinAnsi leaves undefined
// (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D), which `encode` never produces.
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_names_encode_to_their_windows_1252_bytes() {
        assert_eq!(
            encode("Zoë Müller-O'Neil"),
            b"Zo\xEB M\xFCller-O'Neil".to_vec()
        );
        assert_eq!(encode("Ñúñez"), b"\xD1\xFA\xF1ez".to_vec());
        assert_eq!(
            encode("Œuvre – “Šárka” €5"),
            b"\x8Cuvre \x96 \x93\x8A\xE1rka\x94 \x805".to_vec()
        );
    }

    #[test]
    fn decomposed_accents_are_composed_first() {
        assert_eq!(encode("Zoe\u{308}"), b"Zo\xEB".to_vec());
        assert_eq!(
            encode("N\u{303}u\u{301}n\u{303}ez"),
            b"\xD1\xFA\xF1ez".to_vec()
        );
    }

    #[test]
    fn characters_outside_windows_1252_become_question_marks() {
        assert_eq!(encode("Łukasz 李"), b"?ukasz ?".to_vec());
        // A code point in the C1 range is not the Windows-1252 character at that byte.
        assert_eq!(encode("\u{80}\u{7F}"), b"??".to_vec());
    }

    #[test]
    fn typographic_minus_and_spaces_keep_their_meaning() {
        assert_eq!(encode("\u{2212}2.25\u{2009}D"), b"-2.25 D".to_vec());
        assert_eq!(encode("63\u{A0}mm\u{AD}\u{200B}"), b"63 mm".to_vec());
    }

    #[test]
    fn every_encoded_byte_has_a_width() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        for byte in encode(&all) {
            let i = usize::from(byte - 0x20);
            assert!(
                HELVETICA[i] > 0 && HELVETICA_BOLD[i] > 0,
                "byte {byte:#04x}"
            );
        }
    }

    #[test]
    fn widths_match_the_afm_metrics() {
        // "Hello" in Helvetica: H 722, e 556, l 222, l 222, o 556; in Helvetica-Bold:
        // H 722, e 556, l 278, l 278, o 611.
        assert!((Font::Regular.width(b"Hello", 10.0) - 22.78).abs() < 1e-4);
        assert!((Font::Bold.width(b"Hello", 10.0) - 24.45).abs() < 1e-4);
    }

    #[test]
    fn text_fits_a_box_of_its_own_measured_width() {
        for font in [Font::Regular, Font::Bold] {
            for size in [7.0, 8.0, 9.0, 10.0, 11.0] {
                for text in [
                    "Eye",
                    "OD",
                    "Base curve",
                    "-2.25",
                    "Zoë Müller-O'Neil",
                    "110.25",
                ] {
                    let text = encode(text);
                    let lines = wrap(font, size, &text, font.width(&text, size));
                    assert_eq!(lines, vec![text], "{font:?} {size}");
                }
            }
        }
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_overlong_words() {
        let lines = wrap(Font::Regular, 10.0, b"aaa bbb ccc", 40.0);
        assert_eq!(lines, vec![b"aaa bbb".to_vec(), b"ccc".to_vec()]);
        let long = [b'm'; 40];
        let lines = wrap(Font::Regular, 10.0, &long, 50.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| Font::Regular.width(l, 10.0) <= 50.0));
        assert_eq!(lines.concat(), long.to_vec());
        assert_eq!(wrap(Font::Regular, 10.0, b"", 50.0), vec![Vec::<u8>::new()]);
        // A box narrower than any glyph still ends, one character a line.
        assert_eq!(wrap(Font::Regular, 10.0, b"ab", 0.1).len(), 2);
    }
}
