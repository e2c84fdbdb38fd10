//! Imports from another system, for administrators: the page that takes a
//! CSV upload with a preset or mapping, the job page that polls while the
//! import runs in the background and then shows its report (with the run
//! offered after a dry run), and the same through the JSON API.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_app::import::{ImportJob, ImportJobState};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::import::{ImportJobId, ImportKind, ImportReport, Mapping, Preset};

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::{Problem, WebError};
use crate::extract::{ApiJson, FormFields, UploadForm, UploadLimit, upload_body_limit};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use kerato_http::csrf::CsrfToken;

/// Largest file an import takes: a practice of a hundred thousand
/// patients exports in less.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

pub(crate) fn routes(r: Routes) -> Routes {
    let admin = Access::Needs(Resource::Organisation, Action::Update);
    let limit = upload_body_limit(MAX_IMPORT_BYTES);
    r.add("GET", "/admin/import", admin, get(page))
        .add(
            "POST",
            "/admin/import",
            admin,
            post(upload)
                .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(limit))
                .layer::<_, std::convert::Infallible>(Extension(UploadLimit(limit))),
        )
        .add("GET", "/admin/import/jobs/{id}", admin, get(job_page))
        .add("POST", "/admin/import/jobs/{id}/run", admin, post(run))
        .add(
            "POST",
            "/api/imports",
            admin,
            post(api_start)
                .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(limit))
                .layer::<_, std::convert::Infallible>(Extension(UploadLimit(limit))),
        )
        .add("GET", "/api/imports/{id}", admin, get(api_job))
}

fn job_id(id: &str) -> Result<ImportJobId, WebError> {
    id.parse().map_err(|_| WebError::NotFound("import"))
}

/// The mapping a form or body asks for, its problems named as `mapping`
/// (or `kind`, `preset`) errors.
fn mapping(kind: &str, preset: &str, text: &str) -> Result<Mapping, WebError> {
    let kind: ImportKind = kind
        .trim()
        .parse()
        .map_err(|m: String| ValidationErrors::single("kind", m))?;
    let preset: Option<Preset> = match preset.trim() {
        "" | "none" => None,
        p => Some(
            p.parse()
                .map_err(|m: String| ValidationErrors::single("preset", m))?,
        ),
    };
    let text = Some(text).filter(|t| !t.trim().is_empty());
    let preset = match (preset, text) {
        (None, None) => Some(Preset::Generic),
        (p, _) => p,
    };
    Mapping::choose(kind, preset, text)
        .map_err(|e| WebError::Validation(kerato_app::import::mapping_errors(e)))
}

struct PresetView {
    label: &'static str,
    kind: &'static str,
    text: &'static str,
}

struct JobLine {
    id: String,
    started: String,
    kind: &'static str,
    source: String,
    dry_run: bool,
    state: String,
}

fn started(job: &ImportJob) -> String {
    job.started_at
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%m/%d/%Y %H:%M UTC")
        .to_string()
}

fn state_text(job: &ImportJob) -> String {
    match &job.state {
        ImportJobState::Running { done, total } => format!("running: {done} of {total} rows"),
        ImportJobState::Finished(r) if r.dry_run => {
            format!("checked: {} would be created", r.created)
        }
        ImportJobState::Finished(r) => format!("done: {} created", r.created),
        ImportJobState::Failed(_) => "stopped".into(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    presets: Vec<PresetView>,
    jobs: Vec<JobLine>,
    max_mib: usize,
}

async fn page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<ImportPage, WebError> {
    let jobs = state.app.import_jobs(&caller).await?;
    let mut presets = Vec::new();
    for p in Preset::ALL {
        for k in ImportKind::ALL {
            presets.push(PresetView {
                label: p.label(),
                kind: k.label(),
                text: p.text(*k),
            });
        }
    }
    Ok(ImportPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "import").await?,
        presets,
        jobs: jobs
            .iter()
            .map(|j| JobLine {
                id: j.id.to_string(),
                started: started(j),
                kind: j.kind.label(),
                source: j.source.clone(),
                dry_run: j.dry_run,
                state: state_text(j),
            })
            .collect(),
        max_mib: MAX_IMPORT_BYTES / (1024 * 1024),
    })
}

async fn upload(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: UploadForm,
) -> Result<Response, WebError> {
    let Some((_, file)) = form.file else {
        return Err(WebError::Validation(ValidationErrors::single(
            "file",
            "choose the CSV file to import",
        )));
    };
    let f = &form.fields;
    let mapping = mapping(&f.get("kind"), &f.get("preset"), &f.get("mapping"))?;
    let dry_run = f.get("action") != "run";
    let job = state
        .app
        .start_import(&caller, mapping, file.to_vec(), dry_run)
        .await?;
    Ok(Redirect::to(&format!("/admin/import/jobs/{}", job.id)).into_response())
}

async fn run(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let job = state.app.run_after_dry_run(&caller, job_id(&id)?).await?;
    Ok(Redirect::to(&format!("/admin/import/jobs/{}", job.id)).into_response())
}

struct IssueLine {
    row: u64,
    field: String,
    column: String,
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "import_job.html")]
struct JobPage {
    layout: Layout,
    id: String,
    kind: &'static str,
    source: String,
    dry_run: bool,
    started: String,
    running: Option<(u64, u64)>,
    failed: Option<String>,
    report: Option<ImportReport>,
    issues: Vec<IssueLine>,
    can_run: bool,
}

async fn job_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<JobPage, WebError> {
    let job = state.app.import_job(&caller, job_id(&id)?).await?;
    let (mut running, mut failed, mut report) = (None, None, None);
    match &job.state {
        ImportJobState::Running { done, total } => running = Some((*done, *total)),
        ImportJobState::Failed(why) => failed = Some(why.clone()),
        ImportJobState::Finished(r) => report = Some((**r).clone()),
    }
    let issues = report
        .iter()
        .flat_map(|r| r.refused.iter())
        .map(|i| IssueLine {
            row: i.row,
            field: i.field.clone(),
            column: i.column.clone().unwrap_or_default(),
            message: i.message.clone(),
        })
        .collect();
    Ok(JobPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "import").await?,
        id: job.id.to_string(),
        kind: job.kind.label(),
        source: job.source.clone(),
        dry_run: job.dry_run,
        started: started(&job),
        running,
        failed,
        report,
        issues,
        can_run: job.can_run,
    })
}

/// An import as the API starts it: the CSV's text, what it holds, and the
/// preset or mapping (TOML) that reads it.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// `patients` or `appointments`.
    pub kind: String,
    /// `generic` or `openemr`; with `mapping`, the mapping is laid over it.
    #[serde(default)]
    pub preset: Option<String>,
    /// A mapping file's TOML text (see docs/import.md).
    #[serde(default)]
    pub mapping: Option<String>,
    /// Check every row and report; write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The CSV file's text, with its header row.
    pub csv: String,
}

/// An import job: where it stands and, once finished, its report.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportJobView {
    pub id: String,
    /// `patients` or `appointments`.
    pub kind: &'static str,
    pub source: String,
    pub dry_run: bool,
    /// When it started, RFC 3339 in UTC.
    pub started_at: String,
    /// `running`, `finished` or `failed`.
    pub state: &'static str,
    /// Rows read so far, and in all.
    pub done: u64,
    pub total: u64,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub report: Option<ImportReport>,
}

impl From<&ImportJob> for ImportJobView {
    fn from(j: &ImportJob) -> Self {
        let (state, done, total, error, report) = match &j.state {
            ImportJobState::Running { done, total } => ("running", *done, *total, None, None),
            ImportJobState::Finished(r) => ("finished", r.rows, r.rows, None, Some((**r).clone())),
            ImportJobState::Failed(why) => ("failed", 0, 0, Some(why.clone()), None),
        };
        Self {
            id: j.id.to_string(),
            kind: j.kind.as_str(),
            source: j.source.clone(),
            dry_run: j.dry_run,
            started_at: j.started_at.to_string(),
            state,
            done,
            total,
            error,
            report,
        }
    }
}

#[utoipa::path(post, path = "/api/imports", tag = "imports", operation_id = "start_import",
    request_body = ImportBody,
    responses((status = 202, description = "Started in the background; the Location header names the job to poll", body = ImportJobView),
        (status = 413, description = "The body is larger than 32 MiB", body = Problem),
        (status = 422, description = "The kind, preset or mapping is not valid, or the file cannot be read at all (no header, a column named twice, a mapped column missing)", body = Problem)))]
pub(crate) async fn api_start(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<Response, WebError> {
    let mapping = mapping(
        &body.kind,
        body.preset.as_deref().unwrap_or(""),
        body.mapping.as_deref().unwrap_or(""),
    )?;
    let job = state
        .app
        .start_import(&caller, mapping, body.csv.into_bytes(), body.dry_run)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/imports/{}", job.id))],
        Json(ImportJobView::from(&job)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/imports/{id}", tag = "imports", operation_id = "get_import",
    params(("id" = String, Path, description = "import job ID")),
    responses((status = 200, description = "The job, with its report once finished", body = ImportJobView),
        (status = 404, description = "No such job in this practice (jobs are kept in memory: a restart forgets them)", body = Problem)))]
pub(crate) async fn api_job(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ImportJobView>, WebError> {
    let job = state.app.import_job(&caller, job_id(&id)?).await?;
    Ok(Json(ImportJobView::from(&job)))
}
