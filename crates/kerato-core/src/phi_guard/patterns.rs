//! The byte-level readers of each kind of value: numbers, dates, codes
//! and names, and the cue phrases that announce them.

use super::PhiKind;

pub(super) const MARKER_PREFIX: &str = "[redacted: ";

/// How far after a cue its value may start: a few words ("SSN of the
/// patient is ...") within a short distance, so a cue in one sentence does
/// not reach a number two sentences later.
pub(super) const CUE_MAX_WORDS: usize = 4;
pub(super) const CUE_MAX_BYTES: usize = 40;

/// How close a name-like pair must be to a date for the date to count as a
/// date of birth.
pub(super) const NAME_MAX_BYTES: usize = 40;

/// Cue phrases, lower case. A space matches any run (even empty) of
/// spaces, dots, hyphens and underscores, so "d o b" also matches "DOB",
/// "D.O.B." and "d-o-b"; every other character matches itself, ignoring
/// case.
pub(super) const CUES: &[(&str, PhiKind)] = &[
    ("ssn", PhiKind::Ssn),
    ("ss #", PhiKind::Ssn),
    ("ss no", PhiKind::Ssn),
    ("social security", PhiKind::Ssn),
    ("soc sec", PhiKind::Ssn),
    ("mrn", PhiKind::Mrn),
    ("medical record number", PhiKind::Mrn),
    ("medical record no", PhiKind::Mrn),
    ("medical record #", PhiKind::Mrn),
    ("chart number", PhiKind::Mrn),
    ("chart no", PhiKind::Mrn),
    ("chart #", PhiKind::Mrn),
    ("patient id", PhiKind::Mrn),
    ("patient number", PhiKind::Mrn),
    ("patient no", PhiKind::Mrn),
    ("patient #", PhiKind::Mrn),
    ("acct", PhiKind::Mrn),
    ("account", PhiKind::Mrn),
    ("d o b", PhiKind::DateOfBirth),
    ("date of birth", PhiKind::DateOfBirth),
    ("birth date", PhiKind::DateOfBirth),
    ("born", PhiKind::DateOfBirth),
    ("b.", PhiKind::DateOfBirth),
    ("dx", PhiKind::Diagnosis),
    ("diagnosis", PhiKind::Diagnosis),
    ("diagnoses", PhiKind::Diagnosis),
    ("diag", PhiKind::Diagnosis),
    ("icd", PhiKind::Diagnosis),
    ("icd 10", PhiKind::Diagnosis),
    ("code", PhiKind::Diagnosis),
    ("codes", PhiKind::Diagnosis),
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Capitalised words that start sentences, greet, sign off or name things
/// in support tickets: a pair of them ("On Monday", "Windows Server") is not
/// a person's name. Compared in lower case.
const NOT_NAMES: &[&str] = &[
    "a",
    "about",
    "after",
    "also",
    "an",
    "and",
    "any",
    "april",
    "as",
    "at",
    "august",
    "before",
    "best",
    "but",
    "by",
    "can",
    "chrome",
    "clinic",
    "could",
    "dear",
    "december",
    "did",
    "do",
    "does",
    "dr",
    "due",
    "edge",
    "error",
    "february",
    "firefox",
    "for",
    "friday",
    "from",
    "good",
    "he",
    "hello",
    "hi",
    "how",
    "i",
    "if",
    "in",
    "invoice",
    "is",
    "issue",
    "it",
    "january",
    "july",
    "june",
    "kerato",
    "kind",
    "last",
    "mac",
    "march",
    "may",
    "monday",
    "mr",
    "mrs",
    "ms",
    "my",
    "new",
    "next",
    "no",
    "note",
    "november",
    "october",
    "ok",
    "on",
    "or",
    "order",
    "our",
    "patient",
    "please",
    "regards",
    "release",
    "report",
    "safari",
    "saturday",
    "september",
    "server",
    "she",
    "since",
    "so",
    "sunday",
    "support",
    "team",
    "thanks",
    "thank",
    "that",
    "the",
    "then",
    "there",
    "these",
    "they",
    "this",
    "thursday",
    "ticket",
    "to",
    "today",
    "tomorrow",
    "tuesday",
    "update",
    "version",
    "we",
    "wednesday",
    "what",
    "when",
    "where",
    "windows",
    "with",
    "yes",
    "yesterday",
    "you",
    "your",
];

pub(super) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Characters that glue two runs into one token (`1-800`, `v2.1`, `a/b`).
pub(super) fn is_joiner(b: u8) -> bool {
    matches!(b, b'-' | b'/' | b'.' | b'_')
}

/// A digit, or a marker's bracket, which stands where a value was and so
/// must keep blocking a neighbour the value blocked before redaction.
fn is_numberish(b: u8) -> bool {
    b.is_ascii_digit() || b == b'[' || b == b']'
}

pub(super) fn is_cue_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'.' | b'-' | b'_')
}

/// Number of ASCII digits from `p` on.
fn digit_run(b: &[u8], p: usize) -> usize {
    b[p.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

fn number(b: &[u8], p: usize, len: usize) -> u32 {
    b[p..p + len]
        .iter()
        .fold(0, |n, c| n * 10 + u32::from(c - b'0'))
}

/// A value may end at `e` when it is not glued to a following token.
fn ends_clean(b: &[u8], e: usize) -> bool {
    match b.get(e) {
        None => true,
        Some(&c) if is_alnum(c) => false,
        Some(&c) => !(is_joiner(c) && b.get(e + 1).is_some_and(|&n| is_alnum(n))),
    }
}

/// A value may start at `s` when it is not glued to a preceding token.
pub(super) fn starts_clean(b: &[u8], s: usize) -> bool {
    if s == 0 {
        return true;
    }
    let c = b[s - 1];
    let glued = is_joiner(c) && s >= 2 && is_alnum(b[s - 2]);
    !is_alnum(c) && !glued
}

pub(super) fn is_word_start(b: &[u8], p: usize) -> bool {
    is_alnum(b[p]) && (p == 0 || !is_alnum(b[p - 1]))
}

/// The SSA's rules for a number that can be issued.
fn ssn_valid(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// `123-45-6789` or `123 45 6789` at `p`; returns the end.
pub(super) fn formatted_ssn(b: &[u8], p: usize) -> Option<usize> {
    if digit_run(b, p) != 3 {
        return None;
    }
    let sep = *b.get(p + 3)?;
    if sep != b'-' && sep != b' ' {
        return None;
    }
    if digit_run(b, p + 4) != 2 || b.get(p + 6) != Some(&sep) || digit_run(b, p + 7) != 4 {
        return None;
    }
    let e = p + 11;
    if !ends_clean(b, e) || (p >= 1 && b[p - 1] == b'$') {
        return None;
    }
    // Spaced groups are also how long numbers are written ("1 123 45 6789
    // 0"), so a digit on either side across a space disqualifies them.
    if sep == b' '
        && ((p >= 2 && b[p - 1] == b' ' && is_numberish(b[p - 2]))
            || (b.get(e) == Some(&b' ') && b.get(e + 1).is_some_and(|&n| is_numberish(n))))
    {
        return None;
    }
    ssn_valid(number(b, p, 3), number(b, p + 4, 2), number(b, p + 7, 4)).then_some(e)
}

/// A formatted number, or nine bare digits (only ever tried after a cue).
pub(super) fn cued_ssn(b: &[u8], p: usize) -> Option<usize> {
    if let Some(e) = formatted_ssn(b, p) {
        return Some(e);
    }
    let e = p + 9;
    (digit_run(b, p) == 9
        && ends_clean(b, e)
        && ssn_valid(number(b, p, 3), number(b, p + 3, 2), number(b, p + 5, 4)))
    .then_some(e)
}

/// 5 to 15 letters and digits, at least 4 of them digits.
pub(super) fn mrn(b: &[u8], p: usize) -> Option<usize> {
    let len = b[p..].iter().take_while(|&&c| is_alnum(c)).count();
    let digits = b[p..p + len].iter().filter(|c| c.is_ascii_digit()).count();
    ((5..=15).contains(&len) && digits >= 4 && ends_clean(b, p + len)).then_some(p + len)
}

/// An ICD-10-CM code: a letter A-T or V-Z, two digits, then optionally a
/// dot and 1-4 letters or digits. Outside a cue only the dotted form
/// written with a capital counts, because "L57" alone is as likely a part
/// number as a diagnosis.
pub(super) fn icd10(b: &[u8], p: usize, cued: bool) -> Option<usize> {
    let letter = b[p];
    let letter_ok = if cued {
        letter.is_ascii_alphabetic()
    } else {
        letter.is_ascii_uppercase()
    };
    let upper = letter.to_ascii_uppercase();
    // U is reserved for emergency use and not taken; an uncued V is far
    // more often a version ("V10.2") than an external-cause code.
    if !letter_ok || upper == b'U' || (!cued && upper == b'V') || digit_run(b, p + 1) != 2 {
        return None;
    }
    let mut e = p + 3;
    if b.get(e) == Some(&b'.') {
        let ext = b[e + 1..].iter().take_while(|&&c| is_alnum(c)).count();
        if (1..=4).contains(&ext) {
            e += 1 + ext;
        }
    }
    if !cued && e == p + 3 {
        return None;
    }
    ends_clean(b, e).then_some(e)
}

/// The month named by a word of at least three letters ("Mar", "March",
/// "Sept"), 1-based.
fn month_word(word: &[u8]) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| {
        let m = m.as_bytes();
        lower == m
            || (lower.len() == 3 && m.starts_with(&lower))
            || (lower == b"sept" && m == b"september")
    })?;
    u32::try_from(i + 1).ok()
}

fn skip_spaces(b: &[u8], mut p: usize) -> usize {
    while b.get(p) == Some(&b' ') {
        p += 1;
    }
    p
}

/// A day of the month (1-31) with an optional "st", "nd", "rd" or "th";
/// returns the end.
fn day(b: &[u8], p: usize) -> Option<usize> {
    let n = digit_run(b, p);
    if !(1..=2).contains(&n) || !(1..=31).contains(&number(b, p, n)) {
        return None;
    }
    let e = p + n;
    let suffix = b.get(e..e + 2).map(<[u8]>::to_ascii_lowercase);
    match suffix.as_deref() {
        Some(b"st" | b"nd" | b"rd" | b"th") => Some(e + 2),
        _ => Some(e),
    }
}

/// A four-digit year a living patient could be born in; returns the end.
fn year4(b: &[u8], p: usize) -> Option<usize> {
    (digit_run(b, p) == 4 && (1880..=2099).contains(&number(b, p, 4))).then_some(p + 4)
}

/// A month word, an optional dot, and at least one space; returns where
/// the next field starts.
fn month_then_space(b: &[u8], p: usize) -> Option<usize> {
    let len = b[p..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    month_word(&b[p..p + len])?;
    let mut e = p + len;
    if b.get(e) == Some(&b'.') {
        e += 1;
    }
    let after = skip_spaces(b, e);
    (after > e).then_some(after)
}

/// A date at `p`: `MM/DD/YYYY`, `M/D/YY` (also with hyphens), `YYYY-MM-DD`,
/// "March 3, 1961" or "3 Mar 1961"; returns the end.
pub(super) fn date(b: &[u8], p: usize) -> Option<usize> {
    let e = if b[p].is_ascii_digit() {
        numeric_date(b, p).or_else(|| day_month_year(b, p))?
    } else {
        month_day_year(b, p)?
    };
    ends_clean(b, e).then_some(e)
}

fn numeric_date(b: &[u8], p: usize) -> Option<usize> {
    let first = digit_run(b, p);
    let sep = *b.get(p + first)?;
    if sep != b'/' && sep != b'-' {
        return None;
    }
    let q = p + first + 1;
    let second = digit_run(b, q);
    if b.get(q + second) != Some(&sep) {
        return None;
    }
    let r = q + second + 1;
    let third = digit_run(b, r);
    let (month, dd) = match (first, second, third) {
        (1..=2, 1..=2, 2 | 4) => {
            if third == 4 {
                year4(b, r)?;
            }
            (number(b, p, first), number(b, q, second))
        }
        (4, 1..=2, 1..=2) if sep == b'-' => {
            year4(b, p)?;
            (number(b, q, second), number(b, r, third))
        }
        _ => return None,
    };
    ((1..=12).contains(&month) && (1..=31).contains(&dd)).then_some(r + third)
}

/// "3 Mar 1961", "3rd March, 1961".
fn day_month_year(b: &[u8], p: usize) -> Option<usize> {
    let e = day(b, p)?;
    let m = skip_spaces(b, e);
    if m == e || !b.get(m).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut y = month_then_space(b, m).or_else(|| {
        // "3 March, 1961": the comma sits between the month and the spaces.
        let len = b[m..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        month_word(&b[m..m + len])?;
        (b.get(m + len) == Some(&b',')).then_some(m + len + 1)
    })?;
    y = skip_spaces(b, y);
    year4(b, y)
}

/// "March 3, 1961", "Mar. 3 1961", "Sept 30th, 1961".
fn month_day_year(b: &[u8], p: usize) -> Option<usize> {
    let d = month_then_space(b, p)?;
    let mut e = day(b, d)?;
    let before = e;
    if b.get(e) == Some(&b',') {
        e += 1;
    }
    let y = skip_spaces(b, e);
    if y == before {
        return None;
    }
    year4(b, y)
}

/// Whether the text between a name and a date stays within one sentence,
/// so a signature ("Thanks, Mary Smith. The update on 11/20/2026 ...") does
/// not turn the next sentence's date into a date of birth. Line breaks do
/// not end a sentence: pasted records put the name and date on lines of
/// their own.
pub(super) fn same_sentence(gap: &[u8]) -> bool {
    !gap.windows(2)
        .any(|w| matches!(w[0], b'.' | b'!' | b'?') && w[1].is_ascii_whitespace())
}

/// Whether `word` (ASCII letters, `'` and `-`) looks like a personal name:
/// a capital, then at least one lower-case letter, not a common word.
pub(super) fn name_like(word: &[u8]) -> bool {
    word.len() >= 2
        && word[0].is_ascii_uppercase()
        && word[1..].iter().any(u8::is_ascii_lowercase)
        && word.last().is_some_and(u8::is_ascii_alphabetic)
        && !NOT_NAMES
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(word))
}
