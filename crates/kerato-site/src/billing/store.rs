//! The SQL of subscriptions, invoices and payments.

use jiff::civil::Date;
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::audit::{self, Event};
use crate::billing::rules::*;
use crate::processor::PaymentIntent;

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

/// Cancels the account's subscription in the caller's transaction (account
/// closure); no invoice is issued for it afterwards.
pub async fn cancel(
    tx: &mut Tx,
    account_id: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let Some(sub) = subscription_of(tx, account_id)
        .await?
        .filter(|s| s.status == "active")
    else {
        return Ok(());
    };
    execute!(
        tx,
        sqlx::query(
            "UPDATE subscriptions SET status = 'cancelled', cancelled_at = $1, updated_at = $1 WHERE id = $2"
        )
        .bind(now.as_micros())
        .bind(&sub.id)
    )?;
    let subject = format!("subscription:{}", sub.id);
    audit::record(
        tx,
        now,
        Event {
            actor: Some(actor),
            action: "subscription.cancelled",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    Ok(())
}

/// An open invoice becomes paid; returns how many rows changed (0 when it
/// was not open).
pub(crate) async fn mark_paid(
    tx: &mut Tx,
    invoice_id: &str,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(execute!(
        tx,
        sqlx::query(
            "UPDATE invoices SET status = 'paid', paid_at = $1 WHERE id = $2 AND status = 'open'"
        )
        .bind(now.as_micros())
        .bind(invoice_id)
    )?)
}

/// What the processor said of the card and any error, as stored.
#[derive(Debug)]
pub(crate) struct PaymentCard<'a> {
    pub brand: Option<&'a str>,
    pub last4: Option<&'a str>,
    pub error_code: Option<&'a str>,
}

/// Records an attempt's payment intent, or its new status when the attempt
/// was recorded before.
pub(crate) async fn upsert_payment(
    tx: &mut Tx,
    invoice_id: &str,
    attempt: i64,
    intent: &PaymentIntent,
    card: PaymentCard<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO payments (id, invoice_id, attempt, intent_id, amount_cents, currency, status, card_brand, card_last4, error_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (invoice_id, attempt) DO UPDATE SET status = $7, card_brand = $8, card_last4 = $9, error_code = $10, updated_at = $11"
        )
        .bind(new_id(now))
        .bind(invoice_id)
        .bind(attempt)
        .bind(&intent.id)
        .bind(intent.amount)
        .bind(&intent.currency)
        .bind(intent.status.as_str())
        .bind(card.brand)
        .bind(card.last4)
        .bind(card.error_code)
        .bind(now.as_micros())
    )?;
    Ok(())
}

/// The account's subscription, started or changed to `choice`.
pub(crate) async fn upsert_subscription(
    tx: &mut Tx,
    id: &str,
    account_id: &str,
    choice: &Choice,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO subscriptions (id, account_id, plan, locations, seats, status, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) \
             ON CONFLICT (account_id) DO UPDATE SET plan = $3, locations = $4, seats = $5, \
             status = 'active', updated_at = $6, cancelled_at = NULL"
        )
        .bind(id)
        .bind(account_id)
        .bind(choice.plan.as_str())
        .bind(choice.locations)
        .bind(choice.seats)
        .bind(now.as_micros())
    )?;
    Ok(())
}

pub(crate) async fn insert_invoice_line(
    tx: &mut Tx,
    invoice_id: &str,
    position: i64,
    l: &Line,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, position, description, quantity, unit_cents, amount_cents) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(invoice_id)
        .bind(position)
        .bind(&l.description)
        .bind(l.quantity)
        .bind(l.unit_cents)
        .bind(l.amount_cents)
    )?;
    Ok(())
}

/// An invoice to issue for one subscription and period.
#[derive(Debug)]
pub(crate) struct NewInvoice<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub subscription_id: &'a str,
    pub period: (Date, Date),
    pub total: i64,
}

/// Issues an open invoice unless the subscription has one for the
/// period; returns how many rows were inserted (0 or 1).
pub(crate) async fn insert_invoice(
    tx: &mut Tx,
    inv: NewInvoice<'_>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    Ok(execute!(
        tx,
        sqlx::query(
            "INSERT INTO invoices (id, account_id, subscription_id, period_start, period_end, currency, total_cents, status, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) ON CONFLICT (subscription_id, period_start) DO NOTHING"
        )
        .bind(inv.id)
        .bind(inv.account_id)
        .bind(inv.subscription_id)
        .bind(inv.period.0.to_string())
        .bind(inv.period.1.to_string())
        .bind(CURRENCY)
        .bind(inv.total)
        .bind(now.as_micros())
    )?)
}

/// Every active subscription of an open account: its ID, account, plan,
/// locations and seats.
pub(crate) async fn active_subscriptions(
    tx: &mut Tx,
) -> Result<Vec<(String, String, String, i64, i64)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT s.id, s.account_id, s.plan, s.locations, s.seats FROM subscriptions s \
         JOIN accounts a ON a.id = s.account_id \
         WHERE s.status = 'active' AND a.status = 'active' ORDER BY s.id"
    )
    .fetch_all(&mut **c)
    .await)?)
}
