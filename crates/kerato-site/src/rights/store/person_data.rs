//! Everything the site holds about one e-mail address, for the privacy
//! center's access and deletion requests: where it appears, a copy of
//! those rows, and the deletion of what no rule keeps, with the reason
//! and the date for what stays.

use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};
use serde::Serialize;
use sqlx::Row;

/// Why rows of a table outlive a deletion request, if they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Deleted on request.
    No,
    /// Rows of a customer's user: kept while the account is open and one
    /// year after it closes (the privacy statement's account data rule).
    WithAccount,
    /// The record of a rights request is the proof it was answered.
    AsRecord,
}

/// A table where an address appears: its name, the condition that finds
/// the address (`$1`), the columns of the copy, and whether it is deleted.
struct Place {
    table: &'static str,
    matches: &'static str,
    columns: &'static [&'static str],
    keep: Keep,
}

const PLACES: &[Place] = &[
    Place {
        table: "demo_requests",
        matches: "email = $1",
        columns: &[
            "id",
            "received_at",
            "name",
            "email",
            "phone",
            "practice_name",
            "specialty",
            "message",
            "stage",
        ],
        keep: Keep::No,
    },
    Place {
        table: "marketing_contacts",
        matches: "email = $1",
        columns: &[
            "id",
            "email",
            "name",
            "practice",
            "source",
            "created_at",
            "last_interaction_at",
        ],
        keep: Keep::No,
    },
    Place {
        table: "campaign_sends",
        matches: "email = $1",
        columns: &["campaign_id", "email", "queued_at"],
        keep: Keep::No,
    },
    Place {
        table: "site_consents",
        matches: "subject_kind = 'contact' AND subject = $1",
        columns: &[
            "purpose",
            "granted",
            "source",
            "policy_version",
            "recorded_at",
        ],
        keep: Keep::No,
    },
    Place {
        table: "tickets",
        matches: "from_email = $1 AND account_id IS NULL",
        columns: &["id", "from_email", "subject", "status", "created_at"],
        keep: Keep::No,
    },
    Place {
        table: "site_outbox",
        matches: "recipient = $1",
        columns: &[
            "id",
            "created_at",
            "kind",
            "recipient",
            "subject",
            "body",
            "sent_at",
        ],
        keep: Keep::No,
    },
    Place {
        table: "site_users",
        matches: "email = $1",
        columns: &[
            "id",
            "account_id",
            "email",
            "name",
            "role",
            "status",
            "created_at",
        ],
        keep: Keep::WithAccount,
    },
    Place {
        table: "tickets",
        matches: "from_email = $1 AND account_id IS NOT NULL",
        columns: &[
            "id",
            "account_id",
            "from_email",
            "subject",
            "status",
            "created_at",
        ],
        keep: Keep::WithAccount,
    },
    Place {
        table: "site_rights_requests",
        matches: "email = $1",
        columns: &["id", "kind", "name", "email", "details", "received_at"],
        keep: Keep::AsRecord,
    },
];

/// One table's rows about the address, every value as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Option<String>>>,
}

/// A copy of everything held about `email` (lower-cased), table by table.
pub async fn export(tx: &mut Tx, email: &str) -> Result<Vec<Section>, StoreError> {
    let mut out = Vec::new();
    for place in PLACES {
        let cols: Vec<String> = place
            .columns
            .iter()
            .map(|c| format!("CAST({c} AS TEXT)"))
            .collect();
        // Table and column names come from the list above, never input.
        let sql = format!(
            "SELECT {} FROM {} WHERE {}",
            cols.join(", "),
            place.table,
            place.matches
        );
        let n = place.columns.len();
        let rows: Vec<Vec<Option<String>>> = on_tx!(tx, c => {
            let fetched = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(email)
                .fetch_all(&mut **c)
                .await?;
            fetched
                .iter()
                .map(|r| (0..n).map(|i| r.try_get::<Option<String>, _>(i)).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, sqlx::Error>>()
        })?;
        if !rows.is_empty() {
            out.push(Section {
                table: place.table,
                columns: place.columns,
                rows,
            });
        }
    }
    Ok(out)
}

/// What a deletion did: rows deleted per table, and what was kept, why
/// and until when, in sentences the requester is told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    pub deleted: Vec<(&'static str, u64)>,
    pub kept: Vec<String>,
}

impl Erasure {
    fn deleted_count(&self) -> u64 {
        self.deleted.iter().map(|(_, n)| n).sum()
    }

    /// The summary recorded as the request's outcome.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "Deleted {} records held about this address.",
            self.deleted_count()
        );
        for k in &self.kept {
            s.push(' ');
            s.push_str(k);
        }
        s
    }

    /// What was deleted and what was kept, why and until when, as a
    /// letter to the requester says it.
    pub fn account(&self) -> String {
        let mut s = format!(
            "We deleted the {} records we held about your address.",
            self.deleted_count()
        );
        if self.kept.is_empty() {
            s.push_str(" We kept nothing.");
        } else {
            s.push_str("\n\nWhat we kept, why and until when:");
            for k in &self.kept {
                s.push_str("\n- ");
                s.push_str(k);
            }
        }
        s
    }
}

/// Deletes what no rule keeps about `email`, in the caller's transaction.
pub async fn erase(tx: &mut Tx, email: &str, now: Timestamp) -> Result<Erasure, StoreError> {
    let mut result = Erasure::default();
    for place in PLACES {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {}",
            place.table, place.matches
        );
        let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_one(&mut **c)
            .await)?;
        if n == 0 {
            continue;
        }
        match place.keep {
            Keep::No => {
                let sql = format!("DELETE FROM {} WHERE {}", place.table, place.matches);
                let gone = execute!(tx, sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email))?;
                result.deleted.push((place.table, gone));
            }
            Keep::WithAccount => result.kept.push(kept_with_account(tx, email, now).await?),
            Keep::AsRecord => result
                .kept
                .push("Your privacy requests are kept as the record that we answered them.".into()),
        }
    }
    result.kept.dedup();
    Ok(result)
}

/// The sentence for a customer user's data: kept while the account is
/// open, or until a year after its closure.
async fn kept_with_account(
    tx: &mut Tx,
    email: &str,
    _now: Timestamp,
) -> Result<String, StoreError> {
    let closed: Option<(Option<i64>,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT a.closed_at FROM site_users u JOIN accounts a ON a.id = u.account_id WHERE u.email = $1"
    )
    .bind(email)
    .fetch_optional(&mut **c)
    .await)?;
    Ok(match closed.and_then(|(c,)| c) {
        Some(at) => {
            let until = crate::retention::rules::utc_date(Timestamp::from_micros(at))
                .checked_add(jiff::Span::new().years(1))
                .map(|d| d.to_string())
                .unwrap_or_default();
            format!(
                "Your customer account's data is kept until {until}, one year after the account was closed, and then deleted."
            )
        }
        None => "Your customer account's data is kept while the account is open and for one year after it is closed; the practice owner can close it in the portal.".into(),
    })
}
