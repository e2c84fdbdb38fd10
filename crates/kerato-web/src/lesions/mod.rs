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
    ChangeFlag, Colour, Dermoscopy, Disposition, Laterality, ObservationInput, Region, SiteInput,
    View,
};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::FormFields;
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

fn site_text(region: &str, side: &str) -> String {
    let region = region.parse::<Region>().map(Region::label).unwrap_or("?");
    let side = side
        .parse::<Laterality>()
        .map(Laterality::label)
        .unwrap_or("?");
    format!("{region}, {}", side.to_lowercase())
}

async fn map_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<MapPage, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let lesions = state.app.lesions_of_patient(&caller, patient).await?;
    let pin = |l: &kerato_app::lesions::LesionRow| Pin {
        id: l.id.to_string(),
        x: l.x,
        y: l.y,
        title: format!("{} {}", l.label, site_text(&l.region, &l.laterality)),
    };
    let pins_on = |view: &str| lesions.iter().filter(|l| l.view == view).map(pin).collect();
    Ok(MapPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        patient: patient.to_string(),
        front: pins_on("anterior"),
        back: pins_on("posterior"),
        face: pins_on("face"),
        hands: pins_on("hands"),
        feet: pins_on("feet"),
        lesions: lesions
            .iter()
            .map(|l| LesionLine {
                id: l.id.to_string(),
                label: l.label.clone(),
                site: site_text(&l.region, &l.laterality),
                status: l.status.clone(),
            })
            .collect(),
        regions: choices(Region::ALL, Region::as_str, Region::label),
        sides: choices(Laterality::ALL, Laterality::as_str, Laterality::label),
        views: choices(View::ALL, View::as_str, View::label),
        form: form_choices(),
    })
}

fn observation_input(form: &FormFields) -> ObservationInput {
    let abcde = ["a", "b", "c", "d", "e"].map(|k| form.get(&format!("abcde_{k}")) == "yes");
    ObservationInput {
        morphology: form.get("morphology"),
        size_mm: form.get("size_mm"),
        colours: form.all("colours"),
        dermoscopy: form.all("dermoscopy"),
        abcde,
        impression: form.get("impression"),
        disposition: form.get("disposition"),
    }
}

async fn place(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let lesion = state
        .app
        .record_lesion(
            &caller,
            patient,
            &SiteInput {
                region: form.get("region"),
                laterality: form.get("laterality"),
                view: form.get("view"),
                x: form.get("x"),
                y: form.get("y"),
                landmark: form.get("landmark"),
                landmark_mm: form.get("landmark_mm"),
            },
            &form.get("label"),
            &observation_input(&form),
        )
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
        title: format!(
            "{} {}",
            lesion.label,
            site_text(&lesion.region, &lesion.laterality)
        ),
        landmark: lesion
            .landmark
            .as_ref()
            .map(|(name, mm)| format!("{mm} mm from the {name}")),
        snomed: lesion
            .region
            .parse::<Region>()
            .map(|r| {
                let c = r.snomed();
                format!("SNOMED CT {} {}", c.code, c.display)
            })
            .unwrap_or_default(),
        status: lesion.status.clone(),
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
    form: FormFields,
) -> Result<Response, WebError> {
    let id: LesionId = id.parse().map_err(|_| WebError::NotFound("lesion"))?;
    state
        .app
        .observe_lesion(&caller, id, &observation_input(&form))
        .await?;
    Ok(Redirect::to(&format!("/lesions/{id}")).into_response())
}
