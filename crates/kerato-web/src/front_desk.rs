//! The front desk's other pages: the live patient flow board, the week
//! grid by provider or resource, the waitlist, recall due lists, and the
//! scheduling set-up (resources, visit types, breaks, closures).

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::civil::{Date, Time, Weekday};
use kerato_app::Caller;
use kerato_app::board::FLOW_STEPS;
use kerato_app::scheduling::TypeInput;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{LocationId, PatientId};
use kerato_domain::recalls::Outreach;
use kerato_domain::scheduling::{Break, CancelInput, RescheduleInput, ResourceKind, VisitStatus};
use kerato_domain::tenancy::{Location, Specialty};
use kerato_domain::waitlist::{WaitlistInput, WaitlistStatus};
use serde::Deserialize;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let a = Resource::Appointment;
    let setup = Needs(Resource::Organisation, Action::Update);
    r.add("GET", "/flow", Needs(a, Action::Query), get(flow_page))
        .add(
            "GET",
            "/schedule/week",
            Needs(a, Action::Query),
            get(week_page),
        )
        .add(
            "GET",
            "/waitlist",
            Needs(a, Action::Query),
            get(waitlist_page),
        )
        .add(
            "POST",
            "/waitlist",
            Needs(a, Action::Create),
            post(waitlist_add),
        )
        .add(
            "POST",
            "/waitlist/{id}/accept",
            Needs(a, Action::Create),
            post(waitlist_accept),
        )
        .add(
            "POST",
            "/waitlist/{id}/remove",
            Needs(a, Action::Update),
            post(waitlist_remove),
        )
        .add(
            "GET",
            "/appointments/{id}",
            Needs(a, Action::View),
            get(appointment_page),
        )
        .add(
            "POST",
            "/appointments/{id}/reschedule",
            Needs(a, Action::Update),
            post(reschedule_submit),
        )
        .add(
            "POST",
            "/appointments/{id}/cancel",
            Needs(a, Action::Update),
            post(cancel_submit),
        )
        .add(
            "GET",
            "/recalls",
            Needs(a, Action::Query),
            get(recalls_page),
        )
        .add(
            "POST",
            "/recalls",
            Needs(a, Action::Create),
            post(recall_add),
        )
        .add(
            "POST",
            "/recalls/notices",
            Needs(a, Action::Update),
            post(recall_notices),
        )
        .add(
            "POST",
            "/recalls/{id}/outreach",
            Needs(a, Action::Update),
            post(recall_outreach),
        )
        .add("GET", "/setup/scheduling", setup, get(setup_page))
        .add("POST", "/setup/resources", setup, post(setup_resource))
        .add("POST", "/setup/types", setup, post(setup_type))
        .add("POST", "/setup/breaks", setup, post(setup_break))
        .add("POST", "/setup/closures", setup, post(setup_closure))
        .add(
            "POST",
            "/setup/recall-types",
            setup,
            post(setup_recall_defaults),
        )
}

fn bad(field: &str, message: &str) -> WebError {
    WebError::Validation(ValidationErrors::single(field, message))
}

fn parse_date(field: &str, raw: &str) -> Result<Date, WebError> {
    raw.trim()
        .parse()
        .map_err(|_| bad(field, "write the date as YYYY-MM-DD"))
}

fn parse_time(field: &str, raw: &str) -> Result<Time, WebError> {
    raw.trim()
        .parse()
        .map_err(|_| bad(field, "write the time as HH:MM, 24-hour"))
}

/// The chosen location (by ID in the query), else the first.
async fn pick_location(
    state: &WebState,
    caller: &Caller,
    raw: &str,
) -> Result<(Vec<Location>, Option<Location>), WebError> {
    let locations = state.app.list_locations(caller).await?;
    let chosen = raw
        .parse::<LocationId>()
        .ok()
        .and_then(|id| locations.iter().find(|l| l.id == id))
        .or(locations.first())
        .cloned();
    Ok((locations, chosen))
}

/// The patient a page was opened for (`?patient=`), if the ID is valid.
fn patient_param(raw: &str) -> String {
    raw.parse::<PatientId>()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

fn location_choices(locations: &[Location], chosen: Option<&Location>) -> Vec<Choice> {
    locations
        .iter()
        .map(|l| Choice {
            value: l.id.to_string(),
            label: l.name.clone(),
            selected: chosen.is_some_and(|c| c.id == l.id),
        })
        .collect()
}

// ------------------------------------------------------------ flow board

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
struct FlowPage {
    layout: Layout,
    locations: Vec<Choice>,
    refresh: String,
    day: String,
    as_of: String,
    columns: Vec<ColumnView>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LocationQuery {
    location: String,
    date: String,
}

/// The step after `s` on the board, for its one-click button.
fn next_step(s: VisitStatus) -> Option<VisitStatus> {
    let i = FLOW_STEPS.iter().position(|x| *x == s)?;
    FLOW_STEPS.get(i + 1).copied()
}

async fn flow_page(
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
struct WeekPage {
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
struct WeekQuery {
    location: String,
    date: String,
    by: String,
}

async fn week_page(
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

// ------------------------------------------------------------ waitlist

struct EntryView {
    id: String,
    patient_id: String,
    patient: String,
    kind: String,
    range: String,
    note: String,
    offer: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "waitlist.html")]
struct WaitlistPage {
    layout: Layout,
    entries: Vec<EntryView>,
    types: Vec<Choice>,
    providers: Vec<Choice>,
    locations: Vec<Choice>,
    patient: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PatientQuery {
    patient: String,
}

async fn waitlist_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<PatientQuery>,
) -> Result<WaitlistPage, WebError> {
    let lines = state.app.waitlist(&caller).await?;
    let locations = state.app.list_locations(&caller).await?;
    let (providers, types) = state.app.booking_choices(&caller).await?;
    let zone_of = |id: LocationId| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map(|l| (l.name.clone(), l.time_zone.zone().clone()))
    };
    let entries = lines
        .into_iter()
        .map(|l| {
            let e = l.entry;
            let offer = e
                .offer
                .as_ref()
                .filter(|_| e.status == WaitlistStatus::Offered)
                .and_then(|o| {
                    let (place, zone) = zone_of(o.location_id)?;
                    let who = providers
                        .iter()
                        .find(|p| p.id == o.provider_id)
                        .map(|p| p.name.clone())
                        .unwrap_or_default();
                    Some(format!(
                        "{} at {} with {who}, {place}",
                        o.starts_at
                            .to_jiff()
                            .to_zoned_datetime(zone.clone())
                            .strftime("%a %b %-d"),
                        o.starts_at
                            .to_jiff()
                            .to_zoned_datetime(zone)
                            .strftime("%H:%M"),
                    ))
                });
            EntryView {
                id: e.id.to_string(),
                patient_id: e.patient_id.to_string(),
                patient: l.patient_name,
                kind: l.type_name,
                range: format!("{} to {}", e.earliest_date, e.latest_date),
                note: e.note,
                offer,
            }
        })
        .collect();
    let none = || Choice {
        value: String::new(),
        label: "Any".into(),
        selected: true,
    };
    Ok(WaitlistPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "waitlist").await?,
        entries,
        types: types
            .iter()
            .map(|t| plain(&t.id.to_string(), &t.name))
            .collect(),
        providers: std::iter::once(none())
            .chain(providers.iter().map(|p| plain(&p.id.to_string(), &p.name)))
            .collect(),
        locations: std::iter::once(none())
            .chain(locations.iter().map(|l| plain(&l.id.to_string(), &l.name)))
            .collect(),
        patient: patient_param(&q.patient),
    })
}

async fn waitlist_add(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<WaitlistInput>,
) -> Result<Response, WebError> {
    state.app.add_to_waitlist(&caller, &form.input?).await?;
    Ok(Redirect::to("/waitlist").into_response())
}

async fn waitlist_accept(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let id = id
        .parse()
        .map_err(|_| WebError::NotFound("waitlist entry"))?;
    let a = state.app.accept_offer(&caller, id).await?;
    Ok(Redirect::to(&format!("/schedule?location={}", a.location_id)).into_response())
}

async fn waitlist_remove(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let id = id
        .parse()
        .map_err(|_| WebError::NotFound("waitlist entry"))?;
    state.app.remove_from_waitlist(&caller, id).await?;
    Ok(Redirect::to("/waitlist").into_response())
}

// ------------------------------------------------------------ recalls

struct RecallView {
    id: String,
    due: String,
    patient_id: String,
    patient: String,
    kind: String,
    channel: String,
    outreach: &'static str,
    attempts: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "recalls.html")]
struct RecallsPage {
    layout: Layout,
    until: String,
    types: Vec<Choice>,
    recalls: Vec<RecallView>,
    outcomes: Vec<Choice>,
    patient: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecallQuery {
    until: String,
    kind: String,
    patient: String,
}

async fn recalls_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<RecallQuery>,
) -> Result<RecallsPage, WebError> {
    let until = if q.until.trim().is_empty() {
        // Due within the next 30 days by default.
        state
            .app
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .checked_add(jiff::Span::new().days(30))
            .map_err(|_| bad("until", "the date is out of range"))?
    } else {
        parse_date("until", &q.until)?
    };
    let kind = q.kind.parse().ok();
    let types = state.app.recall_types(&caller).await?;
    let due = state.app.due_recalls(&caller, until, kind).await?;
    Ok(RecallsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "recalls").await?,
        until: until.to_string(),
        types: types
            .iter()
            .map(|t| Choice {
                value: t.id.to_string(),
                label: t.name.clone(),
                selected: kind == Some(t.id),
            })
            .collect(),
        recalls: due
            .into_iter()
            .map(|d| RecallView {
                id: d.recall.id.to_string(),
                due: d.recall.due_date.to_string(),
                patient_id: d.recall.patient_id.to_string(),
                patient: format!("{}, {}", d.last_name, d.first_name),
                kind: d.type_name,
                channel: d.reminder_channel.as_str().to_string(),
                outreach: d.recall.outreach.label(),
                attempts: d.recall.outreach_attempts,
            })
            .collect(),
        outcomes: Outreach::outcomes()
            .map(|o| plain(o.as_str(), o.label()))
            .collect(),
        patient: patient_param(&q.patient),
    })
}

async fn recall_add(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient = form
        .get("patient_id")
        .parse()
        .map_err(|_| bad("patient_id", "not a valid ID"))?;
    let kind = form
        .get("recall_type_id")
        .parse()
        .map_err(|_| bad("recall_type_id", "choose a recall type"))?;
    state
        .app
        .add_recall(&caller, patient, kind, &form.get("due_date"))
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}")).into_response())
}

async fn recall_notices(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let until = parse_date("until", &form.get("until"))?;
    state.app.send_recall_notices(&caller, until).await?;
    Ok(Redirect::to(&format!("/recalls?until={until}")).into_response())
}

async fn recall_outreach(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<Outreach>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("recall"))?;
    state
        .app
        .record_recall_outreach(&caller, id, form.input?)
        .await?;
    Ok(Redirect::to("/recalls").into_response())
}

// ------------------------------------------------------------ set-up

struct ResourceLine {
    name: String,
    kind: &'static str,
    location: String,
}

struct TypeLine {
    name: String,
    minutes: i64,
    colour: String,
    specialty: String,
    resources: String,
    new_patient: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "setup_scheduling.html")]
struct SetupPage {
    layout: Layout,
    resources: Vec<ResourceLine>,
    types: Vec<TypeLine>,
    recall_types: Vec<String>,
    locations: Vec<Choice>,
    providers: Vec<Choice>,
    kinds: Vec<Choice>,
    specialties: Vec<Choice>,
    weekdays: Vec<Choice>,
    closures: Vec<String>,
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "Monday"),
    (Weekday::Tuesday, "Tuesday"),
    (Weekday::Wednesday, "Wednesday"),
    (Weekday::Thursday, "Thursday"),
    (Weekday::Friday, "Friday"),
    (Weekday::Saturday, "Saturday"),
    (Weekday::Sunday, "Sunday"),
];

/// An option that starts unselected.
fn plain(value: &str, label: &str) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
        selected: false,
    }
}

async fn setup_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<SetupPage, WebError> {
    let locations = state.app.list_locations(&caller).await?;
    let (providers, types) = state.app.booking_choices(&caller).await?;
    let resources = state.app.resources(&caller).await?;
    let closures = state.app.upcoming_closures(&caller).await?;
    let recall_types = state.app.recall_types(&caller).await?;
    let place = |id: LocationId| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    Ok(SetupPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "setup").await?,
        resources: resources
            .iter()
            .map(|r| ResourceLine {
                name: r.name.clone(),
                kind: r.kind.label(),
                location: place(r.location_id),
            })
            .collect(),
        types: types
            .iter()
            .map(|t| TypeLine {
                name: t.name.clone(),
                minutes: t.duration_minutes,
                colour: t.colour.clone(),
                specialty: t
                    .specialty
                    .map(|s| s.label().to_string())
                    .unwrap_or_default(),
                resources: t
                    .resources
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                new_patient: t.new_patient,
            })
            .collect(),
        recall_types: recall_types
            .iter()
            .map(|t| format!("{} (every {} months)", t.name, t.interval_months))
            .collect(),
        locations: locations
            .iter()
            .map(|l| plain(&l.id.to_string(), &l.name))
            .collect(),
        providers: providers
            .iter()
            .map(|p| plain(&p.id.to_string(), &p.name))
            .collect(),
        kinds: ResourceKind::ALL
            .iter()
            .map(|k| plain(k.as_str(), k.label()))
            .collect(),
        specialties: Specialty::ALL
            .iter()
            .map(|s| plain(s.as_str(), s.label()))
            .collect(),
        weekdays: WEEKDAYS
            .iter()
            .map(|(d, l)| plain(&d.to_monday_one_offset().to_string(), l))
            .collect(),
        closures: closures
            .iter()
            .map(|c| {
                let who = c
                    .provider_id
                    .and_then(|p| providers.iter().find(|x| x.id == p))
                    .map(|p| p.name.clone())
                    .or_else(|| c.location_id.map(place))
                    .unwrap_or_default();
                format!("{who}: {} ({} to {})", c.reason, c.starts_at, c.ends_at)
            })
            .collect(),
    })
}

async fn setup_resource(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let location = form
        .get("location_id")
        .parse()
        .map_err(|_| bad("location_id", "choose a location"))?;
    let kind =
        ResourceKind::parse(&form.get("kind")).ok_or_else(|| bad("kind", "choose a kind"))?;
    state
        .app
        .create_resource(&caller, location, kind, &form.get("name"))
        .await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

async fn setup_type(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let minutes = form
        .get("duration_minutes")
        .trim()
        .parse()
        .map_err(|_| bad("duration_minutes", "write the duration in whole minutes"))?;
    let specialty = match form.get("specialty").as_str() {
        "" => None,
        s => Some(s.parse::<Specialty>().map_err(|e| bad("specialty", &e))?),
    };
    let resources: BTreeSet<ResourceKind> = form
        .all("resources")
        .iter()
        .map(|k| ResourceKind::parse(k).ok_or_else(|| bad("resources", "an unknown resource kind")))
        .collect::<Result<_, _>>()?;
    state
        .app
        .define_appointment_type(
            &caller,
            &TypeInput {
                name: form.get("name"),
                duration_minutes: minutes,
                specialty,
                colour: Some(form.get("colour")),
                new_patient: form.get("new_patient") == "on",
                resources,
            },
        )
        .await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

async fn setup_break(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let provider = form
        .get("provider_id")
        .parse()
        .map_err(|_| bad("provider_id", "choose a provider"))?;
    let weekday = form
        .get("weekday")
        .parse::<i8>()
        .ok()
        .and_then(|d| Weekday::from_monday_one_offset(d).ok())
        .ok_or_else(|| bad("weekday", "choose a weekday"))?;
    let b = Break {
        weekday,
        start: parse_time("start", &form.get("start"))?,
        end: parse_time("end", &form.get("end"))?,
        label: form.get("label"),
    };
    state.app.add_break(&caller, provider, b).await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

async fn setup_closure(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let provider = match form.get("provider_id").as_str() {
        "" => None,
        p => Some(
            p.parse()
                .map_err(|_| bad("provider_id", "choose a provider"))?,
        ),
    };
    let location = match form.get("location_id").as_str() {
        "" => None,
        l => Some(
            l.parse()
                .map_err(|_| bad("location_id", "choose a location"))?,
        ),
    };
    let first = parse_date("first", &form.get("first"))?;
    let last = match form.get("last").trim() {
        "" => first,
        l => parse_date("last", l)?,
    };
    state
        .app
        .close_days(
            &caller,
            provider,
            location,
            first,
            last,
            &form.get("reason"),
        )
        .await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

async fn setup_recall_defaults(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    _form: FormFields,
) -> Result<Response, WebError> {
    state.app.install_default_recall_types(&caller).await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

// ------------------------------------------------------------ one appointment

#[derive(Template, WebTemplate)]
#[template(path = "appointment.html")]
struct AppointmentPage {
    layout: Layout,
    id: String,
    patient_id: String,
    when: String,
    date: String,
    time: String,
    status: &'static str,
    booked: bool,
    in_series: bool,
}

async fn appointment_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<AppointmentPage, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("appointment"))?;
    let a = state.app.appointment(&caller, id).await?;
    let locations = state.app.list_locations(&caller).await?;
    let zone = locations
        .iter()
        .find(|l| l.id == a.location_id)
        .map(|l| l.time_zone.zone().clone())
        .ok_or(WebError::NotFound("location"))?;
    let local = a.starts_at.to_jiff().to_zoned_datetime(zone);
    let status = a.status;
    Ok(AppointmentPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "schedule").await?,
        id: a.id.to_string(),
        patient_id: a.patient_id.to_string(),
        when: local.strftime("%A %B %-d, %Y at %H:%M").to_string(),
        date: local.date().to_string(),
        time: local.time().strftime("%H:%M").to_string(),
        status: status.label(),
        booked: status == VisitStatus::Booked,
        in_series: a.series_id.is_some(),
    })
}

async fn reschedule_submit(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<RescheduleInput>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("appointment"))?;
    let to = form.input?;
    let a = state.app.reschedule_appointment(&caller, id, &to).await?;
    Ok(Redirect::to(&format!(
        "/schedule?location={}&date={}",
        a.location_id, to.date
    ))
    .into_response())
}

async fn cancel_submit(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<CancelInput>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound("appointment"))?;
    let cancel = form.input?;
    let a = if cancel.whole_series {
        state.app.cancel_series(&caller, id, &cancel.reason).await?;
        state.app.appointment(&caller, id).await?
    } else {
        state
            .app
            .set_visit_status(&caller, id, VisitStatus::Cancelled, Some(&cancel.reason))
            .await?
    };
    Ok(Redirect::to(&format!("/schedule?location={}", a.location_id)).into_response())
}
