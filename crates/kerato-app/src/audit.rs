//! Reading the audit trail: reports, CSV export, and chain verification.

use kerato_domain::audit::{AuditAction, AuditEvent, ChainError, ChainVerifier};
pub use kerato_domain::audit::{ReportFilter, SortBy};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_store::audit as store;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// Events read per round trip while verifying.
const VERIFY_PAGE: i64 = 5_000;
/// The most rows one report page or CSV export returns.
pub const MAX_REPORT_ROWS: i64 = 100_000;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { events: i64 },
    Broken(ChainError),
}

impl App {
    async fn report_rows(
        &self,
        caller: &Caller,
        q: &ReportFilter,
        action: Action,
    ) -> Result<Vec<AuditEvent>, AppError> {
        let org = caller.actor.organisation_id;
        let tx = self.store.read().await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::Audit,
        };
        let mut act = Act::new(action, target, "audit trail");
        // The filter itself is recorded: who looked for what.
        act.new = serde_json::to_string(&serde_json::json!({
            "patient_id": q.patient_id, "user_id": q.user_id,
            "action": q.action.map(AuditAction::as_str),
            "from": q.from.map(|t| t.to_string()), "until": q.until.map(|t| t.to_string()),
        }))
        .ok();
        act.patient_id = q.patient_id.clone();
        let mut tx = self.guard(tx, caller, act).await?;
        // Whatever organisation the filter names, the report is the caller's.
        let filter = ReportFilter {
            organisation: org,
            limit: q.limit.clamp(1, MAX_REPORT_ROWS),
            offset: q.offset.max(0),
            ..q.clone()
        };
        let rows = store::report(&mut tx, &filter).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// One page of the audit report.
    pub async fn audit_report(
        &self,
        caller: &Caller,
        q: &ReportFilter,
    ) -> Result<Vec<AuditEvent>, AppError> {
        self.report_rows(caller, q, Action::Query).await
    }

    /// The report as CSV, for the auditor's spreadsheet; audited as an export.
    pub async fn audit_csv(&self, caller: &Caller, q: &ReportFilter) -> Result<String, AppError> {
        let rows = self.report_rows(caller, q, Action::Export).await?;
        let mut out = String::from(
            "seq,time_utc,user_id,patient_id,action,resource,resource_id,category,outcome,emergency,source_ip,detail,old_value,new_value\n",
        );
        for r in rows {
            let e = &r.event;
            let fields = [
                r.seq.to_string(),
                e.at.to_string(),
                e.user_id.clone().unwrap_or_default(),
                e.patient_id.clone().unwrap_or_default(),
                e.action.as_str().to_string(),
                e.resource.clone(),
                e.resource_id.clone().unwrap_or_default(),
                e.category.clone(),
                e.outcome.as_str().to_string(),
                e.emergency.to_string(),
                e.source_ip.clone().unwrap_or_default(),
                e.detail.clone().unwrap_or_default(),
                e.old_value.clone().unwrap_or_default(),
                e.new_value.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        Ok(out)
    }

    /// Walks the whole chain in order and compares its end with the head.
    /// Needs no caller: it reveals only whether, and where, the chain broke.
    pub async fn verify_audit_trail(&self) -> Result<Verification, AppError> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let mut tx = self.store.read().await?;
            let page = store::events_after(&mut tx, after, VERIFY_PAGE).await?;
            drop(tx);
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                if let Err(err) = verifier.next(e) {
                    return Ok(Verification::Broken(err));
                }
            }
        }
        let mut tx = self.store.read().await?;
        let (seq, hash) = store::head(&mut tx).await?;
        Ok(match verifier.finish(seq, &hash) {
            Ok(events) => Verification::Intact { events },
            Err(err) => Verification::Broken(err),
        })
    }
}

/// Quotes a CSV field when needed, and defuses leading characters that
/// spreadsheets would run as a formula.
fn csv_field(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
