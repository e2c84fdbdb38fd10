//! Use case: the daily retention run.

use crate::Site;
use crate::audit;
use crate::audit::Event;
use crate::retention::rules::*;
use crate::retention::store::*;
use crate::web::SiteError;
use jiff::civil::Date;
use kerato_core::retention;
use kerato_core::retention::RetentionSchedule;
use kerato_db::execute;
use kerato_db::on_tx;

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
                        removed += execute!(&mut tx, sqlx::query(*sql).bind(id))?;
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
        let (due,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(sweep.count)
            .bind(cutoff)
            .fetch_one(&mut **c)
            .await)?;
        let deleted = if dry_run {
            0
        } else {
            execute!(&mut tx, sqlx::query(sweep.delete).bind(cutoff))?
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
    execute!(
        &mut tx,
        sqlx::query("INSERT INTO site_retention_runs (id, ran_at, run_date, dry_run, report) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(now.as_micros())
            .bind(&report.run_date)
            .bind(i64::from(report.dry_run))
            .bind(&json)
    )?;
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
