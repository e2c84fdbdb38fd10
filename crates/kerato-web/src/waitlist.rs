//! The waitlist page and its forms: add a patient, book the slot offered
//! to them, or take them off.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::LocationId;
use kerato_domain::waitlist::{WaitlistInput, WaitlistStatus};
use serde::Deserialize;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::scheduling::pick::{patient_param, plain};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let a = Resource::Appointment;
    r.add(
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
}

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
