//! Eyeglass and contact lens prescriptions as a one-page PDF, for the patient to take to
//! any optical shop.
//!
//! The input is plain, already formatted text: the caller turns the domain's optics values
//! into strings ("-2.25", "180", "8.6"), so this module knows about layout, not optics.
//! The output is a Letter page in the standard Helvetica fonts; the same input always gives
//! the same bytes (see `crate::pdf`).

use kerato_domain::eye::ftc::RxKind;
use pdf_writer::Content;

use crate::pdf::text::{Font, encode, wrap};
use crate::pdf::{BASELINE, CONTENT_WIDTH, LEADING, MARGIN, Overflow, PAGE_WIDTH, Page, assemble};

/// A prescription ready to print: every value is already formatted for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxPdf {
    /// Which prescription the page is, which sets its title.
    pub kind: RxKind,
    pub practice_name: String,
    pub practice_address: Vec<String>,
    pub practice_phone: Option<String>,
    pub prescriber_name: String,
    /// The state licence as printed, e.g. "CA OPT 12345".
    pub prescriber_license: String,
    pub prescriber_npi: String,
    pub patient_name: String,
    pub patient_dob: String,
    pub issued_on: String,
    pub expires_on: String,
    pub rx_id: String,
    /// One row per eye, each with one cell per entry of `columns`.
    pub rows: Vec<RxPdfRow>,
    /// The table's column headings after the eye column, e.g. Sphere, Cylinder, Axis.
    pub columns: Vec<String>,
    /// Lines under the table: PD, replacement schedule, quantity, a shortened expiry's reason.
    pub notes: Vec<String>,
    /// Small print at the foot of the page, e.g. the FTC confirmation statement.
    pub footer: Option<String>,
}

/// One eye's line of the prescription table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxPdfRow {
    /// The eye as printed, "OD" or "OS".
    pub eye: String,
    pub cells: Vec<String>,
}

/// Why a prescription could not be rendered; each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RxPdfError {
    #[error("{field} is empty; a prescription must show it")]
    MissingField { field: &'static str },
    #[error("the prescription has no columns; give at least one, e.g. Sphere")]
    NoColumns,
    #[error("the prescription has {found} columns; at most {max} fit across the page")]
    TooManyColumns { found: usize, max: usize },
    #[error("the prescription has no rows; give one row per eye")]
    NoRows,
    #[error(
        "row {row} ({eye}) has {found} cells but there are {expected} columns; \
         give each row exactly one cell per column"
    )]
    CellCountMismatch {
        /// The row's position, counting from 1.
        row: usize,
        eye: String,
        found: usize,
        expected: usize,
    },
    /// Text runs past the bottom of the page; `section` is where the room ran out, which
    /// may be because of something long above it.
    #[error(
        "the prescription does not fit on one page: it runs out of room at {section}; \
         shorten the longest text there or above it"
    )]
    DoesNotFit { section: &'static str },
}

impl From<Overflow> for RxPdfError {
    fn from(Overflow { section }: Overflow) -> Self {
        RxPdfError::DoesNotFit { section }
    }
}

/// The most columns, after the eye column, that stay legible across a Letter page.
pub const MAX_COLUMNS: usize = 12;

/// Renders the prescription as a one-page PDF.
pub fn render(rx: &RxPdf) -> Result<Vec<u8>, RxPdfError> {
    validate(rx)?;
    let content = layout(rx)?;
    Ok(assemble(rx.kind.title(), vec![content], None))
}

fn validate(rx: &RxPdf) -> Result<(), RxPdfError> {
    let required = [
        ("the practice name", &rx.practice_name),
        ("the prescriber's name", &rx.prescriber_name),
        ("the patient's name", &rx.patient_name),
        ("the issue date", &rx.issued_on),
        ("the expiry date", &rx.expires_on),
    ];
    if let Some((field, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
        return Err(RxPdfError::MissingField { field });
    }
    if rx.columns.is_empty() {
        return Err(RxPdfError::NoColumns);
    }
    if rx.columns.len() > MAX_COLUMNS {
        return Err(RxPdfError::TooManyColumns {
            found: rx.columns.len(),
            max: MAX_COLUMNS,
        });
    }
    if rx.rows.is_empty() {
        return Err(RxPdfError::NoRows);
    }
    for (i, row) in rx.rows.iter().enumerate() {
        if row.cells.len() != rx.columns.len() {
            return Err(RxPdfError::CellCountMismatch {
                row: i + 1,
                eye: row.eye.clone(),
                found: row.cells.len(),
                expected: rx.columns.len(),
            });
        }
    }
    Ok(())
}

/// Table font sizes, tried largest first until the columns fit side by side.
const TABLE_SIZES: [f32; 4] = [10.0, 9.0, 8.0, 7.0];
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
const FOOTER_SIZE: f32 = 8.0;
/// The footer may take at most this much of the page, so the prescription itself keeps room.
const FOOTER_MAX_HEIGHT: f32 = 160.0;
fn layout(rx: &RxPdf) -> Result<Content, RxPdfError> {
    let mut page = Page::new();
    let full = (MARGIN, CONTENT_WIDTH);

    // The footer is anchored to the bottom of the page, so it is placed first and the body
    // may only use what lies above it.
    if let Some(footer) = rx.footer.as_deref().filter(|f| !f.trim().is_empty()) {
        let lines = wrap(Font::Regular, FOOTER_SIZE, &encode(footer), CONTENT_WIDTH);
        let height = lines.len() as f32 * FOOTER_SIZE * LEADING;
        if height > FOOTER_MAX_HEIGHT {
            return Err(RxPdfError::DoesNotFit {
                section: "the footer",
            });
        }
        let mut top = MARGIN + height;
        page.line((MARGIN, top + 6.0), (PAGE_WIDTH - MARGIN, top + 6.0));
        for line in &lines {
            page.show(
                Font::Regular,
                FOOTER_SIZE,
                MARGIN,
                top - FOOTER_SIZE * BASELINE,
                line,
            );
            top -= FOOTER_SIZE * LEADING;
        }
        page.floor = MARGIN + height + 18.0;
    }

    page.practice_header(
        &rx.practice_name,
        &rx.practice_address,
        rx.practice_phone.as_deref(),
    )?;

    page.paragraph(Font::Bold, 15.0, full, rx.kind.title(), "the title")?;
    page.gap(6.0);
    let patient = "the patient's name and date of birth";
    page.labelled(11.0, full, "Patient:", &rx.patient_name, patient)?;
    page.labelled(11.0, full, "Date of birth:", &rx.patient_dob, patient)?;
    page.gap(12.0);

    table(&mut page, rx)?;

    let notes: Vec<&String> = rx.notes.iter().filter(|n| !n.trim().is_empty()).collect();
    if !notes.is_empty() {
        page.gap(14.0);
        page.paragraph(Font::Bold, 11.0, full, "Notes", "the notes")?;
        page.gap(2.0);
        // Each note hangs from a bullet so that a wrapped note reads as one item.
        let indent = 12.0;
        for note in notes {
            let top = page.y;
            page.paragraph(
                Font::Regular,
                10.0,
                (MARGIN + indent, CONTENT_WIDTH - indent),
                note,
                "the notes",
            )?;
            page.show(Font::Regular, 10.0, MARGIN, top - 10.0 * BASELINE, &[0x95]);
        }
    }

    // The prescriber on the left and the dates on the right, side by side, each column
    // wrapping on its own; the section ends under the longer of the two.
    page.gap(18.0);
    let section = "the prescriber and dates";
    let column = (CONTENT_WIDTH - 18.0) / 2.0;
    let left = (MARGIN, column);
    let right = (PAGE_WIDTH - MARGIN - column, column);
    let top = page.y;
    page.labelled(10.0, left, "Prescriber:", &rx.prescriber_name, section)?;
    page.labelled(10.0, left, "License:", &rx.prescriber_license, section)?;
    page.labelled(10.0, left, "NPI:", &rx.prescriber_npi, section)?;
    let left_bottom = page.y;
    page.y = top;
    page.labelled(10.0, right, "Issued:", &rx.issued_on, section)?;
    page.labelled(10.0, right, "Expires:", &rx.expires_on, section)?;
    page.labelled(10.0, right, "Rx ID:", &rx.rx_id, section)?;
    page.y = page.y.min(left_bottom);

    Ok(page.content)
}

/// Draws the table: a shaded header row, one row per eye, and a thin grid.
fn table(page: &mut Page, rx: &RxPdf) -> Result<(), RxPdfError> {
    let section = "the table";
    let mut rows: Vec<Vec<Vec<u8>>> = Vec::with_capacity(rx.rows.len() + 1);
    rows.push(
        std::iter::once("Eye")
            .chain(rx.columns.iter().map(String::as_str))
            .map(encode)
            .collect(),
    );
    for row in &rx.rows {
        rows.push(
            std::iter::once(row.eye.as_str())
                .chain(row.cells.iter().map(String::as_str))
                .map(encode)
                .collect(),
        );
    }
    let (size, widths) = column_widths(&rows);
    let lefts: Vec<f32> = widths
        .iter()
        .scan(MARGIN, |x, w| {
            let left = *x;
            *x += w;
            Some(left)
        })
        .collect();

    let table_top = page.y;
    let mut row_bottoms = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        let wrapped: Vec<Vec<Vec<u8>>> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, width))| wrap(cell_font(r, c), size, cell, width - 2.0 * CELL_PAD_X))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * size * LEADING + 2.0 * CELL_PAD_Y;
        let top = page.take(height, section)?;
        if r == 0 {
            page.content
                .set_fill_gray(0.9)
                .rect(MARGIN, top - height, CONTENT_WIDTH, height)
                .fill_nonzero()
                .set_fill_gray(0.0);
        }
        for (c, cell_lines) in wrapped.iter().enumerate() {
            let font = cell_font(r, c);
            for (i, line) in cell_lines.iter().enumerate() {
                let baseline = top - CELL_PAD_Y - i as f32 * size * LEADING - size * BASELINE;
                // The eye reads as a row label, left-aligned; values are centred under
                // their headings so short numbers line up between the two eyes.
                let x = if c == 0 {
                    lefts[c] + CELL_PAD_X
                } else {
                    lefts[c] + (widths[c] - font.width(line, size)) / 2.0
                };
                page.show(font, size, x, baseline, line);
            }
        }
        row_bottoms.push(top - height);
    }

    let right = MARGIN + CONTENT_WIDTH;
    let bottom = page.y;
    page.line((MARGIN, table_top), (right, table_top));
    for y in row_bottoms {
        page.line((MARGIN, y), (right, y));
    }
    for x in lefts.iter().copied().chain(std::iter::once(right)) {
        page.line((x, table_top), (x, bottom));
    }
    Ok(())
}

/// Headings and the eye column are bold; values are regular.
fn cell_font(row: usize, column: usize) -> Font {
    if row == 0 || column == 0 {
        Font::Bold
    } else {
        Font::Regular
    }
}

/// Picks the table's font size and column widths, which always add up to the full width.
///
/// The largest size at which every cell fits on one line wins, spare width being shared
/// evenly. When even the smallest size is too wide, narrow columns keep their natural width
/// and the widest ones share what is left equally, their cells wrapping; a table too tall
/// for the page is then reported by the caller.
fn column_widths(rows: &[Vec<Vec<u8>>]) -> (f32, Vec<f32>) {
    let natural = |size: f32| -> Vec<f32> {
        let columns = rows.first().map_or(0, Vec::len);
        (0..columns)
            .map(|c| {
                rows.iter()
                    .enumerate()
                    .filter_map(|(r, row)| row.get(c).map(|cell| cell_font(r, c).width(cell, size)))
                    .fold(0.0, f32::max)
                    + 2.0 * CELL_PAD_X
            })
            .collect()
    };
    let mut size = TABLE_SIZES[0];
    let mut widths = Vec::new();
    for candidate in TABLE_SIZES {
        size = candidate;
        widths = natural(size);
        let total: f32 = widths.iter().sum();
        if total <= CONTENT_WIDTH {
            let extra = (CONTENT_WIDTH - total) / widths.len().max(1) as f32;
            return (size, widths.iter().map(|w| w + extra).collect());
        }
    }
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by(|&a, &b| widths[a].total_cmp(&widths[b]));
    let mut remaining = CONTENT_WIDTH;
    let mut shared = vec![0.0; widths.len()];
    for (k, &c) in order.iter().enumerate() {
        let share = remaining / (widths.len() - k) as f32;
        shared[c] = widths[c].min(share);
        remaining -= shared[c];
    }
    (size, shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths_for(cells: &[&str]) -> (f32, Vec<f32>) {
        let rows = vec![cells.iter().map(|c| encode(c)).collect::<Vec<_>>()];
        column_widths(&rows)
    }

    #[test]
    fn columns_fill_the_width_at_the_largest_size_that_fits() {
        let (size, widths) = widths_for(&["Eye", "Sphere", "Cylinder"]);
        assert_eq!(size, 10.0);
        assert!((widths.iter().sum::<f32>() - CONTENT_WIDTH).abs() < 0.01);
    }

    #[test]
    fn wide_tables_shrink_then_share_the_width() {
        let long = "Acuvue Oasys for Astigmatism with Hydraclear Plus ".repeat(3);
        let (size, widths) = widths_for(&["Eye", &long, "Sphere", &long]);
        assert_eq!(size, TABLE_SIZES[TABLE_SIZES.len() - 1]);
        assert!((widths.iter().sum::<f32>() - CONTENT_WIDTH).abs() < 0.01);
        // The narrow columns keep their natural width; the two long ones share the rest.
        assert!(widths[0] < widths[1]);
        assert!((widths[1] - widths[3]).abs() < 0.01);
    }
}
