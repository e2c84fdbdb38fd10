//! The scanner that walks a text once and collects every finding.

use super::patterns::{
    CUE_MAX_BYTES, CUE_MAX_WORDS, CUES, MARKER_PREFIX, NAME_MAX_BYTES, cued_ssn, date,
    formatted_ssn, icd10, is_alnum, is_cue_separator, is_joiner, is_word_start, mrn, name_like,
    same_sentence, starts_clean,
};
use super::{Finding, PhiKind};

pub(super) struct Scanner<'a> {
    b: &'a [u8],
    /// Spans of our own `[redacted: ...]` markers, sorted.
    markers: Vec<(usize, usize)>,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(text: &'a str) -> Self {
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

    pub(super) fn scan(&self) -> Vec<Finding> {
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
