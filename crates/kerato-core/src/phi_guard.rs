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

const MARKER_PREFIX: &str = "[redacted: ";

/// How far after a cue its value may start: a few words ("SSN of the
/// patient is ...") within a short distance, so a cue in one sentence does
/// not reach a number two sentences later.
const CUE_MAX_WORDS: usize = 4;
const CUE_MAX_BYTES: usize = 40;

/// How close a name-like pair must be to a date for the date to count as a
/// date of birth.
const NAME_MAX_BYTES: usize = 40;

/// Cue phrases, lower case. A space matches any run (even empty) of
/// spaces, dots, hyphens and underscores, so "d o b" also matches "DOB",
/// "D.O.B." and "d-o-b"; every other character matches itself, ignoring
/// case.
const CUES: &[(&str, PhiKind)] = &[
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

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Characters that glue two runs into one token (`1-800`, `v2.1`, `a/b`).
fn is_joiner(b: u8) -> bool {
    matches!(b, b'-' | b'/' | b'.' | b'_')
}

/// A digit, or a marker's bracket, which stands where a value was and so
/// must keep blocking a neighbour the value blocked before redaction.
fn is_numberish(b: u8) -> bool {
    b.is_ascii_digit() || b == b'[' || b == b']'
}

fn is_cue_separator(b: u8) -> bool {
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
fn starts_clean(b: &[u8], s: usize) -> bool {
    if s == 0 {
        return true;
    }
    let c = b[s - 1];
    let glued = is_joiner(c) && s >= 2 && is_alnum(b[s - 2]);
    !is_alnum(c) && !glued
}

fn is_word_start(b: &[u8], p: usize) -> bool {
    is_alnum(b[p]) && (p == 0 || !is_alnum(b[p - 1]))
}

/// The SSA's rules for a number that can be issued.
fn ssn_valid(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// `123-45-6789` or `123 45 6789` at `p`; returns the end.
fn formatted_ssn(b: &[u8], p: usize) -> Option<usize> {
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
fn cued_ssn(b: &[u8], p: usize) -> Option<usize> {
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
fn mrn(b: &[u8], p: usize) -> Option<usize> {
    let len = b[p..].iter().take_while(|&&c| is_alnum(c)).count();
    let digits = b[p..p + len].iter().filter(|c| c.is_ascii_digit()).count();
    ((5..=15).contains(&len) && digits >= 4 && ends_clean(b, p + len)).then_some(p + len)
}

/// An ICD-10-CM code: a letter A-T or V-Z, two digits, then optionally a
/// dot and 1-4 letters or digits. Outside a cue only the dotted form
/// written with a capital counts, because "L57" alone is as likely a part
/// number as a diagnosis.
fn icd10(b: &[u8], p: usize, cued: bool) -> Option<usize> {
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
fn date(b: &[u8], p: usize) -> Option<usize> {
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
fn same_sentence(gap: &[u8]) -> bool {
    !gap.windows(2)
        .any(|w| matches!(w[0], b'.' | b'!' | b'?') && w[1].is_ascii_whitespace())
}

/// Whether `word` (ASCII letters, `'` and `-`) looks like a personal name:
/// a capital, then at least one lower-case letter, not a common word.
fn name_like(word: &[u8]) -> bool {
    word.len() >= 2
        && word[0].is_ascii_uppercase()
        && word[1..].iter().any(u8::is_ascii_lowercase)
        && word.last().is_some_and(u8::is_ascii_alphabetic)
        && !NOT_NAMES
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(word))
}

struct Scanner<'a> {
    b: &'a [u8],
    /// Spans of our own `[redacted: ...]` markers, sorted.
    markers: Vec<(usize, usize)>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        let b = text.as_bytes();
        let mut markers = Vec::new();
        let mut from = 0;
        while let Some(i) = text[from..].find(MARKER_PREFIX) {
            let s = from + i;
            let rest = &text[s + MARKER_PREFIX.len()..];
            let end = PhiKind::ALL.iter().find_map(|k| {
                let label = k.label();
                (rest.starts_with(label) && rest[label.len()..].starts_with(']'))
                    .then_some(s + MARKER_PREFIX.len() + label.len() + 1)
            });
            match end {
                Some(e) => {
                    markers.push((s, e));
                    from = e;
                }
                None => from = s + 1,
            }
        }
        Scanner { b, markers }
    }

    fn in_marker(&self, p: usize) -> bool {
        self.markers.iter().any(|&(s, e)| s <= p && p < e)
    }

    fn scan(&self) -> Vec<Finding> {
        let mut found = Vec::new();
        self.cued(&mut found);
        self.uncued(&mut found);
        found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end), f.kind));
        let mut kept: Vec<Finding> = Vec::with_capacity(found.len());
        for f in found {
            if kept.last().is_none_or(|k| f.start >= k.end) {
                kept.push(f);
            }
        }
        kept
    }

    /// Every value that follows one of the [`CUES`].
    fn cued(&self, found: &mut Vec<Finding>) {
        let b = self.b;
        for p in 0..b.len() {
            if !b[p].is_ascii_alphabetic() || !is_word_start(b, p) || self.in_marker(p) {
                continue;
            }
            for &(cue, kind) in CUES {
                if let Some(end) = self.match_cue(p, cue) {
                    self.values_after(end, kind, found);
                }
            }
        }
    }

    /// The end of `cue` if it matches at `p` as whole words.
    fn match_cue(&self, p: usize, cue: &str) -> Option<usize> {
        let b = self.b;
        let mut i = p;
        for &c in cue.as_bytes() {
            if c == b' ' {
                while b.get(i).is_some_and(|&x| is_cue_separator(x)) {
                    i += 1;
                }
            } else if b.get(i).is_some_and(|x| x.to_ascii_lowercase() == c) {
                i += 1;
            } else {
                return None;
            }
        }
        let last = *cue.as_bytes().last()?;
        (!is_alnum(last) || b.get(i).is_none_or(|&x| !is_alnum(x))).then_some(i)
    }

    /// The value of a cue that ends at `cue_end`: the first word within
    /// reach that reads as a value of `kind`. Diagnosis cues take a list
    /// ("dx: C43.9, L57.0 and E11.9"). A marker ends the search: the cue's
    /// value was redacted already, and looking past it would make a second
    /// redaction take the next number along.
    fn values_after(&self, cue_end: usize, kind: PhiKind, found: &mut Vec<Finding>) {
        let b = self.b;
        let (mut from, mut budget) = (cue_end, CUE_MAX_WORDS);
        let mut p = cue_end;
        while p < b.len() && p - from <= CUE_MAX_BYTES {
            if self.in_marker(p) {
                return;
            }
            if !is_word_start(b, p) {
                p += 1;
                continue;
            }
            // A value may hang off its cue by a hyphen ("SSN-123-45-6789").
            let glued_to_cue = p == cue_end + 1 && is_joiner(b[cue_end]);
            let end = if starts_clean(b, p) || glued_to_cue {
                match kind {
                    PhiKind::Ssn => cued_ssn(b, p),
                    PhiKind::Mrn => mrn(b, p),
                    PhiKind::DateOfBirth => date(b, p),
                    PhiKind::Diagnosis => icd10(b, p, true),
                }
            } else {
                None
            };
            match end {
                Some(e) => {
                    found.push(Finding {
                        kind,
                        start: p,
                        end: e,
                    });
                    if kind != PhiKind::Diagnosis {
                        return;
                    }
                    (from, budget, p) = (e, 1, e);
                }
                None => {
                    if budget == 0 {
                        return;
                    }
                    budget -= 1;
                    while p < b.len() && is_alnum(b[p]) {
                        p += 1;
                    }
                }
            }
        }
    }

    /// Values that need no cue: formatted SSNs, dotted ICD-10 codes, and
    /// dates near a name.
    fn uncued(&self, found: &mut Vec<Finding>) {
        let b = self.b;
        let names = self.name_pairs();
        for p in 0..b.len() {
            if !is_word_start(b, p) || !starts_clean(b, p) || self.in_marker(p) {
                continue;
            }
            let mut push = |kind, end| {
                found.push(Finding {
                    kind,
                    start: p,
                    end,
                })
            };
            if let Some(e) = formatted_ssn(b, p) {
                push(PhiKind::Ssn, e);
            }
            if let Some(e) = icd10(b, p, false) {
                push(PhiKind::Diagnosis, e);
            }
            if let Some(e) = date(b, p) {
                let near = names.iter().any(|&(s, ne)| {
                    (ne <= p && p - ne <= NAME_MAX_BYTES && same_sentence(&b[ne..p]))
                        || (s >= e && s - e <= NAME_MAX_BYTES && same_sentence(&b[e..s]))
                });
                if near {
                    push(PhiKind::DateOfBirth, e);
                }
            }
        }
    }

    /// Spans of name-like pairs: "Jane Doe" or "Doe, Jane".
    fn name_pairs(&self) -> Vec<(usize, usize)> {
        let b = self.b;
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut p = 0;
        while p < b.len() {
            if b[p].is_ascii_alphabetic() && (p == 0 || !is_alnum(b[p - 1])) {
                let len = b[p..]
                    .iter()
                    .take_while(|&&c| c.is_ascii_alphabetic() || c == b'\'' || c == b'-')
                    .count();
                let e = p + len;
                if !self.in_marker(p) && !b.get(e).is_some_and(u8::is_ascii_digit) {
                    words.push((p, e));
                }
                p = e.max(p + 1);
            } else {
                p += 1;
            }
        }
        words
            .windows(2)
            .filter(|w| {
                let (a, c) = (w[0], w[1]);
                let gap = &b[a.1..c.0];
                (gap == b" " || gap == b", ") && name_like(&b[a.0..a.1]) && name_like(&b[c.0..c.1])
            })
            .map(|w| (w[0].0, w[1].1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The kinds found in `text` and the text of each value.
    fn found(text: &str) -> Vec<(PhiKind, &str)> {
        scan(text)
            .into_iter()
            .map(|f| (f.kind, &text[f.range()]))
            .collect()
    }

    /// Asserts that each positive example yields exactly `value` as a
    /// finding of `kind`, and each negative example yields nothing.
    fn check(kind: PhiKind, positives: &[(&str, &str)], negatives: &[&str]) {
        for (text, value) in positives {
            let got = found(text);
            assert!(
                got.contains(&(kind, value)),
                "{text:?}: expected {kind} {value:?}, got {got:?}"
            );
        }
        for text in negatives {
            let got = found(text);
            assert!(got.is_empty(), "{text:?}: expected nothing, got {got:?}");
        }
    }

    #[test]
    fn social_security_numbers() {
        check(
            PhiKind::Ssn,
            &[
                ("pt 123-45-6789 called", "123-45-6789"),
                ("123 45 6789", "123 45 6789"),
                ("SSN 123-45-6789", "123-45-6789"),
                ("ssn: 123456789", "123456789"),
                ("Social Security number is 078051120", "078051120"),
                ("soc. sec. no. 219099999", "219099999"),
                ("SS# 123456789.", "123456789"),
                ("(SSN-123-45-6789)", "123-45-6789"),
                ("her SSN\n123 45 6789\nthanks", "123 45 6789"),
                ("x é 123-45-6789 ü", "123-45-6789"),
            ],
            &[
                "order 123456789012 shipped",
                "call (518) 555-0100 or 518-555-0100",
                "invoice 123456789 is unpaid",
                "SSN 000-12-3456",
                "SSN 666-12-3456",
                "SSN 912-34-5678",
                "SSN 123-00-4567",
                "SSN 123-45-0000",
                "ssn 123456789012",
                "price $123.45 on 2026-11-20",
                "ref 1-123-45-6789 and 123-45-6789-0",
                "version 123-45-6789.1",
                "$123-45-6789",
                "tracking 1 123 45 6789",
                "SSN was discussed; later we shipped 123456789 widgets to a place far away",
            ],
        );
    }

    #[test]
    fn medical_record_numbers() {
        check(
            PhiKind::Mrn,
            &[
                ("MRN 00123456", "00123456"),
                ("MRN: A1234567", "A1234567"),
                ("medical record number 55512", "55512"),
                ("Medical Record No. 9876543", "9876543"),
                ("medical record #: 4455667", "4455667"),
                ("chart # X99-z 1234567", "1234567"),
                ("Patient ID 12AB3456", "12AB3456"),
                ("patient #77665544", "77665544"),
                ("acct 4455667788", "4455667788"),
                ("account #: 12345", "12345"),
            ],
            &[
                "MRN pending",
                "MRN 1234",
                "MRN ABCDEFG1",
                "MRN 1234567890123456",
                "order 12345678 shipped",
                "patient had 12345678 visits",
                "MRN 12345-6789-01",
                "the chart loads slowly since build 20261120",
            ],
        );
    }

    #[test]
    fn dates_of_birth() {
        check(
            PhiKind::DateOfBirth,
            &[
                ("DOB 03/03/1961", "03/03/1961"),
                ("D.O.B.: 3/3/61", "3/3/61"),
                ("date of birth 1961-03-03", "1961-03-03"),
                ("born March 3, 1961", "March 3, 1961"),
                ("birthdate: 3 Mar 1961", "3 Mar 1961"),
                ("Jane b. 12-31-1950", "12-31-1950"),
                ("Jane Doe 03/03/1961 cannot log in", "03/03/1961"),
                ("Doe, Jane (3 March 1961)", "3 March 1961"),
                ("Jane Doe\n03/03/1961\n", "03/03/1961"),
                ("seen 11/20/2026, patient is Jane Doe", "11/20/2026"),
                ("DOB for the patient: Sept 30th, 1961", "Sept 30th, 1961"),
            ],
            &[
                "the update on 11/20/2026 broke printing",
                "On Monday 11/20/2026 the sync failed",
                "Windows Server 2026-11-20 patch",
                "DOB 13/45/1961",
                "DOB 03/03/1761",
                "Thanks, the team. 3/3/2026",
                "release 2026-11-20 fixed it",
                "Jane Doe wrote a long message about the printer, and then on 11/20/2026 it failed",
                "Hi, this is Mary Smith. The update on 11/20/2026 broke printing.",
                "DOB pending",
            ],
        );
    }

    #[test]
    fn diagnosis_codes() {
        check(
            PhiKind::Diagnosis,
            &[
                ("melanoma C43.9 excised", "C43.9"),
                ("dx L57.0", "L57.0"),
                ("ICD-10: H40.1131", "H40.1131"),
                ("diagnosis E11.9 noted", "E11.9"),
                ("dx: l57", "l57"),
                ("ICD-10-CM code Z00.00", "Z00.00"),
                ("codes C43.9, L57.0 and E11.9", "L57.0"),
                ("codes C43.9, L57.0 and E11.9", "E11.9"),
                ("Diagnosis: L57", "L57"),
                ("dx V43.52XA", "V43.52XA"),
            ],
            &[
                "the L57 adapter",
                "upgraded to v2.1",
                "E2E tests pass",
                "version C43.9.1 released",
                "U07.1 is not in scope",
                "c43.9 lower case",
                "part A12 and B34",
                "Dx pending",
                "E1101 error",
                "V10.2 released",
            ],
        );
    }

    #[test]
    fn redaction_replaces_only_values() {
        let cases = [
            ("SSN 123-45-6789", "SSN [redacted: Social Security number]"),
            (
                "Jane Doe, DOB 03/03/1961, MRN A1234567, dx C43.9.",
                "Jane Doe, DOB [redacted: date of birth], MRN [redacted: medical record number], \
                 dx [redacted: diagnosis code].",
            ),
            (
                "Jane Doe 3/3/61 — ça marche pas",
                "Jane Doe [redacted: date of birth] — ça marche pas",
            ),
            ("nothing here on 11/20/2026", "nothing here on 11/20/2026"),
        ];
        for (input, expected) in cases {
            let r = redact(input);
            assert_eq!(r.text, expected);
            for f in &r.findings {
                assert!(input.is_char_boundary(f.start) && input.is_char_boundary(f.end));
            }
        }
        let r = redact("SSN 123-45-6789");
        assert_eq!(
            r.findings,
            vec![Finding {
                kind: PhiKind::Ssn,
                start: 4,
                end: 15
            }]
        );
    }

    #[test]
    fn summary_counts_without_quoting() {
        let text = "SSN 123-45-6789, DOB 3/3/61 and born 4/4/1962";
        let findings = scan(text);
        let s = summary(&findings);
        assert_eq!(s, "1 Social Security number, 2 dates of birth");
        assert!(!s.contains("6789"));
        assert_eq!(summary(&[]), "no patient information");
        assert_eq!(
            summary(&scan("dx C43.9")),
            "1 diagnosis code",
            "singular label"
        );
    }

    #[test]
    fn redacting_twice_changes_nothing() {
        for text in [
            "SSN 123-45-6789 123456789",
            "Social Security number of the patient 123456789 MRN 1234567",
            "MRN 1234567 123 45 6789",
            "123-45-6789-C43.9",
            "Jane Doe [redacted: date of birth] 4/4/1962",
        ] {
            let once = redact(text);
            let twice = redact(&once.text);
            assert!(twice.findings.is_empty(), "{text:?} -> {:?}", once.text);
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("SSN".to_owned()),
            Just("123-45-6789".to_owned()),
            Just("123 45 6789".to_owned()),
            Just("123456789".to_owned()),
            Just("DOB".to_owned()),
            Just("3/3/1961".to_owned()),
            Just("March 3, 1961".to_owned()),
            Just("Jane".to_owned()),
            Just("Doe,".to_owned()),
            Just("MRN".to_owned()),
            Just("A1234567".to_owned()),
            Just("dx".to_owned()),
            Just("C43.9".to_owned()),
            Just("L57".to_owned()),
            Just("[redacted: date of birth]".to_owned()),
            Just("-".to_owned()),
            Just("é".to_owned()),
            Just("518-555-0100".to_owned()),
            "[a-zA-Z0-9 .,/#-]{0,8}",
            "\\PC{0,4}",
        ]
    }

    fn mixed() -> impl Strategy<Value = String> {
        prop::collection::vec((fragment(), prop_oneof![" ", "", "\n", ", ", "-"]), 0..12)
            .prop_map(|parts| parts.into_iter().map(|(a, b)| a + &b).collect())
    }

    fn well_formed(text: &str, findings: &[Finding]) -> bool {
        findings.windows(2).all(|w| w[0].end <= w[1].start)
            && findings.iter().all(|f| {
                f.start < f.end
                    && f.end <= text.len()
                    && text.is_char_boundary(f.start)
                    && text.is_char_boundary(f.end)
            })
    }

    proptest! {
        #[test]
        fn scan_is_total_and_well_formed(text in "\\PC{0,200}") {
            let findings = scan(&text);
            prop_assert!(well_formed(&text, &findings));
            let _ = redact(&text);
        }

        #[test]
        fn mixed_text_is_well_formed_and_idempotent(text in mixed()) {
            let once = redact(&text);
            prop_assert!(well_formed(&text, &once.findings));
            let twice = scan(&once.text);
            prop_assert!(twice.is_empty(), "{:?} -> {:?} -> {:?}", text, once.text, twice);
        }

        #[test]
        fn valid_formatted_ssn_is_found(
            before in prop::collection::vec("[a-zA-Z]{1,10}", 0..5),
            after in prop::collection::vec("[a-zA-Z]{1,10}", 0..5),
            area in (1u32..900).prop_filter("666 is never issued", |a| *a != 666),
            group in 1u32..100,
            serial in 1u32..10000,
        ) {
            let ssn = format!("{area:03}-{group:02}-{serial:04}");
            let text = format!("{} {ssn} {}", before.join(" "), after.join(" "));
            let start = text.find(&ssn).unwrap_or(usize::MAX);
            let findings = scan(&text);
            prop_assert!(findings.contains(&Finding { kind: PhiKind::Ssn, start, end: start + ssn.len() }),
                "{:?}: {:?}", text, findings);
            let r = redact(&text);
            prop_assert!(!r.text.contains(&ssn));
            prop_assert!(!r.text.contains(&ssn.replace('-', "")));
        }
    }
}
