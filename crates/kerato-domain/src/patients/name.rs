//! Name matching: folding names for comparison, one-typo tolerance, the
//! score a query earns against a chart's names, and the words and typo keys
//! the search index stores.

use unicode_normalization::UnicodeNormalization;

/// Folds a name for matching: accents removed, lower case, apostrophes and
/// periods dropped, hyphens and other separators turned into spaces.
/// `Zoë Müller-O'Neil` becomes `zoe muller oneil`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Lower-case before decomposing: some capitals lower-case to a letter
    // plus a combining mark (İ to i and a dot above), which decomposition
    // then exposes for removal, so folding twice changes nothing.
    for c in text.to_lowercase().nfd() {
        match c {
            '\u{0300}'..='\u{036f}' => {}
            '\'' | '’' | '.' => {}
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
        }
    }
    // Dropping an apostrophe can bring two combining marks together, which
    // canonical order then sorts: order them now, so folding twice changes
    // nothing.
    out.trim_end().nfd().collect()
}

/// Whether `a` and `b` are within one edit (insert, delete, substitute, or
/// swap of neighbours): the typo tolerance of the search.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if la == lb {
        let rest_equal = |from: usize| a[from..] == b[from..];
        // Substitution, or a swap of two neighbours.
        rest_equal(prefix + 1)
            || (prefix + 1 < la
                && a[prefix] == b[prefix + 1]
                && a[prefix + 1] == b[prefix]
                && rest_equal(prefix + 2))
    } else {
        let (long, short) = if la > lb { (&a, &b) } else { (&b, &a) };
        long[prefix + 1..] == short[prefix..]
    }
}

/// What a query word earns for beginning a name word.
pub const PREFIX_SCORE: u32 = 3;
/// What a query word earns for beginning a name word with one typo.
pub const TYPO_SCORE: u32 = 1;

/// How much a match counts: the first query word's match in a last name
/// weighs most, every other match the same.
pub fn match_weight(first_query_word: bool, kind: NameKind) -> u32 {
    if first_query_word && kind == NameKind::Last {
        4
    } else {
        2
    }
}

/// How well one query word matches one name word: [`PREFIX_SCORE`] for a
/// prefix, [`TYPO_SCORE`] for a prefix with one typo, 0 for no match.
fn word_score(query: &str, word: &str) -> u32 {
    if word.starts_with(query) {
        return PREFIX_SCORE;
    }
    let q = query.chars().count();
    if q < 3 {
        return 0;
    }
    // Compare the query with the word's beginnings one shorter, equal and
    // one longer, so a typo anywhere in what was typed still matches.
    let chars: Vec<char> = word.chars().collect();
    let close = (q.saturating_sub(1)..=q + 1)
        .filter(|n| *n <= chars.len() && *n > 0)
        .any(|n| within_one_edit(query, &chars[..n].iter().collect::<String>()));
    if close { TYPO_SCORE } else { 0 }
}

/// Ranks a patient's names against a query; `None` when some query word
/// matches no name word. Last-name matches weigh most, so "smi jo" finds
/// Jo Smith before Smitty Jones.
pub fn name_match(query: &str, last: &str, first: &str, preferred: Option<&str>) -> Option<u32> {
    let q = fold(query);
    if q.is_empty() {
        return None;
    }
    let last = fold(last);
    let first = fold(first);
    let preferred = preferred.map(fold).unwrap_or_default();
    let mut total = 0;
    for (i, qw) in q.split(' ').enumerate() {
        let best = last
            .split(' ')
            .map(|w| word_score(qw, w) * match_weight(i == 0, NameKind::Last))
            .chain(
                first
                    .split(' ')
                    .chain(preferred.split(' '))
                    .filter(|w| !w.is_empty())
                    .map(|w| word_score(qw, w) * match_weight(i == 0, NameKind::First)),
            )
            .max()
            .unwrap_or(0);
        if best == 0 {
            return None;
        }
        total += best;
    }
    Some(total)
}

/// Which of a chart's names a search word comes from: last-name words rank
/// above words of the first or preferred name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameKind {
    Last,
    First,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Last => "last",
            Self::First => "first",
        }
    }
}

/// The distinct folded words of a chart's names, each once per kind, in the
/// order the search index stores them. Preferred names count as first names.
pub fn name_words(last: &str, first: &str, preferred: Option<&str>) -> Vec<(NameKind, String)> {
    let mut words = std::collections::BTreeSet::new();
    for w in fold(last).split(' ').filter(|w| !w.is_empty()) {
        words.insert((NameKind::Last, w.to_string()));
    }
    let preferred = preferred.map(fold).unwrap_or_default();
    for w in fold(first)
        .split(' ')
        .chain(preferred.split(' '))
        .filter(|w| !w.is_empty())
    {
        words.insert((NameKind::First, w.to_string()));
    }
    words.into_iter().collect()
}

/// Characters of a name word's beginning that typo keys cover. A longer
/// query word is looked up by its first `TYPO_KEY_CHARS` characters and the
/// words found are checked against all of it, which keeps the keys of a
/// word to about twenty however long the word is.
pub const TYPO_KEY_CHARS: usize = 5;

/// Shortest query word that tolerates a typo (shorter ones would match
/// nearly everything).
pub const MIN_TYPO_CHARS: usize = 3;

/// `s` and every string made by removing one character of `s`.
fn deletion_neighbourhood(s: &[char], out: &mut std::collections::BTreeSet<String>) {
    out.insert(s.iter().collect());
    for i in 0..s.len() {
        out.insert(s[..i].iter().chain(&s[i + 1..]).collect());
    }
}

/// The keys under which a folded name word is found by a query word with
/// one typo: the deletion neighbourhoods of the word's beginnings of 2 to
/// `TYPO_KEY_CHARS + 1` characters. A query word within one edit of a
/// beginning of the word shares a key with it (see [`typo_probe`]), so a
/// one-typo lookup is an index probe instead of a scan.
pub fn typo_keys(word: &str) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut keys = std::collections::BTreeSet::new();
    for len in 2..=chars.len().min(TYPO_KEY_CHARS + 1) {
        deletion_neighbourhood(&chars[..len], &mut keys);
    }
    keys
}

/// The keys to look up for a folded query word of at least
/// [`MIN_TYPO_CHARS`] characters: the deletion neighbourhood of its first
/// `TYPO_KEY_CHARS` characters. Every word the query matches with one typo
/// has one of these among its [`typo_keys`]; some words found this way are
/// further off, so each is checked with [`typo_match`].
pub fn typo_probe(query_word: &str) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = query_word.chars().take(TYPO_KEY_CHARS).collect();
    let mut keys = std::collections::BTreeSet::new();
    deletion_neighbourhood(&chars, &mut keys);
    keys
}

/// Whether a folded query word matches a folded name word only with a typo
/// (a beginning of the word is one edit away, and the word does not simply
/// start with the query).
pub fn typo_match(query_word: &str, word: &str) -> bool {
    word_score(query_word, word) == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folding_removes_accents_case_and_punctuation() {
        assert_eq!(fold("Zoë Müller-O'Neil"), "zoe muller oneil");
        assert_eq!(fold("  ÅSTRÖM  "), "astrom");
        assert_eq!(fold("Strauß"), "strauss");
        assert_eq!(fold("Nguyễn"), "nguyen");
    }

    #[test]
    fn one_typo_is_tolerated_two_are_not() {
        assert!(within_one_edit("smith", "smyth"));
        assert!(within_one_edit("smith", "smth"));
        assert!(within_one_edit("smith", "smitth"));
        assert!(within_one_edit("smith", "msith"));
        assert!(!within_one_edit("smith", "smyht"));
        assert!(!within_one_edit("smith", "jones"));
    }

    #[test]
    fn name_words_are_folded_distinct_and_kinded() {
        assert_eq!(
            name_words("Müller-O'Neil", "Zoë Anne", Some("Zoe")),
            vec![
                (NameKind::Last, "muller".to_string()),
                (NameKind::Last, "oneil".to_string()),
                (NameKind::First, "anne".to_string()),
                (NameKind::First, "zoe".to_string()),
            ]
        );
        assert_eq!(name_words("Lee", "Lee", None).len(), 2);
    }

    #[test]
    fn typo_keys_cover_beginnings_and_probes_the_typed_start() {
        let keys = typo_keys("smith");
        for k in [
            "sm", "s", "m", "smi", "si", "mi", "smit", "smt", "smith", "smth", "sith",
        ] {
            assert!(keys.contains(k), "{k}");
        }
        assert!(!keys.contains("smithson"));
        // Six characters at most, however long the word.
        assert!(
            typo_keys("johanssonski")
                .iter()
                .all(|k| k.chars().count() <= 6)
        );
        assert_eq!(typo_probe("smtih").len(), 6);
        assert!(
            typo_probe("smtihers")
                .iter()
                .all(|k| k.chars().count() <= 5)
        );
        assert!(!typo_probe("smtih").is_disjoint(&typo_keys("smith")));
        assert!(typo_match("smtih", "smith") && typo_match("smyth", "smithers"));
        assert!(!typo_match("smi", "smith"), "a plain prefix is not a typo");
        assert!(!typo_match("sm", "sn"), "too short to tolerate a typo");
    }

    #[test]
    fn search_ranks_last_name_matches_first() {
        let jo_smith = name_match("smi jo", "Smith", "Jo", None).unwrap();
        let smitty_jones = name_match("smi jo", "Jones", "Smitty", None).unwrap();
        assert!(jo_smith > smitty_jones);
        assert!(name_match("muller", "Müller-O'Neil", "Zoë", None).is_some());
        assert!(name_match("oneil", "Müller-O'Neil", "Zoë", None).is_some());
        assert!(
            name_match("mullr", "Müller-O'Neil", "Zoë", None).is_some(),
            "one typo"
        );
        assert!(name_match("zoe", "Müller-O'Neil", "Zoë", None).is_some());
        assert!(name_match("liz", "Taylor", "Elizabeth", Some("Liz")).is_some());
        assert!(name_match("xyz", "Taylor", "Elizabeth", None).is_none());
        assert!(name_match("", "Taylor", "Elizabeth", None).is_none());
    }

    proptest! {
        #[test]
        fn any_single_substitution_is_within_one_edit(s in "[a-z]{1,12}", i in 0usize..12, c in "[a-z]") {
            let mut chars: Vec<char> = s.chars().collect();
            let i = i % chars.len();
            chars[i] = c.chars().next().unwrap();
            let t: String = chars.into_iter().collect();
            prop_assert!(within_one_edit(&s, &t));
            prop_assert!(within_one_edit(&t, &s));
        }

        #[test]
        fn any_deletion_is_within_one_edit(s in "[a-z]{2,12}", i in 0usize..12) {
            let mut chars: Vec<char> = s.chars().collect();
            chars.remove(i % chars.len());
            let t: String = chars.into_iter().collect();
            prop_assert!(within_one_edit(&s, &t));
        }

        #[test]
        fn every_one_typo_match_shares_a_key(q in "[abcé]{3,9}", w in "[abcé]{1,11}") {
            // A small alphabet makes near matches common, so both sides of
            // the implication are exercised.
            let (q, w) = (fold(&q), fold(&w));
            if typo_match(&q, &w) {
                prop_assert!(!typo_probe(&q).is_disjoint(&typo_keys(&w)), "{} {}", q, w);
            }
        }

        #[test]
        fn a_typed_beginning_with_one_edit_is_found(
            w in "[a-z]{1,12}",
            len in 3usize..10,
            at in 0usize..10,
            c in "[a-z]",
            edit in 0u8..4,
        ) {
            // What the front desk types: the start of a name with one edit.
            let mut typed: Vec<char> = w.chars().take(len).collect();
            let c = c.chars().next().unwrap();
            let at = at % typed.len();
            match edit {
                0 => typed[at] = c,
                1 => typed.insert(at, c),
                2 => { typed.remove(at); }
                _ => if at + 1 < typed.len() { typed.swap(at, at + 1) },
            }
            let typed: String = typed.into_iter().collect();
            if typed.chars().count() >= MIN_TYPO_CHARS && !w.starts_with(&typed) {
                prop_assert!(typo_match(&typed, &w), "{} {}", typed, w);
                prop_assert!(!typo_probe(&typed).is_disjoint(&typo_keys(&w)), "{} {}", typed, w);
            }
        }

        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }
    }
}
