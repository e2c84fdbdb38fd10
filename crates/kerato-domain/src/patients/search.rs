//! Paging through a patient search: what a request for a page says (the
//! query, the page size, the cursor the page before handed back), and the
//! order a name search's results stand in, so that a page can start right
//! after the chart the page before ended with.

use std::cmp::Ordering;

use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};

use super::{
    NameKind, PREFIX_SCORE, TYPO_SCORE, fold, match_weight, name_match, name_words, typo_match,
};
use crate::error::ValidationErrors;
use crate::ids::PatientId;
use crate::input::ParseInput;

/// Longest query a search takes, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Charts a page holds when the request does not say.
pub const DEFAULT_PAGE_SIZE: usize = 25;
/// Most charts one page holds.
pub const MAX_PAGE_SIZE: usize = 100;

/// The ways the first query word can match a chart, best first: the
/// beginning of a last-name word, of a first or preferred name word, then
/// the same with one typo. The score the word earns falls in this order,
/// so a chart belongs to the first tier it matches in.
pub const NAME_TIERS: [(NameKind, bool); 4] = [
    (NameKind::Last, false),
    (NameKind::First, false),
    (NameKind::Last, true),
    (NameKind::First, true),
];

/// The score of a chart found through tier `tier` (an index into
/// [`NAME_TIERS`]) whose names also begin with each of the query's
/// `other_words` further words: the best a chart of that tier can score.
pub fn tier_level(tier: usize, other_words: usize) -> u32 {
    let (kind, typo) = NAME_TIERS[tier % NAME_TIERS.len()];
    let first = if typo { TYPO_SCORE } else { PREFIX_SCORE } * match_weight(true, kind);
    let rest = PREFIX_SCORE * match_weight(false, NameKind::First);
    first + rest * other_words as u32
}

/// Where a chart stands in a name search: its score, and the tier and the
/// name word through which the query's first word found it (the smallest
/// such word, as the name index reads them in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRank {
    pub score: u32,
    /// Index into [`NAME_TIERS`].
    pub tier: usize,
    pub token: String,
}

/// How a chart's names rank against a query; `None` when they do not match.
pub fn name_rank(
    query: &str,
    last: &str,
    first: &str,
    preferred: Option<&str>,
) -> Option<NameRank> {
    let score = name_match(query, last, first, preferred)?;
    let folded = fold(query);
    let driver = folded.split(' ').find(|w| !w.is_empty())?;
    let words = name_words(last, first, preferred);
    NAME_TIERS
        .iter()
        .enumerate()
        .find_map(|(tier, (kind, typo))| {
            words
                .iter()
                .filter(|(k, w)| {
                    k == kind
                        && if *typo {
                            typo_match(driver, w)
                        } else {
                            w.starts_with(driver)
                        }
                })
                .map(|(_, w)| w)
                .min()
                .map(|token| NameRank {
                    score,
                    tier,
                    token: token.clone(),
                })
        })
}

/// A chart's place in the order of a name search's results: best score
/// first, then by the name word that matched, folded last name, folded
/// first name and ID (the order the name index reads in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameOrder {
    pub score: u32,
    pub token: String,
    pub last: String,
    pub first: String,
    pub id: PatientId,
}

impl Ord for NameOrder {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .cmp(&self.score)
            .then_with(|| self.token.cmp(&other.token))
            .then_with(|| self.last.cmp(&other.last))
            .then_with(|| self.first.cmp(&other.first))
            .then_with(|| self.id.cmp(&other.id))
    }
}

impl PartialOrd for NameOrder {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Where the next page of a search starts: after one chart, in one search.
/// It travels as opaque text; a checksum makes an edited or truncated
/// cursor fail to decode rather than start a page somewhere arbitrary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCursor {
    /// The last chart of the page before.
    pub after: PatientId,
    /// The first bytes of the SHA-256 of the query it was made for, so a
    /// cursor sent with another query is refused.
    query: [u8; 8],
}

const CURSOR_VERSION: u8 = 1;
const CURSOR_BYTES: usize = 1 + 8 + 16 + 8;

fn query_print(query: &str) -> [u8; 8] {
    let digest = Sha256::digest(query.trim().as_bytes());
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

fn checksum(body: &[u8]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(b"kerato patient search cursor");
    h.update(body);
    let mut out = [0; 8];
    out.copy_from_slice(&h.finalize()[..8]);
    out
}

impl SearchCursor {
    pub fn new(query: &str, after: PatientId) -> Self {
        Self {
            after,
            query: query_print(query),
        }
    }

    /// The cursor as the API hands it out.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(CURSOR_BYTES);
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&self.query);
        bytes.extend_from_slice(self.after.as_uuid().as_bytes());
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        BASE64URL_NOPAD.encode(&bytes)
    }

    /// A cursor this code encoded, unchanged; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = BASE64URL_NOPAD.decode(text.trim().as_bytes()).ok()?;
        if bytes.len() != CURSOR_BYTES || bytes[0] != CURSOR_VERSION {
            return None;
        }
        let (body, sum) = bytes.split_at(CURSOR_BYTES - 8);
        if checksum(body) != sum {
            return None;
        }
        let mut query = [0; 8];
        query.copy_from_slice(&body[1..9]);
        let uuid = uuid::Uuid::from_slice(&body[9..25]).ok()?;
        let after = uuid.hyphenated().to_string().parse().ok()?;
        Some(Self { after, query })
    }

    /// Whether the cursor was made for this query.
    pub fn belongs_to(&self, query: &str) -> bool {
        self.query == query_print(query)
    }
}

/// A request for one page of a patient search, as the API takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientSearchInput {
    /// A name (prefix, one typo tolerated), date of birth, phone, e-mail or
    /// MRN; at most 100 characters.
    pub query: String,
    /// Charts a page: 1 to 100, 25 when absent.
    #[serde(default)]
    pub page_size: Option<i64>,
    /// The `next_cursor` of the page before, to read the page after it;
    /// absent for the first page. Send the same query with it.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A validated request for one page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The query, trimmed.
    pub query: String,
    pub page_size: usize,
    /// The page starts after this chart; the first page when `None`.
    pub after: Option<PatientId>,
}

impl ParseInput for SearchQuery {
    type Raw = PatientSearchInput;

    fn parse(raw: PatientSearchInput) -> Result<Self, ValidationErrors> {
        raw.validate()
    }
}

/// Charts the search page lists: the first page of a search this size.
pub const MAX_RESULTS: usize = 50;

/// What the search box sends: the text typed, as `q`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SearchBoxInput {
    #[serde(default)]
    pub q: String,
}

/// A search typed into the search box: the first [`MAX_RESULTS`] charts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchBox(pub SearchQuery);

impl ParseInput for SearchBox {
    type Raw = SearchBoxInput;

    fn parse(raw: SearchBoxInput) -> Result<Self, ValidationErrors> {
        if raw.q.chars().count() > MAX_QUERY_CHARS {
            return Err(ValidationErrors::single(
                "q",
                format!("search with at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        Ok(Self(SearchQuery::first_page(&raw.q, MAX_RESULTS)))
    }
}

impl SearchQuery {
    /// The first `page_size` charts a search for `query` finds.
    pub fn first_page(query: &str, page_size: usize) -> Self {
        Self {
            query: query.trim().to_string(),
            page_size,
            after: None,
        }
    }
}

impl PatientSearchInput {
    pub fn validate(&self) -> Result<SearchQuery, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let query = self.query.trim().to_string();
        if query.chars().count() > MAX_QUERY_CHARS {
            errors.add(
                "query",
                format!("search with at most {MAX_QUERY_CHARS} characters"),
            );
        }
        let page_size = match self.page_size {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE as i64).contains(&n) => n as usize,
            Some(_) => {
                errors.add(
                    "page_size",
                    format!("ask for 1 to {MAX_PAGE_SIZE} charts a page, or leave it out for {DEFAULT_PAGE_SIZE}"),
                );
                DEFAULT_PAGE_SIZE
            }
        };
        let after = match self.cursor.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match SearchCursor::decode(text) {
                Some(c) if c.belongs_to(&query) => Some(c.after),
                Some(_) => {
                    errors.add(
                        "cursor",
                        "this cursor belongs to another search: send it with the query it came with, or leave it out to start again",
                    );
                    None
                }
                None => {
                    errors.add(
                        "cursor",
                        "this is not a cursor a search returned: send `next_cursor` exactly as it came, or leave it out to start again",
                    );
                    None
                }
            },
        };
        errors.into_result(SearchQuery {
            query,
            page_size,
            after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    fn id(n: u8) -> PatientId {
        PatientId::new(Timestamp::from_micros(1_780_000_000_000_000), [n; 10])
    }

    #[test]
    fn a_cursor_survives_its_round_trip_and_nothing_else() {
        let c = SearchCursor::new(" smith ", id(7));
        let text = c.encode();
        assert_eq!(SearchCursor::decode(&text), Some(c));
        assert!(c.belongs_to("smith"));
        assert!(!c.belongs_to("smit"));
        assert_eq!(SearchCursor::decode(&text[1..]), None);
        assert_eq!(SearchCursor::decode("not a cursor"), None);
        assert_eq!(SearchCursor::decode(""), None);
    }

    proptest! {
        #[test]
        fn any_edit_of_a_cursor_is_refused(n in 0u8..255, at in 0usize..44, by in 1u8..63) {
            let text = SearchCursor::new("garcia", id(n)).encode();
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut bytes = text.clone().into_bytes();
            let at = at % bytes.len();
            let pos = alphabet.iter().position(|c| *c == bytes[at]).unwrap();
            bytes[at] = alphabet[(pos + by as usize) % 64];
            let edited = String::from_utf8(bytes).unwrap();
            prop_assert_ne!(&edited, &text);
            prop_assert_eq!(SearchCursor::decode(&edited), None);
        }
    }

    #[test]
    fn page_size_and_cursor_are_checked_with_the_query() {
        let ok = PatientSearchInput {
            query: " smith ".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(
            (ok.query.as_str(), ok.page_size, ok.after),
            ("smith", 25, None)
        );
        let cursor = SearchCursor::new("smith", id(1)).encode();
        let next = PatientSearchInput {
            query: "smith".into(),
            page_size: Some(100),
            cursor: Some(cursor.clone()),
        }
        .validate()
        .unwrap();
        assert_eq!((next.page_size, next.after), (100, Some(id(1))));
        let bad = PatientSearchInput {
            query: "x".repeat(101),
            page_size: Some(0),
            cursor: Some(cursor),
        }
        .validate()
        .unwrap_err();
        assert!(bad.for_field("query").is_some());
        assert!(bad.for_field("page_size").unwrap().contains("1 to 100"));
        assert!(bad.for_field("cursor").unwrap().contains("another search"));
        let tampered = PatientSearchInput {
            query: "smith".into(),
            page_size: Some(101),
            cursor: Some("AAAA".into()),
        }
        .validate()
        .unwrap_err();
        assert!(tampered.for_field("page_size").is_some());
        assert!(
            tampered
                .for_field("cursor")
                .unwrap()
                .contains("not a cursor")
        );
    }

    #[test]
    fn the_search_box_takes_a_first_page_of_what_was_typed() {
        let typed = SearchBox::parse(SearchBoxInput {
            q: "  smi  ".into(),
        })
        .unwrap();
        assert_eq!(typed.0, SearchQuery::first_page("smi", MAX_RESULTS));
        assert_eq!(typed.0.query, "smi");
        let long = SearchBox::parse(SearchBoxInput {
            q: "é".repeat(101)
        })
        .unwrap_err();
        assert!(long.for_field("q").unwrap().contains("100 characters"));
        assert!(
            SearchBox::parse(SearchBoxInput {
                q: "é".repeat(100)
            })
            .is_ok()
        );
        let empty: SearchBoxInput = serde_json::from_str(r#"{"action":"go"}"#).unwrap();
        assert_eq!(SearchBox::parse(empty).unwrap().0.query, "");
    }

    #[test]
    fn a_chart_ranks_through_its_best_tier_and_smallest_word() {
        let r = name_rank("smi", "Smithers Smith", "Jo", None).unwrap();
        assert_eq!((r.tier, r.token.as_str(), r.score), (0, "smith", 12));
        let r = name_rank("jo", "Smith", "Joanna", Some("Jo")).unwrap();
        assert_eq!((r.tier, r.token.as_str(), r.score), (1, "jo", 6));
        let r = name_rank("smyth", "Smith", "Ann", None).unwrap();
        assert_eq!((r.tier, r.token.as_str(), r.score), (2, "smith", 4));
        assert_eq!(name_rank("zz", "Smith", "Ann", None), None);
        let r = name_rank("smith jo", "Smith", "Jon", None).unwrap();
        assert_eq!(r.score, tier_level(0, 1));
        let r = name_rank("smith jno", "Smith", "Jon", None).unwrap();
        assert!(r.score < tier_level(0, 1) && r.tier == 0);
    }

    #[test]
    fn tiers_rank_in_falling_order_whatever_the_further_words() {
        for others in 0..4 {
            let levels: Vec<u32> = (0..4).map(|t| tier_level(t, others)).collect();
            assert!(levels.windows(2).all(|w| w[0] > w[1]), "{levels:?}");
        }
    }
}
