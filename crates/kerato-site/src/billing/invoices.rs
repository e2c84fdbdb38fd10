//! Use case: the month's invoices are issued.

use crate::Site;
use crate::audit;
use crate::audit::Event;
use crate::billing::rules::*;
use crate::billing::store::*;
use crate::web::SiteError;
use jiff::civil::Date;
use kerato_db::execute;
use kerato_db::on_tx;

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
