//! The scheduling set-up page and its forms: rooms and devices, visit
//! types, weekly breaks, closures, and the default recall types.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Weekday;
use kerato_domain::ids::LocationId;
use kerato_domain::scheduling::{BreakInput, ClosureInput, ResourceInput, ResourceKind, TypeInput};
use kerato_domain::tenancy::Specialty;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

use super::pick::plain;

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
pub(super) struct SetupPage {
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

pub(super) async fn setup_page(
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

pub(super) async fn setup_resource(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<ResourceInput>,
) -> Result<Response, WebError> {
    let r = form.input?;
    state
        .app
        .create_resource(&caller, r.location_id, r.kind, &r.name)
        .await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

pub(super) async fn setup_type(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<TypeInput>,
) -> Result<Response, WebError> {
    state
        .app
        .define_appointment_type(&caller, &form.input?)
        .await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

pub(super) async fn setup_break(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<BreakInput>,
) -> Result<Response, WebError> {
    let b = form.input?;
    state.app.add_break(&caller, b.provider_id, b.rest).await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

pub(super) async fn setup_closure(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<ClosureInput>,
) -> Result<Response, WebError> {
    let c = form.input?;
    state
        .app
        .close_days(
            &caller,
            c.provider_id,
            c.location_id,
            c.first,
            c.last,
            &c.reason,
        )
        .await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}

pub(super) async fn setup_recall_defaults(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    _form: FormFields,
) -> Result<Response, WebError> {
    state.app.install_default_recall_types(&caller).await?;
    Ok(Redirect::to("/setup/scheduling").into_response())
}
