//! What the PDF documents share: a Letter page drawn top down in the standard Helvetica
//! fonts, the practice header, and the file's fixed structure.
//!
//! Every document is deterministic: nothing written (no creation date, no random file ID)
//! depends on when or where it was rendered, so the same input always gives the same
//! bytes.

pub(crate) mod text;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use self::text::{Font, encode, wrap};

pub(crate) const PAGE_WIDTH: f32 = 612.0;
pub(crate) const PAGE_HEIGHT: f32 = 792.0;
/// Three quarters of an inch all round, inside every printer's unprintable edge.
pub(crate) const MARGIN: f32 = 54.0;
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Line height as a multiple of the font size.
pub(crate) const LEADING: f32 = 1.2;
/// From the top of a line to its baseline, as a multiple of the font size: Helvetica's
/// ascender (0.718) plus half of the room the leading leaves beyond ascender and descender
/// ((1.2 - 0.925) / 2), so the text sits centred in its line.
pub(crate) const BASELINE: f32 = 0.856;
const RULE_WIDTH: f32 = 0.5;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// The resource name of a document's one image, if it has one.
pub(crate) const IMAGE: Name<'static> = Name(b"Im1");

/// Text that ran past the bottom of the page; `section` says where the room ran out. Each
/// document turns this into its own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow {
    pub(crate) section: &'static str,
}

/// The page being drawn, top down, with what space is left above `floor`.
pub(crate) struct Page {
    pub(crate) content: Content,
    pub(crate) y: f32,
    pub(crate) floor: f32,
}

impl Page {
    /// An empty page whose drawing starts at the top margin.
    pub(crate) fn new() -> Self {
        let mut content = Content::new();
        content.set_line_width(RULE_WIDTH);
        Page {
            content,
            y: PAGE_HEIGHT - MARGIN,
            floor: MARGIN,
        }
    }

    /// Takes `height` points below the current position, or reports that `section` does not
    /// fit: a document with a line cut off the bottom must never be printed.
    pub(crate) fn take(&mut self, height: f32, section: &'static str) -> Result<f32, Overflow> {
        if self.y - height < self.floor {
            return Err(Overflow { section });
        }
        let top = self.y;
        self.y -= height;
        Ok(top)
    }

    pub(crate) fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    pub(crate) fn show(&mut self, font: Font, size: f32, x: f32, baseline: f32, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        let name = match font {
            Font::Regular => REGULAR,
            Font::Bold => BOLD,
        };
        self.content
            .begin_text()
            .set_font(name, size)
            .next_line(x, baseline)
            .show(Str(text))
            .end_text();
    }

    pub(crate) fn line(&mut self, from: (f32, f32), to: (f32, f32)) {
        self.content
            .move_to(from.0, from.1)
            .line_to(to.0, to.1)
            .stroke();
    }

    /// Draws a rule across the full width at the current position.
    pub(crate) fn rule(&mut self, section: &'static str) -> Result<(), Overflow> {
        let y = self.take(0.0, section)?;
        self.line((MARGIN, y), (PAGE_WIDTH - MARGIN, y));
        Ok(())
    }

    /// Writes `text` wrapped to `width`, one line under the other.
    pub(crate) fn paragraph(
        &mut self,
        font: Font,
        size: f32,
        (x, width): (f32, f32),
        text: &str,
        section: &'static str,
    ) -> Result<(), Overflow> {
        for line in wrap(font, size, &encode(text), width) {
            let top = self.take(size * LEADING, section)?;
            self.show(font, size, x, top - size * BASELINE, &line);
        }
        Ok(())
    }

    /// Writes a bold label and its value, the value wrapping under itself rather than under
    /// the label so that the label stays easy to scan.
    pub(crate) fn labelled(
        &mut self,
        size: f32,
        (x, width): (f32, f32),
        label: &str,
        value: &str,
        section: &'static str,
    ) -> Result<(), Overflow> {
        let label = encode(label);
        let indent = Font::Bold.width(&label, size) + Font::Regular.width(b" ", size);
        let lines = wrap(Font::Regular, size, &encode(value), width - indent);
        for (i, line) in lines.iter().enumerate() {
            let top = self.take(size * LEADING, section)?;
            let baseline = top - size * BASELINE;
            if i == 0 {
                self.show(Font::Bold, size, x, baseline, &label);
            }
            self.show(Font::Regular, size, x + indent, baseline, line);
        }
        Ok(())
    }

    /// The practice's name, address and phone across the top, ruled off from the rest.
    pub(crate) fn practice_header(
        &mut self,
        name: &str,
        address: &[String],
        phone: Option<&str>,
    ) -> Result<(), Overflow> {
        let full = (MARGIN, CONTENT_WIDTH);
        let section = "the practice header";
        self.paragraph(Font::Bold, 16.0, full, name, section)?;
        self.gap(2.0);
        for line in address.iter().filter(|l| !l.trim().is_empty()) {
            self.paragraph(Font::Regular, 10.0, full, line, section)?;
        }
        if let Some(phone) = phone.filter(|p| !p.trim().is_empty()) {
            self.labelled(10.0, full, "Phone:", phone, section)?;
        }
        self.gap(8.0);
        self.rule(section)?;
        self.gap(14.0);
        Ok(())
    }
}

/// A JPEG placed on the page as it is: PDF readers decode JPEG data themselves
/// (DCTDecode), so the photo is neither decoded nor recompressed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Jpeg<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// One colour component (greyscale) rather than three (RGB).
    pub(crate) gray: bool,
}

/// Wraps the pages' drawings, and the JPEG the first page shows as `IMAGE` if any, into a
/// PDF file.
pub(crate) fn assemble(title: &str, pages: Vec<Content>, image: Option<Jpeg<'_>>) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let image_id = Ref::new(6);
    // Each page takes two objects after the fixed ones: the page and its content stream.
    let mut next = Ref::new(7);
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (next.bump(), next.bump())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id)
        .kids(page_refs.iter().map(|(page, _)| *page))
        .count(i32::try_from(page_refs.len()).unwrap_or(i32::MAX));
    for (i, ((page_id, content_id), content)) in page_refs.iter().zip(pages).enumerate() {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(pages_id);
        page.contents(*content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(REGULAR, regular_id)
            .pair(BOLD, bold_id);
        if i == 0 && image.is_some() {
            resources.x_objects().pair(IMAGE, image_id);
        }
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &content.finish());
    }
    // Standard fonts need no embedded file; WinAnsiEncoding makes the bytes `encode`
    // produces mean the Windows-1252 characters they stand for, accents included.
    for (id, base) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    if let Some(jpeg) = image {
        let mut xobject = pdf.image_xobject(image_id, jpeg.data);
        xobject.filter(Filter::DctDecode);
        // Photos are far below i32::MAX pixels a side; saturating keeps this infallible.
        xobject.width(i32::try_from(jpeg.width).unwrap_or(i32::MAX));
        xobject.height(i32::try_from(jpeg.height).unwrap_or(i32::MAX));
        if jpeg.gray {
            xobject.color_space().device_gray();
        } else {
            xobject.color_space().device_rgb();
        }
        xobject.bits_per_component(8);
        xobject.finish();
    }
    // The title names the document kind only: viewers show it in tab titles and file
    // lists, where the patient's name has no business appearing. No dates are written,
    // so rendering twice gives the same bytes.
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("Kerato"));
    pdf.finish()
}
