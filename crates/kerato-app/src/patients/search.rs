//! The search the front desk types into all day, and the API pages through:
//! by e-mail, date of birth, phone, MRN or name, best matches first, one
//! page at a time. A page starts after the chart the page before ended
//! with (keyset paging), so pages neither repeat nor skip a chart while no
//! chart changes.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::Action;
use kerato_domain::ids::{OrganisationId, PatientId};
pub use kerato_domain::patients::search::MAX_RESULTS;
use kerato_domain::patients::search::{
    NAME_TIERS, NameOrder, SearchCursor, SearchQuery, name_rank, tier_level,
};
use kerato_domain::patients::{
    MIN_TYPO_CHARS, NameKind, Patient, Phone, TYPO_SCORE, fold, match_weight, parse_date_of_birth,
    typo_match, typo_probe,
};
use kerato_store::Tx;
use kerato_store::patients::{self as store, ExactField, NameHit, WordMatch};

use super::target;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// Name-index rows read per tier when a query of several words may hide a
/// typo in a word after the first (see `name_page`).
const TYPO_SCAN_ROWS: usize = 500;

/// One page of a search's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    pub patients: Vec<Patient>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<SearchCursor>,
}

/// How a query is looked up.
enum Lookup {
    Nothing,
    /// One exact field with this value.
    Exact(ExactField, String),
    Name,
}

impl App {
    fn lookup(&self, q: &str) -> Lookup {
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        if q.is_empty() {
            Lookup::Nothing
        } else if q.contains('@') {
            Lookup::Exact(ExactField::Email, q.to_lowercase())
        } else if let Ok(dob) = parse_date_of_birth(q, self.today()) {
            Lookup::Exact(ExactField::DateOfBirth, dob.to_string())
        } else if digits.len() >= 10
            && digits.len() == q.chars().filter(|c| c.is_ascii_alphanumeric()).count()
        {
            match Phone::parse(q) {
                Ok(p) => Lookup::Exact(ExactField::Phone, p.e164().to_string()),
                Err(_) => Lookup::Nothing,
            }
        } else if !digits.is_empty() && digits.len() == q.len() {
            Lookup::Exact(ExactField::Mrn, format!("{digits:0>7}"))
        } else {
            Lookup::Name
        }
    }

    /// Finds charts by name (prefix of last, first or preferred name,
    /// accents and case ignored, one typo tolerated), date of birth, phone,
    /// e-mail or MRN; the best [`MAX_RESULTS`] matches, best first. The
    /// search, with what was typed, is audited as a query of PHI.
    pub async fn search_patients(
        &self,
        caller: &Caller,
        query: &str,
    ) -> Result<Vec<Patient>, AppError> {
        let search = SearchQuery::first_page(query, MAX_RESULTS);
        Ok(self.search_patients_page(caller, &search).await?.patients)
    }

    /// One page of a search (see [`App::search_patients`]): the charts that
    /// come after `search.after` in the result order, at most
    /// `search.page_size` of them. Each page is audited as a search.
    pub async fn search_patients_page(
        &self,
        caller: &Caller,
        search: &SearchQuery,
    ) -> Result<SearchPage, AppError> {
        let q = search.query.trim();
        let org = caller.actor.organisation_id;
        let tx = self.store.read().await?;
        let mut act = Act::new(Action::Query, target(org), "patient search");
        act.new = serde_json::to_string(
            &serde_json::json!({ "query": q.chars().take(100).collect::<String>() }),
        )
        .ok();
        let mut tx = self.guard(tx, caller, act).await?;
        // One more than a page, to know whether another page follows.
        let want = search.page_size + 1;
        let mut found = match self.lookup(q) {
            Lookup::Nothing => Vec::new(),
            Lookup::Exact(field, value) => {
                let after = match search.after {
                    None => None,
                    Some(id) => {
                        let chart = cursor_chart(&mut tx, org, id).await?;
                        Some((fold(&chart.fields.legal_last_name), id))
                    }
                };
                let after = after.as_ref().map(|(last, id)| (last.as_str(), *id));
                store::by_field_after(&mut tx, org, field, &value, after, want as i64).await?
            }
            Lookup::Name => {
                let after = match search.after {
                    None => None,
                    Some(id) => Some(name_order_of(&cursor_chart(&mut tx, org, id).await?, q)?),
                };
                let ids = name_page(&mut tx, org, q, after.as_ref(), want).await?;
                store::by_ids(&mut tx, org, &ids).await?
            }
        };
        tx.commit().await?;
        let next_cursor = if found.len() > search.page_size {
            found.truncate(search.page_size);
            found.last().map(|p| SearchCursor::new(q, p.id))
        } else {
            None
        };
        Ok(SearchPage {
            patients: found,
            next_cursor,
        })
    }
}

fn stale_cursor() -> AppError {
    ValidationErrors::single(
        "cursor",
        "the chart this page ended with has changed or gone since: start the search again without a cursor",
    )
    .into()
}

/// The chart a cursor names, of the caller's practice.
async fn cursor_chart(
    tx: &mut Tx,
    org: OrganisationId,
    id: PatientId,
) -> Result<Patient, AppError> {
    store::by_ids(tx, org, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or_else(stale_cursor)
}

/// Where `chart` stands in the results of a name search for `q`.
fn name_order_of(chart: &Patient, q: &str) -> Result<NameOrder, AppError> {
    let f = &chart.fields;
    let rank = name_rank(
        q,
        &f.legal_last_name,
        &f.legal_first_name,
        f.preferred_name.as_deref(),
    )
    .ok_or_else(stale_cursor)?;
    Ok(NameOrder {
        score: rank.score,
        token: rank.token,
        last: fold(&f.legal_last_name),
        first: fold(&f.legal_first_name),
        id: chart.id,
    })
}

/// Where a name-index row puts its chart in the results of `q`, if the row
/// is the one through which the chart is found: of tier `tier` (an index
/// into [`NAME_TIERS`]), its smallest matching word there, and a score
/// `score_ok` accepts. Every chart is so found through exactly one row,
/// which is what keeps pages free of repeats.
fn through_row(
    q: &str,
    hit: &NameHit,
    tier: usize,
    score_ok: impl Fn(u32) -> bool,
) -> Option<NameOrder> {
    let rank = name_rank(
        q,
        &hit.last_folded,
        &hit.first_folded,
        hit.preferred_folded.as_deref(),
    )?;
    (rank.tier == tier && rank.token == hit.token && score_ok(rank.score)).then(|| NameOrder {
        score: rank.score,
        token: rank.token,
        last: hit.last_folded.clone(),
        first: hit.first_folded.clone(),
        id: hit.patient_id,
    })
}

/// Where a page's charts come from. A tier's charts whose names begin
/// with every further query word all score the tier's level, and the name
/// index reads them in result order; the others (a typo in a further
/// word) score less and are found by the scan.
#[derive(Debug, Clone, Copy)]
enum Source {
    Level(usize),
    Scan,
}

/// The IDs of up to `want` charts a name search for `q` finds after
/// `after`, in result order: best score first, then by the name word that
/// matched, last name, first name and ID.
///
/// The first query word drives it. Each tier's level is read from the name
/// index in result order, from where `after` stands, and only until `want`
/// charts are in hand, so a page costs a few index probes whatever the
/// size of the registry; sources are read best first and the reading stops
/// once no source left can beat the page. For several words, a typo in a
/// later word is only found among the first [`TYPO_SCAN_ROWS`] rows of each
/// tier: the scan reads the same rows for every page, so pages stay
/// consistent with each other.
async fn name_page(
    tx: &mut Tx,
    org: OrganisationId,
    q: &str,
    after: Option<&NameOrder>,
    want: usize,
) -> Result<Vec<PatientId>, AppError> {
    let folded = fold(q);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let Some((driver, others)) = words.split_first() else {
        return Ok(Vec::new());
    };
    let k = others.len();
    let mut sources: Vec<(u32, Source)> = (0..NAME_TIERS.len())
        .map(|t| (tier_level(t, k), Source::Level(t)))
        .collect();
    if k > 0 {
        // The best a scanned chart can score: the best tier, with one
        // further word matched through a typo.
        let typo_other = TYPO_SCORE * match_weight(false, NameKind::First);
        sources.push((tier_level(0, k - 1) + typo_other, Source::Scan));
    }
    sources.sort_by_key(|(best, _)| std::cmp::Reverse(*best));
    // The dictionary's words one typo from the first query word, looked up
    // only if the search gets as far as a typo tier.
    let mut typo_words: Option<Vec<String>> = None;
    let mut found: Vec<NameOrder> = Vec::new();
    for (best, source) in sources {
        found.sort();
        if found.len() >= want && found[want - 1].score > best {
            break;
        }
        let tiers = match source {
            Source::Level(t) => t..t + 1,
            Source::Scan => 0..NAME_TIERS.len(),
        };
        for t in tiers {
            let (kind, typo) = NAME_TIERS[t];
            if typo && typo_words.is_none() {
                typo_words = Some(one_typo_words(tx, org, driver).await?);
            }
            let matches = match typo_words.as_deref().filter(|_| typo) {
                None => WordMatch::Prefix(driver),
                Some(words) => WordMatch::Words(words),
            };
            match source {
                Source::Level(_) => {
                    let level = tier_level(t, k);
                    let bound = match after {
                        // The whole level comes before the page.
                        Some(a) if level > a.score => continue,
                        Some(a) if a.score == level => Some(a),
                        _ => None,
                    };
                    let read = Read {
                        q,
                        org,
                        kind,
                        tier: t,
                        others,
                    };
                    let hits = read
                        .in_order(tx, matches, bound, want, |s| s == level)
                        .await?;
                    found.extend(hits);
                }
                Source::Scan => {
                    let level = tier_level(t, k);
                    let read = Read {
                        q,
                        org,
                        kind,
                        tier: t,
                        others: &[],
                    };
                    let hits = read
                        .rows(tx, matches, TYPO_SCAN_ROWS, |s| s < level)
                        .await?;
                    found.extend(hits.into_iter().filter(|o| after.is_none_or(|a| o > a)));
                }
            }
        }
    }
    found.sort();
    Ok(found.into_iter().take(want).map(|o| o.id).collect())
}

/// Reading one tier of the name index for a query.
struct Read<'a> {
    q: &'a str,
    org: OrganisationId,
    kind: NameKind,
    tier: usize,
    /// Further query words each row's names must begin.
    others: &'a [&'a str],
}

impl Read<'_> {
    /// The first `want` charts the tier gives after `bound` whose score
    /// `score_ok` accepts, reading on in batches past rows that give none.
    async fn in_order(
        &self,
        tx: &mut Tx,
        m: WordMatch<'_>,
        bound: Option<&NameOrder>,
        want: usize,
        score_ok: impl Fn(u32) -> bool + Copy,
    ) -> Result<Vec<NameOrder>, AppError> {
        let mut out = Vec::new();
        // Typo words before where the page starts give nothing after it.
        let words: Vec<String>;
        let m = match (m, bound) {
            (WordMatch::Words(all), Some(b)) => {
                words = all
                    .iter()
                    .filter(|w| w.as_str() >= b.token.as_str())
                    .cloned()
                    .collect();
                WordMatch::Words(&words)
            }
            (m, _) => m,
        };
        let mut from = bound.cloned();
        let mut limit = want;
        loop {
            let hits = store::name_hits(
                tx,
                self.org,
                self.kind,
                m,
                self.others,
                from.as_ref(),
                limit as i64,
            )
            .await?;
            let exhausted = hits.len() < limit;
            for hit in &hits {
                out.extend(through_row(self.q, hit, self.tier, score_ok));
            }
            if let Some(last) = hits.last() {
                from = Some(NameOrder {
                    score: 0,
                    token: last.token.clone(),
                    last: last.last_folded.clone(),
                    first: last.first_folded.clone(),
                    id: last.patient_id,
                });
            }
            if exhausted || out.len() >= want {
                break;
            }
            // Rows of charts found through another row were skipped;
            // read further in bigger steps.
            limit = (limit * 2).max(want - out.len());
        }
        Ok(out)
    }

    /// The charts of the tier's first `rows` rows whose score `score_ok`
    /// accepts.
    async fn rows(
        &self,
        tx: &mut Tx,
        m: WordMatch<'_>,
        rows: usize,
        score_ok: impl Fn(u32) -> bool + Copy,
    ) -> Result<Vec<NameOrder>, AppError> {
        let hits =
            store::name_hits(tx, self.org, self.kind, m, self.others, None, rows as i64).await?;
        Ok(hits
            .iter()
            .filter_map(|hit| through_row(self.q, hit, self.tier, score_ok))
            .collect())
    }
}

/// The words of the organisation's name dictionary that `driver` (a folded
/// query word) matches only with one typo, alphabetically; none for a word
/// too short to tolerate one.
async fn one_typo_words(
    tx: &mut Tx,
    org: OrganisationId,
    driver: &str,
) -> Result<Vec<String>, AppError> {
    if driver.chars().count() < MIN_TYPO_CHARS {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = typo_probe(driver).into_iter().collect();
    let mut words = store::words_by_typo_keys(tx, org, &keys).await?;
    words.retain(|w| typo_match(driver, w));
    Ok(words)
}
