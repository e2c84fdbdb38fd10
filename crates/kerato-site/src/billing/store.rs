//! The SQL of subscriptions, invoices and payments.

use crate::billing::rules::*;
use kerato_core::time::Timestamp;
use kerato_db::StoreError;
use kerato_db::Tx;
use kerato_db::on_tx;

pub async fn subscription_of(
    tx: &mut Tx,
    account_id: &str,
) -> Result<Option<Subscription>, StoreError> {
    let row: Option<(String, String, i64, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, plan, locations, seats, status FROM subscriptions WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|r| {
        Ok(Subscription {
            id: r.0,
            plan: r.1.parse().map_err(kerato_db::corrupt)?,
            locations: r.2,
            seats: r.3,
            status: r.4,
        })
    })
    .transpose()
}

pub(crate) async fn active_users(tx: &mut Tx, account_id: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM site_users WHERE account_id = $1 AND status = 'active'"
    )
    .bind(account_id)
    .fetch_one(&mut **c)
    .await)?;
    Ok(n)
}

pub(crate) fn new_id(now: Timestamp) -> String {
    kerato_core::ids::uuid_v7(now, rand::random()).to_string()
}

pub(crate) type InvoiceRow = (String, String, String, String, i64, String, i64);

pub(crate) fn invoice(r: InvoiceRow) -> Result<Invoice, StoreError> {
    Ok(Invoice {
        id: r.0,
        period_start: r.1,
        period_end: r.2,
        currency: r.3,
        total_cents: r.4,
        status: r.5.parse().map_err(kerato_db::corrupt)?,
        issued_at: Timestamp::from_micros(r.6),
    })
}

pub(crate) const INVOICE_COLUMNS: &str =
    "id, period_start, period_end, currency, total_cents, status, issued_at";

/// The account's invoices, newest period first.
pub async fn invoices_of(tx: &mut Tx, account_id: &str) -> Result<Vec<Invoice>, StoreError> {
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE account_id = $1 ORDER BY period_start DESC"
    );
    kerato_db::fetch_all_by!(tx, sql, account_id, InvoiceRow, invoice)
}

/// One of the account's invoices; another account's is not found.
pub async fn invoice_of(
    tx: &mut Tx,
    account_id: &str,
    id: &str,
) -> Result<Option<Invoice>, StoreError> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1 AND account_id = $2");
    let row: Option<InvoiceRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(account_id)
        .fetch_optional(&mut **c)
        .await)?;
    row.map(invoice).transpose()
}

pub async fn lines_of(tx: &mut Tx, invoice_id: &str) -> Result<Vec<Line>, StoreError> {
    let rows: Vec<(String, i64, i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT description, quantity, unit_cents, amount_cents FROM invoice_lines WHERE invoice_id = $1 ORDER BY position"
    )
    .bind(invoice_id)
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| Line {
            description: r.0,
            quantity: r.1,
            unit_cents: r.2,
            amount_cents: r.3,
        })
        .collect())
}

pub async fn payments_of(tx: &mut Tx, invoice_id: &str) -> Result<Vec<Payment>, StoreError> {
    type Row = (
        i64,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT attempt, intent_id, amount_cents, status, card_brand, card_last4, error_code \
         FROM payments WHERE invoice_id = $1 ORDER BY attempt"
    )
    .bind(invoice_id)
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| Payment {
            attempt: r.0,
            intent_id: r.1,
            amount_cents: r.2,
            status: r.3,
            card_brand: r.4,
            card_last4: r.5,
            error_code: r.6,
        })
        .collect())
}
