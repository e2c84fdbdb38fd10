//! Use case: the daily retention run.

use jiff::civil::Date;
use kerato_core::retention::{self, RetentionSchedule};

use crate::Site;
use crate::audit::{self, Event};
use crate::retention::rules::*;
use crate::retention::store::*;
use crate::web::SiteError;

/// Runs the job for `today`: deletes what is due (or, in a dry run, only
/// counts it), records the run and audits it.
pub async fn run(site: &Site, today: Date, dry_run: bool) -> Result<RetentionReport, SiteError> {
    let days = i32::try_from(site.config.usage_log_days).unwrap_or(i32::MAX);
    let schedule = RetentionSchedule::new(retention::DEFAULT_STATE_RULES.state, Some(days))
        .map_err(SiteError::Validation)?;
    let mut classes = Vec::new();
    for sweep in SWEEPS {
        let mut tx = site.store.read().await?;
        let due = due_ids(&mut tx, sweep, &schedule, today).await?;
        drop(tx);
        let mut deleted = 0;
        if !dry_run {
            for batch in due.chunks(BATCH) {
                let mut tx = site.store.write().await?;
                for id in batch {
                    let mut removed = 0;
                    for sql in sweep.delete {
                        removed += delete_row(&mut tx, sql, id).await?;
                    }
                    deleted += u64::from(removed > 0);
                }
                tx.commit().await?;
            }
        }
        classes.push(ClassReport {
            what: sweep.what,
            class: sweep.class,
            due: due.len() as u64,
            deleted,
        });
    }
    for sweep in AGE_SWEEPS {
        let cutoff = age_cutoff(sweep.class, &schedule, today);
        let mut tx = site.store.write().await?;
        let due = count_older(&mut tx, sweep, cutoff).await?;
        let deleted = if dry_run {
            0
        } else {
            delete_older(&mut tx, sweep, cutoff).await?
        };
        tx.commit().await?;
        classes.push(ClassReport {
            what: sweep.what,
            class: sweep.class,
            due: u64::try_from(due).unwrap_or(0),
            deleted,
        });
    }
    let report = RetentionReport {
        run_date: today.to_string(),
        dry_run,
        classes,
    };
    record_run(site, &report).await?;
    Ok(report)
}

pub(crate) async fn record_run(site: &Site, report: &RetentionReport) -> Result<(), SiteError> {
    let now = site.now();
    let json = serde_json::to_string(report).map_err(|e| SiteError::Internal(e.to_string()))?;
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let mut tx = site.store.write().await?;
    insert_run(&mut tx, &id, now, report, &json).await?;
    let detail: Vec<String> = report
        .classes
        .iter()
        .map(|c| format!("{}: {} due, {} deleted", c.class, c.due, c.deleted))
        .collect();
    let detail = detail.join("; ");
    let subject = format!("retention_run:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("system:retention"),
            action: if report.dry_run {
                "retention.dry_run"
            } else {
                "retention.run"
            },
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
