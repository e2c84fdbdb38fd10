//! Reading the name index for a search: the rows of the words a query
//! matches, in result order, and the dictionary's words by typo key.

use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::patients::NameKind;
use kerato_domain::patients::search::NameOrder;

use crate::on_tx;
use kerato_db::{StoreError, Tx};

/// One name-index row a search found: which chart, through which word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameHit {
    pub patient_id: PatientId,
    /// The word of the chart's names that matched.
    pub token: String,
    pub last_folded: String,
    pub first_folded: String,
    pub preferred_folded: Option<String>,
}

/// Which words of the name index a lookup reads.
#[derive(Debug, Clone, Copy)]
pub enum WordMatch<'a> {
    /// Words starting with this folded text.
    Prefix(&'a str),
    /// Exactly these folded words (the dictionary's words one typo from
    /// what was typed), in alphabetical order.
    Words(&'a [String]),
}

/// Words a statement of [`name_hits`] reads at most. A typo lookup reads
/// its words in statements of this many, padded with the empty word (never
/// a name word) so that a handful of statement texts serve every lookup and
/// stay prepared.
const WORDS_PER_STATEMENT: usize = 16;

/// Up to `limit` name-index rows of an organisation's searchable charts
/// whose `kind` word matches `m` and whose folded names also contain a word
/// starting with each of `also` (folded words), in result order: by the
/// matching word, then last name, first name and ID. A chart with two
/// matching words comes twice. With `after`, only the rows that come after
/// its word, last name, first name and ID in that order (its score is not
/// looked at): where the read before stopped.
pub async fn name_hits(
    tx: &mut Tx,
    org: OrganisationId,
    kind: NameKind,
    m: WordMatch<'_>,
    also: &[&str],
    after: Option<&NameOrder>,
    limit: i64,
) -> Result<Vec<NameHit>, StoreError> {
    match m {
        WordMatch::Prefix(p) => {
            let (mut low, high) = (p.to_string(), format!("{p}\u{10FFFF}"));
            if let Some(a) = after
                && a.token > low
            {
                low.clone_from(&a.token);
            }
            hits_of(tx, org, kind, Words::Range(&low, &high), also, after, limit).await
        }
        WordMatch::Words(words) => {
            // Each statement reads its words in result order; the words of
            // the next statement all sort after, so rows are taken until
            // `limit` is reached.
            let mut out: Vec<NameHit> = Vec::new();
            for chunk in words.chunks(WORDS_PER_STATEMENT) {
                let left = limit - out.len() as i64;
                if left <= 0 {
                    break;
                }
                out.extend(hits_of(tx, org, kind, Words::Each(chunk), also, after, left).await?);
            }
            Ok(out)
        }
    }
}

/// The words one statement of [`hits_of`] reads.
enum Words<'a> {
    /// From the first to the second, both included.
    Range(&'a str, &'a str),
    /// Each of these, in order: at most [`WORDS_PER_STATEMENT`].
    Each(&'a [String]),
}

/// One statement of [`name_hits`]. Several words are read as one `UNION
/// ALL` of per-word reads, each from the index in result order and cut at
/// `limit`, merged by the outer `ORDER BY`: a statement (and so a round
/// trip) for a lookup rather than one per word, and on both backends each
/// word still costs a few index pages, not a sort of all its rows.
async fn hits_of(
    tx: &mut Tx,
    org: OrganisationId,
    kind: NameKind,
    words: Words<'_>,
    also: &[&str],
    after: Option<&NameOrder>,
    limit: i64,
) -> Result<Vec<NameHit>, StoreError> {
    const COLUMNS: &str = "patient_id, token, last_folded, first_folded, preferred_folded";
    const ORDER: &str = " ORDER BY token, last_folded, first_folded, patient_id";
    // $1 organisation, $2 kind, $3 limit; then the further words, the
    // cursor, and the words looked up.
    let mut filter = String::new();
    // Each further query word must begin some name word: a space before it
    // in the names joined by spaces. Folded words hold no LIKE wildcards.
    for i in 0..also.len() {
        filter.push_str(&format!(
            " AND (' ' || last_folded || ' ' || first_folded || ' ' || coalesce(preferred_folded, '')) LIKE ${}",
            i + 4
        ));
    }
    let next = also.len() + 4;
    if after.is_some() {
        // A row value, so both backends read on from the index position
        // rather than filtering the range from its start.
        filter.push_str(&format!(
            " AND (token, last_folded, first_folded, patient_id) > (${}, ${}, ${}, ${})",
            next,
            next + 1,
            next + 2,
            next + 3
        ));
    }
    let first_word = next + if after.is_some() { 4 } else { 0 };
    let read = |word: String| {
        format!(
            "SELECT {COLUMNS} FROM patient_name_tokens WHERE organisation_id = $1 AND kind = $2 AND {word}{filter}"
        )
    };
    let (sql, bound): (String, Vec<&str>) = match words {
        Words::Range(low, high) => (
            format!(
                "{}{ORDER} LIMIT $3",
                read(format!(
                    "token >= ${first_word} AND token <= ${}",
                    first_word + 1
                ))
            ),
            vec![low, high],
        ),
        Words::Each(each) => {
            let padded = each.len().next_power_of_two();
            let arms: Vec<String> = (0..padded)
                .map(|i| {
                    format!(
                        "SELECT {COLUMNS} FROM ({}{ORDER} LIMIT $3) AS w{i}",
                        read(format!("token = ${}", first_word + i))
                    )
                })
                .collect();
            let mut bound: Vec<&str> = each.iter().map(String::as_str).collect();
            bound.resize(padded, "");
            (
                format!("{}{ORDER} LIMIT $3", arms.join(" UNION ALL ")),
                bound,
            )
        }
    };
    type Row = (String, String, String, String, Option<String>);
    let rows: Vec<Row> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org.to_string())
            .bind(kind.as_str())
            .bind(limit);
        for w in also {
            q = q.bind(format!("% {w}%"));
        }
        if let Some(a) = after {
            q = q
                .bind(&a.token)
                .bind(&a.last)
                .bind(&a.first)
                .bind(a.id.to_string());
        }
        for w in &bound {
            q = q.bind(*w);
        }
        q.fetch_all(&mut **c).await
    })?;
    rows.into_iter()
        .map(|(id, token, last, first, preferred)| {
            Ok(NameHit {
                patient_id: id
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                token,
                last_folded: last,
                first_folded: first,
                preferred_folded: preferred,
            })
        })
        .collect()
}

/// Words of an organisation's name dictionary that have one of `keys`
/// among their typo keys, in alphabetical order.
pub async fn words_by_typo_keys(
    tx: &mut Tx,
    org: OrganisationId,
    keys: &[String],
) -> Result<Vec<String>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT DISTINCT word FROM patient_name_typo_keys WHERE organisation_id = $1 AND typo_key IN ({})",
        list.join(", ")
    );
    let rows: Vec<(String,)> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org.to_string());
        for k in keys {
            q = q.bind(k);
        }
        q.fetch_all(&mut **c).await
    })?;
    let mut words: Vec<String> = rows.into_iter().map(|(w,)| w).collect();
    words.sort();
    Ok(words)
}
