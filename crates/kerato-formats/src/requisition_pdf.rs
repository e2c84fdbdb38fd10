//! The biopsy requisition that travels with a specimen to the dermatopathology lab, as a
//! one-page PDF.
//!
//! The lab matches the paper to the jar by the specimen ID, so it is printed large near
//! the top and again as a plain "Specimen ID: ..." line that text extraction finds. A
//! clinical photo of the lesion may go with it: the JPEG is placed in the PDF as it is,
//! so it should be a `photo::thumbnail`, which is small, upright and free of metadata.
//! Like the prescription, the same input always gives the same bytes (see `crate::pdf`).

use pdf_writer::Content;

use crate::pdf::text::Font;
use crate::pdf::{CONTENT_WIDTH, IMAGE, Jpeg, MARGIN, Overflow, PAGE_WIDTH, Page, assemble};
use crate::photo::{PhotoError, jpeg_frame};

/// A requisition ready to print: every value is already formatted for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requisition {
    pub practice_name: String,
    pub practice_address: Vec<String>,
    pub practice_phone: Option<String>,
    pub clinician_name: String,
    pub clinician_npi: String,
    pub patient_name: String,
    pub patient_dob: String,
    pub patient_sex: Option<String>,
    pub specimen_id: String,
    pub collected_on: String,
    /// Where on the body, e.g. "Left cheek".
    pub lesion_site: String,
    /// How the specimen was taken, e.g. "Punch biopsy 4 mm".
    pub method: String,
    pub clinical_description: String,
    /// The clinical impression or differential diagnosis the pathologist is asked about.
    pub clinical_impression: String,
    pub history: Option<String>,
    pub photo: Option<RequisitionPhoto>,
}

/// A photo of the lesion: an upright JPEG (a [`crate::photo::thumbnail`] is one) and a
/// caption printed under it. Its size in pixels is read from the JPEG itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequisitionPhoto {
    pub jpeg: Vec<u8>,
    pub caption: String,
}

/// Why a requisition could not be rendered; each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequisitionError {
    #[error("{field} is empty; a requisition must show it")]
    MissingField { field: &'static str },
    #[error(
        "{field} is {found} characters long; at most {max} fit on the requisition, \
         so shorten it"
    )]
    TooLong {
        field: &'static str,
        found: usize,
        max: usize,
    },
    #[error("the photo cannot be used: {0}")]
    Photo(#[source] PhotoError),
    #[error(
        "the photo is stored on its side and turned by EXIF, which PDF readers ignore; \
         make it with photo::thumbnail, which turns it upright"
    )]
    PhotoNotUpright,
    #[error(
        "the photo has {components} colour components; only greyscale and RGB JPEGs \
         can be placed, so make it with photo::thumbnail"
    )]
    PhotoColour { components: u8 },
    /// Text runs past the bottom of the page; `section` is where the room ran out, which
    /// may be because of something long above it.
    #[error(
        "the requisition does not fit on one page: it runs out of room at {section}; \
         shorten the longest text there or above it"
    )]
    DoesNotFit { section: &'static str },
}

impl From<Overflow> for RequisitionError {
    fn from(Overflow { section }: Overflow) -> Self {
        RequisitionError::DoesNotFit { section }
    }
}

/// The most characters in a one-line field: names, dates, IDs, the site and the method.
pub const MAX_FIELD_CHARS: usize = 200;
/// The most characters in a free-text field: the description, impression and history.
/// Longer text is almost certainly a paste of the whole note, which belongs in the chart,
/// not on the lab's form; text within the limits that still overfills the page is
/// reported as not fitting.
pub const MAX_TEXT_CHARS: usize = 1500;

/// The largest box the photo is scaled to fit, in points: four inches by three.
const PHOTO_BOX: (f32, f32) = (288.0, 216.0);

/// Renders the requisition as a one-page PDF.
pub fn render(req: &Requisition) -> Result<Vec<u8>, RequisitionError> {
    validate(req)?;
    let photo = req.photo.as_ref().map(check_photo).transpose()?;
    let content = layout(req, photo.as_ref())?;
    let image = photo.as_ref().map(|p| Jpeg {
        data: &p.clean,
        width: p.width,
        height: p.height,
        gray: p.gray,
    });
    Ok(assemble("Biopsy requisition", vec![content], image))
}

fn validate(req: &Requisition) -> Result<(), RequisitionError> {
    let lines = [
        ("the practice name", &req.practice_name),
        ("the clinician's name", &req.clinician_name),
        ("the clinician's NPI", &req.clinician_npi),
        ("the patient's name", &req.patient_name),
        ("the patient's date of birth", &req.patient_dob),
        ("the specimen ID", &req.specimen_id),
        ("the collection date", &req.collected_on),
        ("the lesion site", &req.lesion_site),
        ("the biopsy method", &req.method),
    ];
    let texts = [
        ("the clinical description", &req.clinical_description),
        ("the clinical impression", &req.clinical_impression),
    ];
    if let Some((field, _)) = lines
        .iter()
        .chain(&texts)
        .find(|(_, v)| v.trim().is_empty())
    {
        return Err(RequisitionError::MissingField { field });
    }
    let optional_lines = req
        .practice_address
        .iter()
        .map(|line| ("a line of the practice address", line))
        .chain(
            req.practice_phone
                .as_ref()
                .map(|p| ("the practice phone", p)),
        )
        .chain(req.patient_sex.as_ref().map(|s| ("the patient's sex", s)))
        .chain(
            req.photo
                .as_ref()
                .map(|p| ("the photo caption", &p.caption)),
        );
    let optional_texts = req.history.as_ref().map(|h| ("the history", h));
    let limited = lines
        .into_iter()
        .chain(optional_lines)
        .map(|(field, value)| (field, value, MAX_FIELD_CHARS))
        .chain(
            texts
                .into_iter()
                .chain(optional_texts)
                .map(|(field, value)| (field, value, MAX_TEXT_CHARS)),
        );
    for (field, value, max) in limited {
        let found = value.chars().count();
        if found > max {
            return Err(RequisitionError::TooLong { field, found, max });
        }
    }
    Ok(())
}

/// A photo checked for placing: its JPEG without metadata, and its frame.
struct CheckedPhoto {
    clean: Vec<u8>,
    width: u32,
    height: u32,
    gray: bool,
    caption: String,
}

/// Reads the JPEG's size and colour and strips any metadata left in it: the
/// requisition leaves the practice, and a photo's GPS position must not go with it.
fn check_photo(photo: &RequisitionPhoto) -> Result<CheckedPhoto, RequisitionError> {
    let (clean, frame) = jpeg_frame(&photo.jpeg).map_err(RequisitionError::Photo)?;
    if frame.turned {
        return Err(RequisitionError::PhotoNotUpright);
    }
    let gray = match frame.components {
        1 => true,
        3 => false,
        components => return Err(RequisitionError::PhotoColour { components }),
    };
    Ok(CheckedPhoto {
        clean,
        width: frame.width,
        height: frame.height,
        gray,
        caption: photo.caption.clone(),
    })
}

fn layout(req: &Requisition, photo: Option<&CheckedPhoto>) -> Result<Content, RequisitionError> {
    let mut page = Page::new();
    let full = (MARGIN, CONTENT_WIDTH);
    page.practice_header(
        &req.practice_name,
        &req.practice_address,
        req.practice_phone.as_deref(),
    )?;

    page.paragraph(Font::Bold, 15.0, full, "Biopsy requisition", "the title")?;
    page.gap(6.0);
    // Large enough to read across the bench, in the same words as the line a text search
    // or the lab's OCR looks for.
    page.labelled(
        20.0,
        full,
        "Specimen ID:",
        &req.specimen_id,
        "the specimen ID",
    )?;
    page.gap(12.0);

    // The patient on the left and the collection on the right, each column wrapping on
    // its own; the section ends under the longer of the two.
    let section = "the patient and collection";
    let column = (CONTENT_WIDTH - 18.0) / 2.0;
    let left = (MARGIN, column);
    let right = (PAGE_WIDTH - MARGIN - column, column);
    let top = page.y;
    page.labelled(11.0, left, "Patient:", &req.patient_name, section)?;
    page.labelled(11.0, left, "Date of birth:", &req.patient_dob, section)?;
    if let Some(sex) = req.patient_sex.as_deref().filter(|s| !s.trim().is_empty()) {
        page.labelled(11.0, left, "Sex:", sex, section)?;
    }
    let left_bottom = page.y;
    page.y = top;
    page.labelled(11.0, right, "Collected:", &req.collected_on, section)?;
    page.labelled(11.0, right, "Clinician:", &req.clinician_name, section)?;
    page.labelled(11.0, right, "NPI:", &req.clinician_npi, section)?;
    page.y = page.y.min(left_bottom);
    page.gap(10.0);
    page.rule(section)?;
    page.gap(12.0);

    let section = "the specimen";
    page.labelled(11.0, full, "Site:", &req.lesion_site, section)?;
    page.labelled(11.0, full, "Method:", &req.method, section)?;

    let history = req.history.as_deref().filter(|h| !h.trim().is_empty());
    for (heading, text, section) in [
        (
            "Clinical description",
            Some(req.clinical_description.as_str()),
            "the clinical description",
        ),
        (
            "Clinical impression / differential",
            Some(req.clinical_impression.as_str()),
            "the clinical impression",
        ),
        ("History", history, "the history"),
    ] {
        if let Some(text) = text {
            page.gap(10.0);
            page.paragraph(Font::Bold, 11.0, full, heading, section)?;
            page.gap(2.0);
            page.paragraph(Font::Regular, 10.0, full, text, section)?;
        }
    }

    if let Some(photo) = photo {
        place_photo(&mut page, photo)?;
    }
    Ok(page.content)
}

/// Draws the photo scaled to fit `PHOTO_BOX`, keeping its aspect ratio, with its caption
/// underneath.
fn place_photo(page: &mut Page, photo: &CheckedPhoto) -> Result<(), Overflow> {
    let section = "the photo";
    page.gap(12.0);
    page.paragraph(
        Font::Bold,
        11.0,
        (MARGIN, CONTENT_WIDTH),
        "Clinical photo",
        section,
    )?;
    page.gap(4.0);
    let (width, height) = fit(photo.width, photo.height, PHOTO_BOX);
    let top = page.take(height, section)?;
    page.content
        .save_state()
        .transform([width, 0.0, 0.0, height, MARGIN, top - height])
        .x_object(IMAGE)
        .restore_state();
    if !photo.caption.trim().is_empty() {
        page.gap(4.0);
        page.paragraph(
            Font::Regular,
            9.0,
            (MARGIN, PHOTO_BOX.0),
            &photo.caption,
            section,
        )?;
    }
    Ok(())
}

/// The size in points of a `width` × `height` pixel image scaled to fill `bounds`, keeping
/// its aspect ratio. A small photo is enlarged to fill the box: on paper a thumbnail at one
/// point per pixel would be too small to see.
fn fit(width: u32, height: u32, (max_width, max_height): (f32, f32)) -> (f32, f32) {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let scale = (max_width / w).min(max_height / h);
    (w * scale, h * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_size(actual: (f32, f32), expected: (f32, f32)) {
        assert!(
            (actual.0 - expected.0).abs() < 1e-3 && (actual.1 - expected.1).abs() < 1e-3,
            "{actual:?} is not {expected:?}"
        );
    }

    #[test]
    fn photos_fill_the_box_on_their_limiting_side() {
        assert_size(fit(400, 300, (288.0, 216.0)), (288.0, 216.0));
        assert_size(fit(300, 400, (288.0, 216.0)), (162.0, 216.0));
        assert_size(fit(1000, 100, (288.0, 216.0)), (288.0, 28.8));
        let (w, h) = fit(0, 0, (288.0, 216.0));
        assert!(w > 0.0 && h > 0.0 && w <= 288.0 && h <= 216.0);
    }
}
