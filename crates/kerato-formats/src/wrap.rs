//! Line breaking by any measure of width, shared by the PDF documents (proportional
//! Helvetica, in points) and the photo watermark (a monospaced bitmap font, in pixels).

/// Breaks `text` into lines whose `width` is at most `max_width`.
///
/// Lines break at spaces; a word wider than the line on its own is cut between characters,
/// so that an unbroken string (a long lot number, a pasted URL) still stays inside its
/// box. Runs of spaces collapse to one. Empty text gives one empty line, so an empty cell
/// still has the height of a line.
pub(crate) fn wrap_by(text: &[u8], max_width: f32, width: impl Fn(&[u8]) -> f32) -> Vec<Vec<u8>> {
    let space = width(b" ");
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut line_width = 0.0;
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let word_width = width(word);
        if !line.is_empty() && line_width + space + word_width <= max_width {
            line.push(b' ');
            line.extend_from_slice(word);
            line_width += space + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        line_width = 0.0;
        for &byte in word {
            let byte_width = width(&[byte]);
            // Each line takes at least one character, so a box narrower than one glyph
            // still makes progress instead of looping.
            if !line.is_empty() && line_width + byte_width > max_width {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            line.push(byte);
            line_width += byte_width;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}
