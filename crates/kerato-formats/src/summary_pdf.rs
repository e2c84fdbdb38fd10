//! A plain text document of headed sections over as many Letter pages as it needs: the
//! human-readable summary in a patient's access package, beside the machine-readable
//! record.

use pdf_writer::Content;

use crate::pdf::text::{Font, encode, wrap};
use crate::pdf::{BASELINE, CONTENT_WIDTH, LEADING, MARGIN, Page, assemble};

const TITLE_SIZE: f32 = 16.0;
const HEADING_SIZE: f32 = 12.0;
const TEXT_SIZE: f32 = 9.5;

/// The document: a title, lines under it, then the sections in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryPdf {
    pub title: String,
    /// Lines under the title: who the document is from and about, and when it was made.
    pub header: Vec<String>,
    pub sections: Vec<SummarySection>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummarySection {
    pub heading: String,
    /// One entry per line; a long entry wraps. An empty section says so.
    pub lines: Vec<String>,
}

/// Pages drawn so far and the one being drawn; a line that does not fit starts a new page,
/// so nothing is ever cut off.
struct Pages {
    done: Vec<Content>,
    page: Page,
}

impl Pages {
    fn line(&mut self, font: Font, size: f32, indent: f32, text: &str) {
        for line in wrap(font, size, &encode(text), CONTENT_WIDTH - indent) {
            let height = size * LEADING;
            let top = match self.page.take(height, "summary") {
                Ok(top) => top,
                Err(_) => {
                    let full = std::mem::replace(&mut self.page, Page::new());
                    self.done.push(full.content);
                    // A fresh page always has room for one line.
                    self.page.y -= height;
                    self.page.y + height
                }
            };
            self.page
                .show(font, size, MARGIN + indent, top - size * BASELINE, &line);
        }
    }
}

/// Renders the summary. It cannot fail: text that does not fit goes on to the next page.
pub fn render(summary: &SummaryPdf) -> Vec<u8> {
    let mut pages = Pages {
        done: Vec::new(),
        page: Page::new(),
    };
    pages.line(Font::Bold, TITLE_SIZE, 0.0, &summary.title);
    for line in &summary.header {
        pages.line(Font::Regular, TEXT_SIZE, 0.0, line);
    }
    for section in &summary.sections {
        pages.page.gap(HEADING_SIZE * 0.5);
        pages.line(Font::Bold, HEADING_SIZE, 0.0, &section.heading);
        if section.lines.is_empty() {
            pages.line(Font::Regular, TEXT_SIZE, 12.0, "None on record.");
        }
        for line in &section.lines {
            pages.line(Font::Regular, TEXT_SIZE, 12.0, line);
        }
    }
    let mut all = pages.done;
    all.push(pages.page.content);
    assemble(&summary.title, all, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    #[test]
    fn a_long_summary_runs_on_to_more_pages_and_a_short_one_fits_one() {
        let doc = |n: usize| SummaryPdf {
            title: "Record summary".into(),
            header: vec!["Capital Derm".into()],
            sections: vec![SummarySection {
                heading: "Appointments".into(),
                lines: (0..n)
                    .map(|i| format!("Visit {i}: follow-up, completed"))
                    .collect(),
            }],
        };
        let short = render(&doc(3));
        assert!(short.starts_with(b"%PDF"));
        assert_eq!(count(&short, b"/Type /Page\n"), 1);
        let long = render(&doc(200));
        // A page holds 684 pt of text, 60 lines of 11.4 pt; the title, the header, the
        // heading and 200 lines take a fourth.
        assert_eq!(count(&long, b"/Type /Page\n"), 4);
        assert_eq!(count(&long, b"(Visit 199: follow-up, completed)"), 1);
    }
}
