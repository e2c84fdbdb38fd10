//! The PHI guard: finds patient information that clinic staff paste into a
//! support ticket by mistake, so the vendor site can warn before sending and
//! redact before storing. The vendor must never hold PHI, and a redaction
//! that happens on the way in is the last line of that promise.
//!
//! Four kinds are recognised, each by a hand-written scanner (no regular
//! expressions, so the same rules port line by line to the browser script
//! `crates/kerato-site/assets/phi-guard.js`):
//!
//! | Kind | Found when |
//! |---|---|
//! | [`PhiKind::Ssn`] | `123-45-6789` or `123 45 6789` anywhere; nine bare digits after a cue (SSN, social security, soc sec, SS#) |
//! | [`PhiKind::Mrn`] | 5 to 15 letters and digits, at least 4 of them digits, after a cue (MRN, medical record number, chart #, patient ID, acct, account) |
//! | [`PhiKind::DateOfBirth`] | a date after a cue (DOB, date of birth, born, birthdate, b.) or within 40 characters of a name-like pair ("Jane Doe", "Doe, Jane") in the same sentence |
//! | [`PhiKind::Diagnosis`] | an ICD-10-CM code after a cue (dx, diagnosis, ICD, code), or any dotted code written with a capital such as `C43.9` (but not `V10.2`, which reads as a version) |
//!
//! Social Security numbers are checked against the SSA's rules (area not
//! 000, 666 or 900-999, group not 00, serial not 0000), because a number
//! that can never be issued is more likely an order or ticket number.
//!
//! A value is never taken from the middle of a longer run: a candidate must
//! not touch a letter or digit on either side, nor be joined to one by `-`,
//! `/`, `.` or `_` (so `1-123-45-6789`, order `123456789012` and version
//! `C43.9.1` are left alone). Only the value is redacted, never the cue
//! word, so the reader still sees what kind of information was removed.
//!
//! For a date near a name only the date is redacted: a bare name is not PHI
//! without health information next to it, and the date is what turns it into
//! an identifier. Keeping the name also keeps the ticket readable ("Jane Doe
//! cannot log in").
//!
//! Redaction is idempotent: the scanner treats its own markers
//! (`[redacted: ...]`) as opaque, and a cue whose value was already redacted
//! does not reach for the next number along.

use serde::Serialize;

mod patterns;
mod scanner;
#[cfg(test)]
mod tests;

use patterns::MARKER_PREFIX;
use scanner::Scanner;

string_enum!(
    /// The kinds of patient information the guard recognises.
    PhiKind {
        Ssn = "ssn", "Social Security number";
        Mrn = "mrn", "medical record number";
        DateOfBirth = "date_of_birth", "date of birth";
        Diagnosis = "diagnosis", "diagnosis code";
    }
);

impl PhiKind {
    /// The label in the plural, for counts above one in [`summary`].
    pub fn plural_label(self) -> &'static str {
        match self {
            PhiKind::Ssn => "Social Security numbers",
            PhiKind::Mrn => "medical record numbers",
            PhiKind::DateOfBirth => "dates of birth",
            PhiKind::Diagnosis => "diagnosis codes",
        }
    }

    /// The text that replaces a value of this kind, e.g.
    /// `[redacted: Social Security number]`.
    pub fn marker(self) -> String {
        format!("{MARKER_PREFIX}{}]", self.label())
    }
}

/// One piece of patient information: its kind and where it is, as byte
/// offsets into the scanned text. Offsets always fall on character
/// boundaries (every value is ASCII), so `&text[f.start..f.end]` is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    pub kind: PhiKind,
    pub start: usize,
    pub end: usize,
}

impl Finding {
    /// The byte range of the value in the scanned text.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// A text with every finding replaced by its marker. The findings keep the
/// offsets of the original text, so a caller can still say where they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    pub text: String,
    pub findings: Vec<Finding>,
}

/// Every piece of patient information in `text`, sorted by position and
/// never overlapping. When two readings overlap the earlier (then the
/// longer) one wins.
pub fn scan(text: &str) -> Vec<Finding> {
    Scanner::new(text).scan()
}

/// True when [`scan`] finds anything.
pub fn contains_phi(text: &str) -> bool {
    !scan(text).is_empty()
}

/// `text` with each finding replaced by `[redacted: <label>]`.
pub fn redact(text: &str) -> Redacted {
    let findings = scan(text);
    let mut out = String::with_capacity(text.len() + findings.len() * 24);
    let mut last = 0;
    for f in &findings {
        out.push_str(&text[last..f.start]);
        out.push_str(&f.kind.marker());
        last = f.end;
    }
    out.push_str(&text[last..]);
    Redacted {
        text: out,
        findings,
    }
}

/// A count per kind for warnings and the audit note, e.g.
/// "1 Social Security number, 2 dates of birth". It never quotes the
/// matched text, so it is safe to store and show. With no findings it says
/// "no patient information".
pub fn summary(findings: &[Finding]) -> String {
    let parts: Vec<String> = PhiKind::ALL
        .iter()
        .filter_map(|&kind| {
            let n = findings.iter().filter(|f| f.kind == kind).count();
            match n {
                0 => None,
                1 => Some(format!("1 {}", kind.label())),
                _ => Some(format!("{n} {}", kind.plural_label())),
            }
        })
        .collect();
    if parts.is_empty() {
        "no patient information".to_owned()
    } else {
        parts.join(", ")
    }
}
