//! Running poppler's command-line tools on a PDF, for the document tests.
//!
//! The tests fail rather than skip when poppler-utils is missing: `cargo xtask ci`
//! installs it, so a missing tool is a broken machine, not a reason to pass.

use std::io::ErrorKind;
use std::process::Command;

/// Runs a poppler tool on the PDF written to a temporary file and returns its output.
pub fn poppler(tool: &str, pdf: &[u8], before: &[&str], after: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = match Command::new(tool)
        .args(before)
        .arg(&path)
        .args(after)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`{tool}` is not installed: run `apt-get install -y poppler-utils` \
             (`cargo xtask ci` installs it)"
        ),
        Err(e) => panic!("could not run `{tool}`: {e}"),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "`{tool}` failed: {stderr}");
    // Poppler reports a damaged file on stderr even when it recovers and exits 0.
    assert!(stderr.trim().is_empty(), "`{tool}` complained: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// The PDF's text as `pdftotext` extracts it.
pub fn pdftotext(pdf: &[u8]) -> String {
    poppler("pdftotext", pdf, &["-enc", "UTF-8"], &["-"])
}

/// Asserts the file is one valid Letter page, as poppler sees it.
pub fn assert_one_letter_page(pdf: &[u8]) {
    let info = poppler("pdfinfo", pdf, &[], &[]);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(" 1")),
        "{info}"
    );
    assert!(info.contains("612 x 792 pts (letter)"), "{info}");
}
