//! Plans, subscriptions, invoices and card payments.
//!
//! Plans are data in code, shared by the pricing page and the invoices, so
//! a price is written once. An account has one subscription (plan,
//! locations, seats); invoices copy it when they are issued, so a change
//! takes effect at the next invoice. Money is integer cents throughout.
//! Payments go through [`crate::processor`]: the site stores the
//! processor's IDs, the status, the amount and the card's brand and last
//! four digits, never a card number.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::civil::Date;
use kerato_core::ValidationErrors;
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::accounts::{Permission, User};
use crate::audit::{self, Event};
use crate::auth::SignedIn;
use crate::processor::{IntentStatus, PaymentIntent, TEST_TOKENS};
use crate::web::{Form, Layout, Section, SiteError};

kerato_core::string_enum!(
    /// The plans on offer.
    PlanId {
        Solo = "solo", "Solo";
        Practice = "practice", "Practice";
        Group = "group", "Group";
    }
);

/// A plan: its price per location per month and what it includes.
#[derive(Debug)]
pub struct Plan {
    pub id: PlanId,
    pub location_cents: i64,
    pub max_locations: i64,
    /// Seats included in the price; `None` is unlimited.
    pub included_seats: Option<i64>,
    /// The monthly price of each seat beyond the included ones.
    pub extra_seat_cents: i64,
    pub points: &'static [&'static str],
}

pub const PLANS: &[Plan] = &[
    Plan {
        id: PlanId::Solo,
        location_cents: 14_900,
        max_locations: 1,
        included_seats: Some(3),
        extra_seat_cents: 2_500,
        points: &["One location", "One specialty", "E-mail support"],
    },
    Plan {
        id: PlanId::Practice,
        location_cents: 34_900,
        max_locations: 3,
        included_seats: Some(15),
        extra_seat_cents: 2_000,
        points: &[
            "Up to three locations",
            "Dermatology, eye care and optical",
            "Phone and e-mail support",
        ],
    },
    Plan {
        id: PlanId::Group,
        location_cents: 89_900,
        max_locations: MAX_LOCATIONS,
        included_seats: None,
        extra_seat_cents: 0,
        points: &[
            "Any number of locations",
            "PostgreSQL for larger groups",
            "A named support engineer",
        ],
    },
];

/// The most locations any subscription may have.
pub const MAX_LOCATIONS: i64 = 50;
/// The most seats any subscription may have.
pub const MAX_SEATS: i64 = 500;
/// Invoices are in US dollars.
pub const CURRENCY: &str = "usd";

impl Plan {
    pub fn of(id: PlanId) -> &'static Plan {
        // PLANS lists every PlanId; the test below keeps it that way.
        PLANS.iter().find(|p| p.id == id).unwrap_or(&PLANS[0])
    }

    pub fn name(&self) -> &'static str {
        self.id.label()
    }

    pub fn price(&self) -> String {
        money(self.location_cents)
    }

    /// What the pricing page says about users.
    pub fn seats(&self) -> String {
        match self.included_seats {
            Some(n) => format!(
                "{n} users included, {} a month per extra user",
                money(self.extra_seat_cents)
            ),
            None => "unlimited users".into(),
        }
    }
}

/// Cents as dollars: `$1,234.50`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let dollars = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, d) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub amount_cents: i64,
}

impl Line {
    fn new(description: String, quantity: i64, unit_cents: i64) -> Self {
        Self {
            description,
            quantity,
            unit_cents,
            amount_cents: quantity * unit_cents,
        }
    }

    pub fn unit(&self) -> String {
        money(self.unit_cents)
    }

    pub fn amount(&self) -> String {
        money(self.amount_cents)
    }
}

/// The lines a month of a plan costs: the plan per location, and the seats
/// beyond the included ones if there are any.
pub fn lines(plan: &Plan, locations: i64, seats: i64) -> Vec<Line> {
    let mut out = vec![Line::new(
        format!("{} plan, per location", plan.name()),
        locations,
        plan.location_cents,
    )];
    if let Some(included) = plan.included_seats {
        let extra = seats - included;
        if extra > 0 {
            out.push(Line::new(
                format!("Users beyond the {included} included"),
                extra,
                plan.extra_seat_cents,
            ));
        }
    }
    out
}

pub fn total(lines: &[Line]) -> i64 {
    lines.iter().map(|l| l.amount_cents).sum()
}

/// What the billing form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInput {
    pub plan: String,
    pub locations: String,
    pub seats: String,
}

/// A checked choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub plan: PlanId,
    pub locations: i64,
    pub seats: i64,
}

fn whole(
    errors: &mut ValidationErrors,
    field: &str,
    what: &str,
    value: &str,
    max: i64,
) -> Option<i64> {
    match value.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            errors.add(
                field,
                format!("enter the number of {what} as a whole number from 1 to {max}"),
            );
            None
        }
    }
}

impl SubscriptionInput {
    fn from_form(f: &Form) -> Self {
        Self {
            plan: f.get("plan"),
            locations: f.get("locations"),
            seats: f.get("seats"),
        }
    }

    /// Every problem at once, by field; seats may not fall below the
    /// account's active users.
    pub fn validate(&self, active_users: i64) -> Result<Choice, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let plan = self.plan.parse::<PlanId>().ok();
        if plan.is_none() {
            e.add("plan", "choose one of the plans: Solo, Practice or Group");
        }
        let locations = whole(
            &mut e,
            "locations",
            "locations",
            &self.locations,
            MAX_LOCATIONS,
        );
        let seats = whole(&mut e, "seats", "seats", &self.seats, MAX_SEATS);
        if let (Some(p), Some(l)) = (plan.map(Plan::of), locations)
            && l > p.max_locations
        {
            e.add(
                "locations",
                format!(
                    "the {} plan covers up to {} location(s); choose a larger plan or fewer locations",
                    p.name(),
                    p.max_locations
                ),
            );
        }
        if let Some(s) = seats
            && s < active_users
        {
            e.add(
                "seats",
                format!(
                    "the account has {active_users} active users; choose at least {active_users} seats"
                ),
            );
        }
        match (plan, locations, seats) {
            (Some(plan), Some(locations), Some(seats)) if e.is_empty() => Ok(Choice {
                plan,
                locations,
                seats,
            }),
            _ => Err(e),
        }
    }
}

/// An account's subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub plan: PlanId,
    pub locations: i64,
    pub seats: i64,
    pub status: String,
}

impl Subscription {
    /// What the next invoice will charge.
    pub fn monthly(&self) -> String {
        money(total(&lines(
            Plan::of(self.plan),
            self.locations,
            self.seats,
        )))
    }
}

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

async fn active_users(tx: &mut Tx, account_id: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM site_users WHERE account_id = $1 AND status = 'active'"
    )
    .bind(account_id)
    .fetch_one(&mut **c)
    .await)?;
    Ok(n)
}

fn new_id(now: Timestamp) -> String {
    kerato_core::ids::uuid_v7(now, rand::random()).to_string()
}

fn account_of(user: &User) -> Result<&str, SiteError> {
    user.account_id
        .as_deref()
        .ok_or_else(|| SiteError::Forbidden("only a practice has a subscription".into()))
}

/// Chooses or changes the account's subscription; the next invoice uses it.
pub async fn subscribe(site: &Site, by: &User, input: &SubscriptionInput) -> Result<(), SiteError> {
    let account_id = account_of(by)?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let users = active_users(&mut tx, account_id).await?;
    let choice = input.validate(users).map_err(SiteError::Validation)?;
    let existing = subscription_of(&mut tx, account_id).await?;
    let id = existing
        .as_ref()
        .map_or_else(|| new_id(now), |s| s.id.clone());
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO subscriptions (id, account_id, plan, locations, seats, status, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) \
             ON CONFLICT (account_id) DO UPDATE SET plan = $3, locations = $4, seats = $5, \
             status = 'active', updated_at = $6, cancelled_at = NULL"
        )
        .bind(&id)
        .bind(account_id)
        .bind(choice.plan.as_str())
        .bind(choice.locations)
        .bind(choice.seats)
        .bind(now.as_micros())
    )?;
    let subject = format!("subscription:{id}");
    let actor = format!("user:{}", by.id);
    let detail = format!(
        "plan={} locations={} seats={}",
        choice.plan, choice.locations, choice.seats
    );
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(&actor),
            action: if existing.is_some() {
                "subscription.changed"
            } else {
                "subscription.started"
            },
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
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

kerato_core::string_enum!(
    /// Where an invoice stands: open until paid or voided.
    InvoiceStatus {
        Open = "open", "Open";
        Paid = "paid", "Paid";
        Void = "void", "Void";
    }
);

/// An issued invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub period_start: String,
    pub period_end: String,
    pub currency: String,
    pub total_cents: i64,
    pub status: InvoiceStatus,
    pub issued_at: Timestamp,
}

impl Invoice {
    pub fn total(&self) -> String {
        money(self.total_cents)
    }
}

type InvoiceRow = (String, String, String, String, i64, String, i64);

fn invoice(r: InvoiceRow) -> Result<Invoice, StoreError> {
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

const INVOICE_COLUMNS: &str =
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

/// The monthly billing period that holds `day`: its first day and the
/// first day of the next month (not included).
pub fn month_of(day: Date) -> (Date, Date) {
    let start = day.first_of_month();
    let end = start
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(Date::MAX);
    (start, end)
}

/// Issues one invoice per active subscription of an open account for the
/// period (start included, end excluded). Issuing again for the same
/// period issues nothing: the unique key on (subscription, start) holds.
/// Returns the number of invoices issued.
pub async fn issue_invoices(site: &Site, period: (Date, Date)) -> Result<u64, SiteError> {
    let (start, end) = period;
    if start >= end {
        return Err(SiteError::BadRequest(format!(
            "the period {start} to {end} is empty; its end must come after its start"
        )));
    }
    let now = site.now();
    let mut tx = site.store.write().await?;
    let subs: Vec<(String, String, String, i64, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT s.id, s.account_id, s.plan, s.locations, s.seats FROM subscriptions s \
         JOIN accounts a ON a.id = s.account_id \
         WHERE s.status = 'active' AND a.status = 'active' ORDER BY s.id"
    )
    .fetch_all(&mut **c)
    .await)?;
    let mut issued = 0;
    for (sub_id, account_id, plan, locations, seats) in subs {
        let plan: PlanId = plan.parse().map_err(kerato_db::corrupt)?;
        let lines = lines(Plan::of(plan), locations, seats);
        let total = total(&lines);
        let id = new_id(now);
        let inserted = execute!(
            &mut tx,
            sqlx::query(
                "INSERT INTO invoices (id, account_id, subscription_id, period_start, period_end, currency, total_cents, status, issued_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) ON CONFLICT (subscription_id, period_start) DO NOTHING"
            )
            .bind(&id)
            .bind(&account_id)
            .bind(&sub_id)
            .bind(start.to_string())
            .bind(end.to_string())
            .bind(CURRENCY)
            .bind(total)
            .bind(now.as_micros())
        )?;
        if inserted == 0 {
            continue;
        }
        for (position, l) in (1_i64..).zip(&lines) {
            execute!(
                &mut tx,
                sqlx::query(
                    "INSERT INTO invoice_lines (invoice_id, position, description, quantity, unit_cents, amount_cents) \
                     VALUES ($1, $2, $3, $4, $5, $6)"
                )
                .bind(&id)
                .bind(position)
                .bind(&l.description)
                .bind(l.quantity)
                .bind(l.unit_cents)
                .bind(l.amount_cents)
            )?;
        }
        let subject = format!("invoice:{id}");
        let detail = format!("period={start} total_cents={total}");
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("system:billing"),
                action: "invoice.issued",
                subject: Some(&subject),
                detail: Some(&detail),
            },
        )
        .await?;
        issued += 1;
    }
    tx.commit().await?;
    Ok(issued)
}

/// A payment attempt as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub attempt: i64,
    pub intent_id: String,
    pub amount_cents: i64,
    pub status: String,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub error_code: Option<String>,
}

impl Payment {
    pub fn amount(&self) -> String {
        money(self.amount_cents)
    }
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

/// Field names that would carry card data. The form never has them; a
/// request that does is refused before anything is stored.
const CARD_FIELDS: &[&str] = &[
    "cardnumber",
    "number",
    "ccnumber",
    "cardno",
    "pan",
    "cvc",
    "cvv",
    "cvc2",
    "cvv2",
    "securitycode",
    "exp",
    "expiry",
    "expmonth",
    "expyear",
    "expiration",
];

/// Whether a value holds twelve digits or more in a row, with the spaces
/// and dashes people type between them. A run that touches a letter is part
/// of a word or a hex token (the CSRF token has long digit runs by chance),
/// not a card number.
fn has_card_like_number(v: &str) -> bool {
    let mut digits = 0;
    let mut glued = false;
    for c in v.chars() {
        if c.is_ascii_digit() {
            digits += 1;
        } else if !((c == ' ' || c == '-') && digits > 0) {
            if digits >= 12 && !glued && !c.is_ascii_alphabetic() {
                return true;
            }
            digits = 0;
            glued = c.is_ascii_alphabetic();
        }
    }
    digits >= 12 && !glued
}

/// Refuses a request that carries a card number, expiry or security code,
/// by field name or by a value with twelve digits or more.
pub fn refuse_card_data(pairs: &[(String, String)]) -> Result<(), SiteError> {
    let carries_card = pairs.iter().any(|(k, v)| {
        let name: String = k
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        CARD_FIELDS.contains(&name.as_str()) || has_card_like_number(v)
    });
    if carries_card {
        return Err(SiteError::BadRequest(
            "this site never accepts card numbers, expiry dates or security codes: card details go only to the payment processor. Nothing was stored; pay from the invoice's payment page".into(),
        ));
    }
    Ok(())
}

/// What became of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    AlreadyPaid,
    /// Declined or not completed, with what to tell the payer.
    Unpaid(String),
}

pub const DECLINED: &str = "The card was declined; try another card";

/// Checks a payment method token: one of the test tokens in test mode,
/// otherwise a processor token (`tok_…` or `pm_…`) as its card form issues.
fn check_token(site: &Site, token: &str) -> Result<(), ValidationErrors> {
    let ok = if site.payments.is_test_mode() {
        TEST_TOKENS.iter().any(|(t, _)| *t == token)
    } else {
        (token.starts_with("tok_") || token.starts_with("pm_"))
            && token.len() <= 255
            && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationErrors::single(
            "payment_method",
            "choose a card to pay with",
        ))
    }
}

async fn audit_payment(
    site: &Site,
    actor: &str,
    invoice_id: &str,
    action: &str,
    detail: &str,
) -> Result<(), SiteError> {
    let mut tx = site.store.write().await?;
    let subject = format!("invoice:{invoice_id}");
    audit::record(
        &mut tx,
        site.now(),
        Event {
            actor: Some(actor),
            action,
            subject: Some(&subject),
            detail: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Pays an open invoice with a processor token. The idempotency key is
/// the invoice and the attempt number the form carried, so the same form
/// sent twice is one intent and one charge at the processor. Nothing is
/// held open in the database while the processor answers.
pub async fn pay(
    site: &Site,
    payer: &User,
    invoice_id: &str,
    attempt: &str,
    token: &str,
) -> Result<Outcome, SiteError> {
    let account_id = account_of(payer)?;
    let actor = format!("user:{}", payer.id);
    let mut tx = site.store.read().await?;
    let inv = invoice_of(&mut tx, account_id, invoice_id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let attempts = payments_of(&mut tx, invoice_id).await?.len() as i64;
    drop(tx);
    match inv.status {
        InvoiceStatus::Paid => return Ok(Outcome::AlreadyPaid),
        InvoiceStatus::Void => {
            return Err(SiteError::Conflict(
                "this invoice was voided; there is nothing to pay".into(),
            ));
        }
        InvoiceStatus::Open => {}
    }
    let attempt = attempt
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|a| (1..=attempts + 1).contains(a))
        .ok_or_else(|| {
            SiteError::BadRequest(
                "this payment form is out of date; open the payment page again".into(),
            )
        })?;
    check_token(site, token).map_err(SiteError::Validation)?;
    let key = format!("invoice-{invoice_id}-attempt-{attempt}");
    // The attempt is on record before the processor is asked, so an
    // attempt whose answer never comes back is still in the trail.
    audit_payment(
        site,
        &actor,
        invoice_id,
        "payment.attempted",
        &format!("attempt={attempt}"),
    )
    .await?;
    let result = charge(site, &inv, &key, token).await;
    let intent = match result {
        Ok(i) => i,
        Err(e) => {
            audit_payment(
                site,
                &actor,
                invoice_id,
                "payment.failed",
                "processor unavailable",
            )
            .await?;
            return Err(e);
        }
    };
    record_outcome(site, &actor, &inv, attempt, &intent).await?;
    Ok(match intent.status {
        IntentStatus::Succeeded => Outcome::Paid,
        IntentStatus::RequiresPaymentMethod => Outcome::Unpaid(DECLINED.into()),
        // A card that needs the processor's own check (3-D Secure) or an
        // intent still processing cannot finish here without the
        // processor's script and webhooks, which this build does not have.
        other => Outcome::Unpaid(format!(
            "The processor did not complete the payment ({}); the invoice stays open. Try another card, or contact us",
            other.as_str()
        )),
    })
}

/// Creates (or, with the same key, finds again) the intent and confirms it
/// unless it already succeeded.
async fn charge(
    site: &Site,
    inv: &Invoice,
    key: &str,
    token: &str,
) -> Result<PaymentIntent, SiteError> {
    let unavailable = |e: crate::processor::ProcessorError| SiteError::Internal(e.to_string());
    let reference = format!("invoice:{}", inv.id);
    let intent = site
        .payments
        .create_payment_intent(
            inv.total_cents,
            &inv.currency,
            &format!("{key}-create"),
            &reference,
        )
        .await
        .map_err(unavailable)?;
    if intent.amount != inv.total_cents || intent.currency != inv.currency {
        return Err(SiteError::Internal(format!(
            "the processor's intent {} is for another amount",
            intent.id
        )));
    }
    if intent.status == IntentStatus::Succeeded {
        return Ok(intent);
    }
    site.payments
        .confirm(&intent.id, token, &format!("{key}-confirm"))
        .await
        .map_err(unavailable)
}

async fn record_outcome(
    site: &Site,
    actor: &str,
    inv: &Invoice,
    attempt: i64,
    intent: &PaymentIntent,
) -> Result<(), SiteError> {
    let now = site.now();
    let brand = intent.card.as_ref().and_then(|c| c.brand.clone());
    let last4 = intent.card.as_ref().and_then(|c| c.last4.clone());
    let error_code = intent
        .last_payment_error
        .as_ref()
        .and_then(|e| e.code.clone());
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO payments (id, invoice_id, attempt, intent_id, amount_cents, currency, status, card_brand, card_last4, error_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (invoice_id, attempt) DO UPDATE SET status = $7, card_brand = $8, card_last4 = $9, error_code = $10, updated_at = $11"
        )
        .bind(new_id(now))
        .bind(&inv.id)
        .bind(attempt)
        .bind(&intent.id)
        .bind(intent.amount)
        .bind(&intent.currency)
        .bind(intent.status.as_str())
        .bind(&brand)
        .bind(&last4)
        .bind(&error_code)
        .bind(now.as_micros())
    )?;
    let subject = format!("invoice:{}", inv.id);
    let detail = format!(
        "attempt={attempt} intent={} status={}{}",
        intent.id,
        intent.status.as_str(),
        error_code
            .as_deref()
            .map(|c| format!(" code={c}"))
            .unwrap_or_default()
    );
    let succeeded = intent.status == IntentStatus::Succeeded;
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: if succeeded {
                "payment.succeeded"
            } else {
                "payment.declined"
            },
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    if succeeded {
        let changed = execute!(
            &mut tx,
            sqlx::query("UPDATE invoices SET status = 'paid', paid_at = $1 WHERE id = $2 AND status = 'open'")
                .bind(now.as_micros())
                .bind(&inv.id)
        )?;
        if changed > 0 {
            audit::record(
                &mut tx,
                now,
                Event {
                    actor: Some(actor),
                    action: "invoice.paid",
                    subject: Some(&subject),
                    detail: None,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Template, WebTemplate)]
#[template(path = "billing.html")]
struct BillingPage {
    layout: Layout,
    plans: &'static [Plan],
    subscription: Option<Subscription>,
    input: SubscriptionInput,
    errors: ValidationErrors,
    saved: bool,
    active_users: i64,
    invoices: Vec<Invoice>,
    max_locations: i64,
    max_seats: i64,
}

async fn billing_page(
    site: &Site,
    csrf: &CsrfToken,
    who: &SignedIn,
    input: Option<SubscriptionInput>,
    errors: ValidationErrors,
    saved: bool,
) -> Result<BillingPage, SiteError> {
    let me = who.require(Permission::Billing)?;
    let account_id = account_of(me)?;
    let mut tx = site.store.read().await?;
    let subscription = subscription_of(&mut tx, account_id).await?;
    let active_users = active_users(&mut tx, account_id).await?;
    let invoices = invoices_of(&mut tx, account_id).await?;
    let input = input.unwrap_or_else(|| match &subscription {
        Some(s) => SubscriptionInput {
            plan: s.plan.as_str().into(),
            locations: s.locations.to_string(),
            seats: s.seats.to_string(),
        },
        None => SubscriptionInput {
            plan: PlanId::Practice.as_str().into(),
            locations: "1".into(),
            seats: active_users.max(1).to_string(),
        },
    });
    Ok(BillingPage {
        layout: Layout::new(site, csrf, "Subscription and invoices", Section::Portal),
        plans: PLANS,
        subscription,
        input,
        errors,
        saved,
        active_users,
        invoices,
        max_locations: MAX_LOCATIONS,
        max_seats: MAX_SEATS,
    })
}

async fn billing(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<BillingPage, SiteError> {
    billing_page(&site, &csrf, &who, None, ValidationErrors::new(), false).await
}

async fn choose(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: Form,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::Billing)?;
    let input = SubscriptionInput::from_form(&form);
    match subscribe(&site, me, &input).await {
        Ok(()) => Ok(
            billing_page(&site, &csrf, &who, None, ValidationErrors::new(), true)
                .await?
                .into_response(),
        ),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            billing_page(&site, &csrf, &who, Some(input), errors, false).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "invoice.html")]
struct InvoicePage {
    layout: Layout,
    invoice: Invoice,
    lines: Vec<Line>,
    payments: Vec<Payment>,
}

async fn invoice_page(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<InvoicePage, SiteError> {
    let me = who.require(Permission::Billing)?;
    let account_id = account_of(me)?;
    let mut tx = site.store.read().await?;
    let invoice = invoice_of(&mut tx, account_id, &id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let lines = lines_of(&mut tx, &id).await?;
    let payments = payments_of(&mut tx, &id).await?;
    Ok(InvoicePage {
        layout: Layout::new(&site, &csrf, "Invoice", Section::Portal),
        invoice,
        lines,
        payments,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pay.html")]
struct PayPage {
    layout: Layout,
    invoice: Invoice,
    attempt: i64,
    test_mode: bool,
    tokens: &'static [(&'static str, &'static str)],
    errors: ValidationErrors,
}

async fn pay_page(
    site: &Site,
    csrf: &CsrfToken,
    who: &SignedIn,
    id: &str,
    errors: ValidationErrors,
) -> Result<PayPage, SiteError> {
    let me = who.require(Permission::Billing)?;
    let account_id = account_of(me)?;
    let mut tx = site.store.read().await?;
    let invoice = invoice_of(&mut tx, account_id, id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let attempt = payments_of(&mut tx, id).await?.len() as i64 + 1;
    Ok(PayPage {
        layout: Layout::new(site, csrf, "Pay an invoice", Section::Portal),
        invoice,
        attempt,
        test_mode: site.payments.is_test_mode(),
        tokens: TEST_TOKENS,
        errors,
    })
}

async fn pay_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<PayPage, SiteError> {
    pay_page(&site, &csrf, &who, &id, ValidationErrors::new()).await
}

async fn pay_submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, SiteError> {
    refuse_card_data(form.pairs())?;
    let me = who.require(Permission::Billing)?;
    let outcome = pay(
        &site,
        me,
        &id,
        &form.get("attempt"),
        &form.get("payment_method"),
    )
    .await;
    let message = match outcome {
        Ok(Outcome::Paid | Outcome::AlreadyPaid) => {
            return Ok(Redirect::to(&format!("/portal/billing/invoices/{id}")).into_response());
        }
        Ok(Outcome::Unpaid(m)) => ValidationErrors::single("payment_method", m),
        Err(SiteError::Validation(errors)) => errors,
        Err(e) => return Err(e),
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        pay_page(&site, &csrf, &who, &id, message).await?,
    )
        .into_response())
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/portal/billing", get(billing).post(choose))
        .route("/portal/billing/invoices/{id}", get(invoice_page))
        .route(
            "/portal/billing/invoices/{id}/pay",
            get(pay_form).post(pay_submit),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_months() {
        let d = |y, m, day| jiff::civil::date(y, m, day);
        assert_eq!(month_of(d(2026, 11, 27)), (d(2026, 11, 1), d(2026, 12, 1)));
        assert_eq!(month_of(d(2026, 12, 31)), (d(2026, 12, 1), d(2027, 1, 1)));
        assert_eq!(month_of(d(2028, 2, 29)), (d(2028, 2, 1), d(2028, 3, 1)));
    }

    #[test]
    fn every_plan_id_has_a_plan() {
        for id in PlanId::ALL {
            assert_eq!(Plan::of(*id).id, *id);
        }
    }

    #[test]
    fn money_is_shown_in_dollars_with_grouping() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(14_900), "$149.00");
        assert_eq!(money(123_456_789), "$1,234,567.89");
        assert_eq!(money(-5), "-$0.05");
    }

    #[test]
    fn extra_seats_are_a_line_only_when_there_are_some() {
        let solo = Plan::of(PlanId::Solo);
        assert_eq!(lines(solo, 1, 3).len(), 1);
        let l = lines(solo, 1, 5);
        assert_eq!(l[1].quantity, 2);
        assert_eq!(total(&l), 14_900 + 2 * 2_500);
        assert_eq!(lines(Plan::of(PlanId::Group), 7, 400).len(), 1);
    }

    #[test]
    fn the_choice_is_checked_field_by_field() {
        let ok = SubscriptionInput {
            plan: "practice".into(),
            locations: "2".into(),
            seats: "5".into(),
        };
        assert_eq!(
            ok.validate(3),
            Ok(Choice {
                plan: PlanId::Practice,
                locations: 2,
                seats: 5
            })
        );
        let e = ok.validate(6).unwrap_err();
        assert!(
            e.for_field("seats")
                .is_some_and(|m| m.contains("at least 6"))
        );
        let bad = SubscriptionInput {
            plan: "platinum".into(),
            locations: "abc".into(),
            seats: "0".into(),
        };
        let e = bad.validate(1).unwrap_err();
        for f in ["plan", "locations", "seats"] {
            assert!(e.for_field(f).is_some(), "{f}");
        }
        let too_many = SubscriptionInput {
            plan: "solo".into(),
            locations: "2".into(),
            seats: "1".into(),
        };
        assert!(
            too_many
                .validate(1)
                .unwrap_err()
                .for_field("locations")
                .is_some_and(|m| m.contains("Solo plan covers up to 1"))
        );
    }

    #[test]
    fn card_data_is_refused_by_name_or_by_value() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(refuse_card_data(&p("card_number", "4242")).is_err());
        assert!(refuse_card_data(&p("CVC", "123")).is_err());
        assert!(refuse_card_data(&p("note", "4242 4242 4242 4242")).is_err());
        assert!(refuse_card_data(&p("payment_method", "tok_visa")).is_ok());
        assert!(refuse_card_data(&p("attempt", "2")).is_ok());
        assert!(refuse_card_data(&p("csrf", &format!("a{}b", "1".repeat(20)))).is_ok());
        assert!(refuse_card_data(&p("note", "pay 4242-4242-4242-4242.")).is_err());
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_lines(
            plan in 0usize..3,
            locations in 1i64..=MAX_LOCATIONS,
            seats in 1i64..=MAX_SEATS,
        ) {
            let plan = &PLANS[plan];
            let l = lines(plan, locations, seats);
            let sum: i64 = l.iter().map(|x| x.quantity * x.unit_cents).sum();
            prop_assert_eq!(total(&l), sum);
            prop_assert!(l.iter().all(|x| x.amount_cents == x.quantity * x.unit_cents && x.quantity > 0));
            let extra = plan.included_seats.map_or(0, |i| (seats - i).max(0));
            prop_assert_eq!(sum, locations * plan.location_cents + extra * plan.extra_seat_cents);
        }
    }
}
