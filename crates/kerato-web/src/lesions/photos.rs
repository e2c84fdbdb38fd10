//! Clinical photos: a patient's gallery with the upload form and the
//! patient's answers on photo consent, the image and thumbnail routes
//! (each view audited by the app), and the watermarked export for teaching
//! or marketing.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{DefaultBodyLimit, Extension, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_app::lesions::MAX_PHOTO_BYTES;
use kerato_app::lesions::PhotoSize;
use kerato_domain::ValidationErrors;
use kerato_domain::consent::{ConsentInput, Purpose};
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::{PatientId, PhotoId};
use kerato_domain::input::ParseInput;
use kerato_domain::lesions::{LesionStatus, Photo, PhotoUpload};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, UploadForm, UploadLimit, upload_body_limit};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let p = Resource::ClinicalPhoto;
    let limit = upload_body_limit(MAX_PHOTO_BYTES);
    r.add(
        "GET",
        "/patients/{id}/photos",
        Needs(p, Action::Query),
        get(gallery),
    )
    .add(
        "POST",
        "/patients/{id}/photos",
        Needs(p, Action::Create),
        post(upload)
            .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(limit))
            .layer::<_, std::convert::Infallible>(Extension(UploadLimit(limit))),
    )
    .add("GET", "/photos/{id}", Needs(p, Action::View), get(full))
    .add(
        "GET",
        "/photos/{id}/thumbnail",
        Needs(p, Action::View),
        get(thumbnail),
    )
    .add(
        "GET",
        "/photos/{id}/export",
        Needs(p, Action::Export),
        get(export),
    )
    .add(
        "POST",
        "/patients/{id}/consents",
        Needs(Resource::Patient, Action::Update),
        post(record_consent),
    )
}

fn patient_id(id: &str) -> Result<PatientId, WebError> {
    id.parse().map_err(|_| WebError::NotFound("patient"))
}

fn photo_id(id: &str) -> Result<PhotoId, WebError> {
    id.parse().map_err(|_| WebError::NotFound("photo"))
}

pub(crate) struct PhotoCard {
    pub id: String,
    pub taken: String,
    pub lesion: Option<String>,
}

impl PhotoCard {
    pub fn of(p: &Photo) -> Self {
        PhotoCard {
            id: p.id.to_string(),
            taken: p
                .taken_at
                .to_jiff()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .to_string(),
            lesion: p.lesion_id.map(|l| l.to_string()),
        }
    }
}

struct ConsentView {
    purpose: &'static str,
    label: &'static str,
    answer: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "photos.html")]
struct GalleryPage {
    layout: Layout,
    patient: String,
    photos: Vec<PhotoCard>,
    consents: Vec<ConsentView>,
    may_export: bool,
    may_upload: bool,
    may_record_consent: bool,
    lesions: Vec<(String, String)>,
}

/// The purposes a clinic records for photos, in the order the form shows.
const PHOTO_PURPOSES: [Purpose; 3] = [
    Purpose::ClinicalPhotography,
    Purpose::PhotoTeaching,
    Purpose::PhotoMarketing,
];

async fn gallery(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<GalleryPage, WebError> {
    let patient = patient_id(&id)?;
    let photos = state.app.photos_of_patient(&caller, patient).await?;
    let role = caller.actor.role;
    let history = if role_permits(role, Resource::Patient, Action::View) {
        state.app.consents_of_patient(&caller, patient).await?
    } else {
        Vec::new()
    };
    let entries: Vec<_> = history.into_iter().map(|l| l.entry).collect();
    let consents = PHOTO_PURPOSES
        .iter()
        .map(|p| ConsentView {
            purpose: p.as_str(),
            label: p.label(),
            answer: match kerato_domain::consent::current(&entries, *p) {
                Some(e) if e.granted => "Yes",
                Some(_) => "No",
                None => "Not asked",
            },
        })
        .collect();
    let lesions = if role_permits(role, Resource::ClinicalNote, Action::Query) {
        state
            .app
            .lesions_of_patient(&caller, patient)
            .await?
            .into_iter()
            .filter(|l| l.status == LesionStatus::Active)
            .map(|l| (l.id.to_string(), l.label))
            .collect()
    } else {
        Vec::new()
    };
    Ok(GalleryPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        patient: patient.to_string(),
        photos: photos.iter().map(PhotoCard::of).collect(),
        consents,
        may_export: role_permits(role, Resource::ClinicalPhoto, Action::Export),
        may_upload: role_permits(role, Resource::ClinicalPhoto, Action::Create),
        may_record_consent: role_permits(role, Resource::Patient, Action::Update),
        lesions,
    })
}

async fn upload(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: UploadForm,
) -> Result<Response, WebError> {
    let patient = patient_id(&id)?;
    let Some((_, bytes)) = form.file else {
        return Err(WebError::Validation(ValidationErrors::single(
            "photo",
            "choose a photo to upload (JPEG or PNG)",
        )));
    };
    let upload: PhotoUpload = form.fields.parse()?;
    let to_lesion = form.fields.parse::<BackToLesion>()?.0;
    state
        .app
        .upload_photo(&caller, patient, &upload, &bytes)
        .await?;
    let back = match upload.lesion {
        Some(l) if to_lesion => format!("/lesions/{l}"),
        _ => format!("/patients/{patient}/photos"),
    };
    Ok(Redirect::to(&back).into_response())
}

/// Whether the upload came from a lesion's page (`back=lesion`), to which
/// the user returns; otherwise the gallery.
struct BackToLesion(bool);

#[derive(serde::Deserialize)]
struct BackField {
    #[serde(default)]
    back: String,
}

impl ParseInput for BackToLesion {
    type Raw = BackField;

    fn parse(raw: BackField) -> Result<Self, ValidationErrors> {
        Ok(BackToLesion(raw.back == "lesion"))
    }
}

fn image_response(media_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

async fn full(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (row, bytes) = state
        .app
        .view_photo(&caller, photo_id(&id)?, PhotoSize::Full)
        .await?;
    Ok(image_response(row.media_type.as_str(), bytes))
}

async fn thumbnail(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (_, bytes) = state
        .app
        .view_photo(&caller, photo_id(&id)?, PhotoSize::Thumbnail)
        .await?;
    Ok(image_response("image/jpeg", bytes))
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    purpose: Option<String>,
}

async fn export(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let id = photo_id(&id)?;
    let purpose: Purpose = q
        .purpose
        .unwrap_or_default()
        .parse()
        .map_err(|e: String| WebError::Validation(ValidationErrors::single("purpose", e)))?;
    let bytes = state.app.export_photo(&caller, id, purpose).await?;
    Ok(crate::view::file_response(
        "image/jpeg",
        "attachment",
        &format!("photo-{id}-{}.jpg", purpose.as_str()),
        bytes,
    ))
}

async fn record_consent(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<ConsentInput>,
) -> Result<Response, WebError> {
    let patient = patient_id(&id)?;
    state
        .app
        .record_consent(&caller, patient, &form.input?)
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}/photos")).into_response())
}
