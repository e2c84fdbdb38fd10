//! Use case: the month's invoices are issued.

use jiff::civil::Date;

use crate::Site;
use crate::audit::{self, Event};
use crate::billing::rules::*;
use crate::billing::store::*;
use crate::web::SiteError;

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
    let subs = active_subscriptions(&mut tx).await?;
    let mut issued = 0;
    for (sub_id, account_id, plan, locations, seats) in subs {
        let plan: PlanId = plan.parse().map_err(kerato_db::corrupt)?;
        let lines = lines(Plan::of(plan), locations, seats);
        let total = total(&lines);
        let id = new_id(now);
        let inserted = insert_invoice(
            &mut tx,
            NewInvoice {
                id: &id,
                account_id: &account_id,
                subscription_id: &sub_id,
                period: (start, end),
                total,
            },
            now,
        )
        .await?;
        if inserted == 0 {
            continue;
        }
        for (position, l) in (1_i64..).zip(&lines) {
            insert_invoice_line(&mut tx, &id, position, l).await?;
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
