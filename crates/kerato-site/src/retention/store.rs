//! The SQL of the retention sweeps.

use crate::retention::rules::*;
use crate::web::SiteError;
use jiff::civil::Date;
use kerato_core::retention;
use kerato_core::retention::RetentionSchedule;
use kerato_db::Tx;
use kerato_db::on_tx;

pub(crate) async fn due_ids(
    tx: &mut Tx,
    sweep: &Sweep,
    schedule: &RetentionSchedule,
    today: Date,
) -> Result<Vec<String>, SiteError> {
    let rows: Vec<Candidate> = on_tx!(tx, c => sqlx::query_as(sweep.list)
        .fetch_all(&mut **c)
        .await)?;
    // The site has no legal holds of its own yet; see ARCHITECTURE.md.
    Ok(rows
        .iter()
        .filter(|c| retention::is_due(sweep.class, &facts(c), schedule, &[], today))
        .map(|c| c.0.clone())
        .collect())
}
