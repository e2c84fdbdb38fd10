//! The patient flow board and the week grid by provider or resource: the
//! front desk's views of the schedule as it moves.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use kerato_app::scheduling::board::FLOW_STEPS;
use kerato_domain::scheduling::VisitStatus;
use serde::Deserialize;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

use super::pick::{bad, location_choices, parse_date, pick_location};

struct CardView {
    id: String,
    time: String,
    patient_id: String,
    patient: String,
    provider: String,
    kind: String,
    in_step: Option<i64>,
    since_arrival: Option<i64>,
    next: Option<(&'static str, &'static str)>,
}

struct ColumnView {
    label: &'static str,
    cards: Vec<CardView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "flow.html")]
pub(super) struct FlowPage {
    layout: Layout,
    locations: Vec<Choice>,
    refresh: String,
    day: String,
    as_of: String,
    columns: Vec<ColumnView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LocationQuery {
    location: String,
    date: String,
}

/// The step after `s` on the board, for its one-click button.
fn next_step(s: VisitStatus) -> Option<VisitStatus> {
    let i = FLOW_STEPS.iter().position(|x| *x == s)?;
    FLOW_STEPS.get(i + 1).copied()
}

pub(super) async fn flow_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<LocationQuery>,
) -> Result<FlowPage, WebError> {
    let (locations, chosen) = pick_location(&state, &caller, &q.location).await?;
    let date = match q.date.trim() {
        "" => None,
        d => Some(parse_date("date", d)?),
    };
    let mut columns = Vec::new();
    let mut as_of = String::new();
    if let Some(loc) = &chosen {
        let zone = loc.time_zone.zone().clone();
        let board = state.app.flow_board(&caller, loc.id, date).await?;
        as_of = board
            .at
            .to_jiff()
            .to_zoned_datetime(zone.clone())
            .strftime("%H:%M")
            .to_string();
        for (status, cards) in board.columns {
            columns.push(ColumnView {
                label: status.label(),
                cards: cards
                    .into_iter()
                    .map(|c| CardView {
                        id: c.line.appointment.id.to_string(),
                        time: c
                            .line
                            .appointment
                            .starts_at
                            .to_jiff()
                            .to_zoned_datetime(zone.clone())
                            .strftime("%H:%M")
                            .to_string(),
                        patient_id: c.line.appointment.patient_id.to_string(),
                        patient: c.line.patient_name,
                        provider: c.line.provider_name,
                        kind: c.line.type_name,
                        in_step: c.in_step_minutes,
                        since_arrival: c.line.waiting_minutes,
                        next: next_step(c.status).map(|n| (n.as_str(), n.label())),
                    })
                    .collect(),
            });
        }
    }
    Ok(FlowPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "flow").await?,
        locations: location_choices(&locations, chosen.as_ref()),
        refresh: format!(
            "/flow?location={}&date={}",
            chosen.map(|l| l.id.to_string()).unwrap_or_default(),
            date.map(|d| d.to_string()).unwrap_or_default()
        ),
        day: date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "Today".into()),
        as_of,
        columns,
    })
}

// ------------------------------------------------------------ week grid

struct Cell {
    time: String,
    patient_id: String,
    patient: String,
    kind: String,
    colour: String,
    status: &'static str,
}

struct GridRow {
    label: String,
    cells: Vec<Vec<Cell>>,
}

#[derive(Template, WebTemplate)]
#[template(path = "week.html")]
pub(super) struct WeekPage {
    layout: Layout,
    locations: Vec<Choice>,
    location: String,
    date: String,
    by_resource: bool,
    previous: String,
    next: String,
    days: Vec<String>,
    rows: Vec<GridRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WeekQuery {
    location: String,
    date: String,
    by: String,
}

pub(super) async fn week_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<WeekQuery>,
) -> Result<WeekPage, WebError> {
    let (locations, chosen) = pick_location(&state, &caller, &q.location).await?;
    let by_resource = q.by == "resource";
    let loc = chosen.ok_or(WebError::NotFound("location"))?;
    let zone = loc.time_zone.zone().clone();
    let day = if q.date.trim().is_empty() {
        state
            .app
            .now()
            .to_jiff()
            .to_zoned_datetime(zone.clone())
            .date()
    } else {
        parse_date("date", &q.date)?
    };
    // Weeks start on Monday.
    let monday = day
        .checked_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))
        .map_err(|_| bad("date", "the date is out of range"))?;
    let week = state.app.week_schedule(&caller, loc.id, monday, 7).await?;
    let (providers, _) = state.app.booking_choices(&caller).await?;
    let keys: Vec<(String, String)> = if by_resource {
        week.resources
            .iter()
            .map(|r| (r.id.to_string(), format!("{} ({})", r.name, r.kind.label())))
            .collect()
    } else {
        providers
            .iter()
            .filter(|p| p.locations.contains(&loc.id))
            .map(|p| (p.id.to_string(), p.name.clone()))
            .collect()
    };
    let mut rows: Vec<GridRow> = keys
        .iter()
        .map(|(_, label)| GridRow {
            label: label.clone(),
            cells: week.days.iter().map(|_| Vec::new()).collect(),
        })
        .collect();
    for (date, line) in &week.lines {
        let a = &line.appointment;
        if a.status == VisitStatus::Cancelled {
            continue;
        }
        let Some(col) = week.days.iter().position(|d| d == date) else {
            continue;
        };
        let owners: Vec<String> = if by_resource {
            week.held
                .get(&a.id)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .unwrap_or_default()
        } else {
            vec![a.provider_id.to_string()]
        };
        for owner in owners {
            if let Some(i) = keys.iter().position(|(k, _)| *k == owner) {
                rows[i].cells[col].push(Cell {
                    time: a
                        .starts_at
                        .to_jiff()
                        .to_zoned_datetime(zone.clone())
                        .strftime("%H:%M")
                        .to_string(),
                    patient_id: a.patient_id.to_string(),
                    patient: line.patient_name.clone(),
                    kind: line.type_name.clone(),
                    colour: week
                        .colours
                        .get(&a.appointment_type_id.to_string())
                        .cloned()
                        .unwrap_or_default(),
                    status: a.status.label(),
                });
            }
        }
    }
    let shift = |days: i64| {
        monday
            .checked_add(jiff::Span::new().days(days))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    Ok(WeekPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "week").await?,
        locations: location_choices(&locations, Some(&loc)),
        location: loc.id.to_string(),
        date: monday.to_string(),
        by_resource,
        previous: shift(-7),
        next: shift(7),
        days: week
            .days
            .iter()
            .map(|d| d.strftime("%a %b %-d").to_string())
            .collect(),
        rows,
    })
}
