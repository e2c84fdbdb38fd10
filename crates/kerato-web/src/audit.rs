//! The audit report: filter, sort, page, and export as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kerato_app::audit::{ReportFilter, SortBy};
use kerato_domain::ValidationErrors;
use kerato_domain::audit::AuditAction;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::OrganisationId;
use kerato_domain::time::Timestamp;
use serde::Deserialize;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

const PAGE_SIZE: i64 = 100;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/admin/audit",
        Access::Needs(Resource::Audit, Action::Query),
        get(report_page),
    )
    .add(
        "GET",
        "/admin/audit.csv",
        Access::Needs(Resource::Audit, Action::Export),
        get(report_csv),
    )
}

/// The report's filters as they arrive in the query string. All optional;
/// IDs only, never names, so no PHI rides in the URL.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Filters {
    user: String,
    patient: String,
    action: String,
    from: String,
    until: String,
    sort: String,
    dir: String,
    page: String,
}

fn day_start(text: &str, field: &str, errors: &mut ValidationErrors) -> Option<Timestamp> {
    if text.trim().is_empty() {
        return None;
    }
    match text
        .trim()
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
    {
        Some(z) => Some(Timestamp::from_jiff(z.timestamp())),
        None => {
            errors.add(field, "write the date as YYYY-MM-DD");
            None
        }
    }
}

fn uuid_filter(text: &str, field: &str, errors: &mut ValidationErrors) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if uuid::Uuid::try_parse(t).is_err() || t.len() != 36 {
        errors.add(
            field,
            "enter the ID exactly as shown in the report (a UUID)",
        );
        return None;
    }
    Some(t.to_ascii_lowercase())
}

impl Filters {
    fn query(&self, organisation: OrganisationId) -> Result<ReportFilter, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let action = if self.action.is_empty() {
            None
        } else {
            let a = AuditAction::parse(&self.action);
            if a.is_none() {
                errors.add("action", "choose an action from the list");
            }
            a
        };
        let from = day_start(&self.from, "from", &mut errors);
        // "Until" includes the whole day it names.
        let until = day_start(&self.until, "until", &mut errors)
            .map(|t| t.plus_micros(24 * 3600 * 1_000_000));
        let sort = match self.sort.as_str() {
            "" | "time" => SortBy::Time,
            "user" => SortBy::User,
            "patient" => SortBy::Patient,
            "action" => SortBy::Action,
            "outcome" => SortBy::Outcome,
            _ => {
                errors.add("sort", "sort by time, user, patient, action or outcome");
                SortBy::Time
            }
        };
        let page = if self.page.is_empty() {
            0
        } else {
            self.page.parse::<i64>().unwrap_or(0).clamp(0, 1_000_000)
        };
        let q = ReportFilter {
            organisation,
            user_id: uuid_filter(&self.user, "user", &mut errors),
            patient_id: uuid_filter(&self.patient, "patient", &mut errors),
            action,
            from,
            until,
            sort,
            descending: self.dir != "asc",
            limit: PAGE_SIZE,
            offset: page * PAGE_SIZE,
        };
        errors.into_result(q)
    }
}

struct Row {
    seq: i64,
    at: String,
    user: String,
    patient: String,
    action: &'static str,
    what: String,
    outcome: &'static str,
    emergency: bool,
    ip: String,
    detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct ReportPage {
    layout: Layout,
    problem: Option<String>,
    filters: Filters,
    actions: Vec<Choice>,
    rows: Vec<Row>,
    page: i64,
    csv_query: String,
    prev_query: Option<String>,
    next_query: Option<String>,
}

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

async fn report_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(filters): Query<Filters>,
) -> Result<Response, WebError> {
    let layout = Layout::signed_in(&state, &csrf, &caller, "audit").await?;
    let (rows, problem, page) = match filters.query(caller.actor.organisation_id) {
        Ok(q) => {
            let page = q.offset / PAGE_SIZE;
            let rows = state.app.audit_report(&caller, &q).await?;
            (rows, None, page)
        }
        Err(errors) => {
            // Still a check of the caller's right to see the report.
            state
                .app
                .require(&caller, Resource::Audit, Action::Query, None)
                .await?;
            (Vec::new(), Some(errors.to_string()), 0)
        }
    };
    let base = |page: i64| {
        let p = page.to_string();
        encode(&[
            ("user", &filters.user),
            ("patient", &filters.patient),
            ("action", &filters.action),
            ("from", &filters.from),
            ("until", &filters.until),
            ("sort", &filters.sort),
            ("dir", &filters.dir),
            ("page", if page == 0 { "" } else { &p }),
        ])
    };
    let full = rows.len() as i64 == PAGE_SIZE;
    let view = ReportPage {
        layout,
        problem,
        actions: AuditAction::ALL
            .iter()
            .map(|a| Choice {
                value: a.as_str().into(),
                label: a.as_str().replace('_', " "),
                selected: filters.action == a.as_str(),
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                let e = r.event;
                Row {
                    seq: r.seq,
                    at: e.at.to_jiff().strftime("%Y-%m-%d %H:%M:%S").to_string(),
                    user: e.user_id.unwrap_or_default(),
                    patient: e.patient_id.unwrap_or_default(),
                    action: e.action.as_str(),
                    what: match e.resource_id {
                        Some(id) => format!("{} {id}", e.resource),
                        None => e.resource,
                    },
                    outcome: e.outcome.as_str(),
                    emergency: e.emergency,
                    ip: e.source_ip.unwrap_or_default(),
                    detail: e.detail.unwrap_or_default(),
                }
            })
            .collect(),
        page,
        csv_query: base(0),
        prev_query: (page > 0).then(|| base(page - 1)),
        next_query: full.then(|| base(page + 1)),
        filters,
    };
    Ok(view.into_response())
}

async fn report_csv(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Query(filters): Query<Filters>,
) -> Result<Response, WebError> {
    let mut q = filters
        .query(caller.actor.organisation_id)
        .map_err(WebError::Validation)?;
    q.limit = kerato_app::audit::MAX_REPORT_ROWS;
    q.offset = 0;
    let csv = state.app.audit_csv(&caller, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kerato-audit.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}
