//! The body map and lesion pages: a patient's lesions as pins on front
//! and back drawings and as a list, placing a lesion by clicking the map
//! (or typing the region, side and position), and a lesion's timeline of
//! observations with what changed since the visit before.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::{LesionId, PatientId};
use kerato_domain::lesions::{
    ChangeFlag, Colour, Dermoscopy, Disposition, Laterality, Lesion, NewLesion, Observation,
    Region, View,
};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::Form;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;
use photos::PhotoCard;

mod photos;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let n = Resource::ClinicalNote;
    photos::routes(r)
        .add(
            "GET",
            "/patients/{id}/lesions",
            Needs(n, Action::Query),
            get(map_page),
        )
        .add(
            "POST",
            "/patients/{id}/lesions",
            Needs(n, Action::Create),
            post(place),
        )
        .add(
            "GET",
            "/lesions/{id}",
            Needs(n, Action::View),
            get(timeline_page),
        )
        .add(
            "POST",
            "/lesions/{id}/observations",
            Needs(n, Action::Update),
            post(observe),
        )
}

fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).into(),
            label: label(*v).into(),
            selected: false,
        })
        .collect()
}

struct Pin {
    id: String,
    x: i64,
    y: i64,
    title: String,
}

struct LesionLine {
    id: String,
    label: String,
    site: String,
    status: String,
}

/// The form's choices, shared by the map page and the timeline page.
struct FormChoices {
    colours: Vec<Choice>,
    dermoscopy: Vec<Choice>,
    dispositions: Vec<Choice>,
}

fn form_choices() -> FormChoices {
    FormChoices {
        colours: choices(Colour::ALL, Colour::as_str, Colour::label),
        dermoscopy: choices(Dermoscopy::ALL, Dermoscopy::as_str, Dermoscopy::label),
        dispositions: choices(Disposition::ALL, Disposition::as_str, Disposition::label),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "lesions.html")]
struct MapPage {
    layout: Layout,
    patient: String,
    front: Vec<Pin>,
    back: Vec<Pin>,
    face: Vec<Pin>,
    hands: Vec<Pin>,
    feet: Vec<Pin>,
    lesions: Vec<LesionLine>,
    regions: Vec<Choice>,
    sides: Vec<Choice>,
    views: Vec<Choice>,
    form: FormChoices,
}

fn site_text(lesion: &Lesion) -> String {
    format!(
        "{}, {}",
        lesion.site.region.label(),
        lesion.site.laterality.label().to_lowercase()
    )
}

async fn map_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<MapPage, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let lesions = state.app.lesions_of_patient(&caller, patient).await?;
    let pin = |l: &Lesion| Pin {
        id: l.id.to_string(),
        x: i64::from(l.site.x),
        y: i64::from(l.site.y),
        title: format!("{} {}", l.label, site_text(l)),
    };
    let pins_on = |view: View| {
        lesions
            .iter()
            .filter(|l| l.site.view == view)
            .map(pin)
            .collect()
    };
    Ok(MapPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        patient: patient.to_string(),
        front: pins_on(View::Anterior),
        back: pins_on(View::Posterior),
        face: pins_on(View::Face),
        hands: pins_on(View::Hands),
        feet: pins_on(View::Feet),
        lesions: lesions
            .iter()
            .map(|l| LesionLine {
                id: l.id.to_string(),
                label: l.label.clone(),
                site: site_text(l),
                status: l.status.as_str().to_string(),
            })
            .collect(),
        regions: choices(Region::ALL, Region::as_str, Region::label),
        sides: choices(Laterality::ALL, Laterality::as_str, Laterality::label),
        views: choices(View::ALL, View::as_str, View::label),
        form: form_choices(),
    })
}

async fn place(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<NewLesion>,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let lesion = state
        .app
        .record_lesion(&caller, patient, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/lesions/{}", lesion.id)).into_response())
}

struct EntryView {
    n: i64,
    at: String,
    /// Photos of the lesion taken the same day as the observation.
    photos: Vec<String>,
    size: String,
    colours: String,
    dermoscopy: String,
    impression: String,
    disposition: &'static str,
    flags: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "lesion.html")]
struct TimelinePage {
    layout: Layout,
    id: String,
    patient: String,
    title: String,
    /// "12 mm from the left lateral canthus", if measured.
    landmark: Option<String>,
    /// The region's SNOMED CT body structure, for reference.
    snomed: String,
    status: String,
    entries: Vec<EntryView>,
    form: FormChoices,
    /// The lesion's photos, oldest first; `None` when the role may not see
    /// photos.
    photos: Option<Vec<PhotoCard>>,
    may_upload: bool,
}

async fn timeline_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<TimelinePage, WebError> {
    let id: LesionId = id.parse().map_err(|_| WebError::NotFound("lesion"))?;
    let (lesion, entries) = state.app.lesion_timeline(&caller, id).await?;
    let role = caller.actor.role;
    let photos = if role_permits(role, Resource::ClinicalPhoto, Action::Query) {
        let mut all: Vec<PhotoCard> = state
            .app
            .photos_of_patient(&caller, lesion.patient_id)
            .await?
            .iter()
            .filter(|p| p.lesion_id == Some(lesion.id))
            .map(PhotoCard::of)
            .collect();
        all.reverse();
        Some(all)
    } else {
        None
    };
    let day = |t: kerato_domain::time::Timestamp| {
        t.to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    };
    let mm = |t: u32| format!("{}.{} mm", t / 10, t % 10);
    Ok(TimelinePage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        id: lesion.id.to_string(),
        patient: lesion.patient_id.to_string(),
        title: format!("{} {}", lesion.label, site_text(&lesion)),
        landmark: lesion
            .site
            .landmark
            .as_ref()
            .map(|m| format!("{} mm from the {}", m.distance_mm, m.name)),
        snomed: {
            let c = lesion.site.region.snomed();
            format!("SNOMED CT {} {}", c.code, c.display)
        },
        status: lesion.status.as_str().to_string(),
        entries: entries
            .iter()
            .map(|e| EntryView {
                n: e.n,
                at: day(e.at),
                photos: photos
                    .iter()
                    .flatten()
                    .filter(|p| p.taken == day(e.at))
                    .map(|p| p.id.clone())
                    .collect(),
                size: mm(e.observation.size_tenths_mm),
                colours: e
                    .observation
                    .colours
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                dermoscopy: e
                    .observation
                    .dermoscopy
                    .iter()
                    .map(|d| d.label())
                    .collect::<Vec<_>>()
                    .join(", "),
                impression: e.observation.impression.clone(),
                disposition: e.observation.disposition.label(),
                flags: e
                    .flags
                    .iter()
                    .map(|f| match f {
                        ChangeFlag::Grew {
                            from_tenths_mm,
                            to_tenths_mm,
                        } => format!("Grew from {} to {}", mm(*from_tenths_mm), mm(*to_tenths_mm)),
                        ChangeFlag::NewColour(c) => format!("New colour: {}", c.label()),
                    })
                    .collect(),
            })
            .collect(),
        form: form_choices(),
        photos,
        may_upload: role_permits(role, Resource::ClinicalPhoto, Action::Create),
    })
}

async fn observe(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<Observation>,
) -> Result<Response, WebError> {
    let id: LesionId = id.parse().map_err(|_| WebError::NotFound("lesion"))?;
    state.app.observe_lesion(&caller, id, &form.input?).await?;
    Ok(Redirect::to(&format!("/lesions/{id}")).into_response())
}
