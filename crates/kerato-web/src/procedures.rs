//! The procedures page: a patient's procedure notes as their templates
//! wrote them, each service date's charge proposal, and one form per
//! template (biopsy, destruction, excision, repair, Mohs, intralesional
//! injection, phototherapy), optionally on one of the patient's lesions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_app::procedures::ProcedureInput;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, role_permits};
use kerato_domain::ids::{LesionId, PatientId};
use kerato_domain::procedures::coding::EmCode;
use kerato_domain::procedures::note::{
    Anesthesia, BiopsyRecord, DestructionRecord, ExcisionRecord, Hemostasis, InjectionRecord,
    MohsRecord, MohsStage, PhototherapyRecord, ProcedureRecord, RepairRecord, Tenths,
};
use serde::de::DeserializeOwned;

use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::FormFields;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::Choice;
use kerato_http::csrf::CsrfToken;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::Needs;
    let n = Resource::ClinicalNote;
    r.add(
        "GET",
        "/patients/{id}/procedures",
        Needs(n, Action::Query),
        get(page),
    )
    .add(
        "POST",
        "/patients/{id}/procedures",
        Needs(n, Action::Create),
        axum::routing::post(record),
    )
    .add(
        "POST",
        "/patients/{id}/visit-em",
        Needs(n, Action::Update),
        axum::routing::post(visit_em),
    )
    .add(
        "GET",
        "/settings/coding",
        Needs(Resource::Organisation, Action::View),
        get(coding_settings),
    )
    .add(
        "POST",
        "/settings/coding",
        Needs(Resource::Organisation, Action::Update),
        axum::routing::post(save_coding_setting),
    )
}

async fn visit_em(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let day: jiff::civil::Date = form.get("date").trim().parse().map_err(|_| {
        WebError::Validation(ValidationErrors::single(
            "date",
            "the visit day must be a date as YYYY-MM-DD",
        ))
    })?;
    let code = form.get("em");
    state
        .app
        .set_visit_em(&caller, patient, day, Some(code.as_str()))
        .await?;
    Ok(Redirect::to(&format!("/patients/{patient}/procedures#charges-heading")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "coding_settings.html")]
struct CodingSettingsPage {
    layout: Layout,
    payers: Vec<(String, String)>,
    may_edit: bool,
}

async fn coding_settings(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<CodingSettingsPage, WebError> {
    Ok(CodingSettingsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "setup").await?,
        payers: state.app.payer_modifiers(&caller).await?,
        may_edit: role_permits(caller.actor.role, Resource::Organisation, Action::Update),
    })
}

async fn save_coding_setting(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    state
        .app
        .set_payer_modifier(&caller, &form.get("payer"), &form.get("modifier"))
        .await?;
    Ok(Redirect::to("/settings/coding").into_response())
}

/// Reads typed values out of a form, collecting every problem so the user
/// sees them all at once.
struct Fields<'a> {
    form: &'a FormFields,
    errors: ValidationErrors,
}

impl<'a> Fields<'a> {
    fn new(form: &'a FormFields) -> Self {
        Self {
            form,
            errors: ValidationErrors::new(),
        }
    }

    fn text(&self, name: &str) -> String {
        self.form.get(name).trim().to_string()
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        Some(self.text(name)).filter(|t| !t.is_empty())
    }

    /// A whole number, or 0 with an error naming the field.
    fn number(&mut self, name: &str, what: &str) -> u32 {
        self.optional_number(name, what).unwrap_or_else(|| {
            if self.errors.for_field(name).is_none() {
                self.errors.add(name, format!("enter the {what}"));
            }
            0
        })
    }

    fn optional_number(&mut self, name: &str, what: &str) -> Option<u32> {
        let text = self.text(name);
        if text.is_empty() {
            return None;
        }
        match text.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.add(
                    name,
                    format!("the {what} must be a whole number, such as 4 (got {text:?})"),
                );
                None
            }
        }
    }

    /// A quantity with at most one decimal, such as "0.5".
    fn tenths(&mut self, name: &str, what: &str) -> Tenths {
        let text = self.text(name);
        let parsed = match text.split_once('.') {
            None => text.parse::<u32>().ok().and_then(|w| w.checked_mul(10)),
            Some((w, f)) if f.len() == 1 => {
                let whole = if w.is_empty() {
                    Some(0)
                } else {
                    w.parse::<u32>().ok()
                };
                whole
                    .and_then(|w| w.checked_mul(10))
                    .zip(f.parse::<u32>().ok())
                    .and_then(|(w, f)| w.checked_add(f))
            }
            Some(_) => None,
        };
        parsed.map(Tenths).unwrap_or_else(|| {
            self.errors.add(
                name,
                format!("enter the {what} as a number with at most one decimal, such as 0.5"),
            );
            Tenths(0)
        })
    }

    /// One of a vocabulary's words, through the domain's own names for it.
    fn word<T: DeserializeOwned>(&mut self, name: &str, what: &str) -> Option<T> {
        let text = self.text(name);
        match serde_json::from_value(serde_json::Value::String(text.clone())) {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors
                    .add(name, format!("choose the {what} from the list"));
                None
            }
        }
    }
}

fn biopsy_record(f: &mut Fields) -> Option<ProcedureRecord> {
    let method = f.word("method", "biopsy method");
    let punch_mm = f.optional_number("punch_mm", "punch size");
    let depth = if f.text("depth").is_empty() {
        None
    } else {
        f.word("depth", "depth")
    };
    let volume_ml = f.tenths("anesthesia_ml", "anaesthetic volume");
    let hemostasis = match f.text("hemostasis").as_str() {
        "aluminium_chloride" => Some(Hemostasis::AluminiumChloride),
        "electrocautery" => Some(Hemostasis::Electrocautery),
        "sutures" => Some(Hemostasis::Sutures {
            count: f.number("suture_count", "number of sutures"),
            material: f.text("suture_material"),
        }),
        _ => {
            f.errors
                .add("hemostasis", "choose how bleeding was stopped");
            None
        }
    };
    Some(ProcedureRecord::Biopsy(BiopsyRecord {
        method: method?,
        site: f.text("site"),
        punch_mm,
        depth,
        anesthesia: Anesthesia {
            agent: f.text("anesthesia"),
            volume_ml,
        },
        hemostasis: hemostasis?,
        specimen_id: String::new(),
    }))
}

fn record_from(f: &mut Fields) -> Option<ProcedureRecord> {
    match f.text("kind").as_str() {
        "biopsy" => biopsy_record(f),
        "destruction" => {
            let kind = f.word("destruction_kind", "kind of lesion");
            let method = f.word("method", "method");
            let lesion_count = f.number("lesion_count", "number of lesions");
            let cycles = f.optional_number("freeze_thaw_cycles", "number of freeze-thaw cycles");
            Some(ProcedureRecord::Destruction(DestructionRecord {
                kind: kind?,
                method: method?,
                site: f.text("site"),
                lesion_count,
                freeze_thaw_cycles: cycles,
            }))
        }
        "excision" => {
            let behaviour = f.word("behaviour", "behaviour");
            let site_group = f.word("site_group", "site group");
            let lesion_diameter_mm = f.number("lesion_mm", "lesion diameter");
            let margin_mm = f.number("margin_mm", "margin");
            let closure = f.word("closure", "closure");
            Some(ProcedureRecord::Excision(ExcisionRecord {
                behaviour: behaviour?,
                site_group: site_group?,
                site: f.text("site"),
                lesion_diameter_mm,
                margin_mm,
                orientation_suture: f.optional_text("orientation"),
                closure: closure?,
                specimen_id: String::new(),
            }))
        }
        "repair" => {
            let class = f.word("class", "repair class");
            let site_group = f.word("site_group", "repair site");
            let length_mm = f.number("length_mm", "repair length");
            let layers: Vec<_> = f
                .text("layers")
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| l.parse())
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e: String| {
                    f.errors.add("layers", e);
                    Vec::new()
                });
            Some(ProcedureRecord::Repair(RepairRecord {
                class: class?,
                site_group: site_group?,
                site: f.text("site"),
                length_mm,
                layers,
            }))
        }
        "mohs" => {
            let site_group = f.word("site_group", "Mohs site");
            let blocks: Vec<u32> = f
                .text("stage_blocks")
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::parse)
                .collect::<Result<_, _>>()
                .unwrap_or_else(|_| {
                    f.errors.add(
                        "stage_blocks",
                        "list the blocks of each stage as whole numbers, such as 3, 2",
                    );
                    Vec::new()
                });
            let maps: Vec<String> = f
                .text("maps")
                .lines()
                .map(|l| l.trim().to_string())
                .collect();
            let cleared = f.text("cleared") == "yes";
            let count = blocks.len();
            let stages = blocks
                .into_iter()
                .enumerate()
                .map(|(i, blocks)| MohsStage {
                    blocks,
                    margins_clear: cleared && i + 1 == count,
                    map: maps.get(i).cloned().unwrap_or_default(),
                })
                .collect();
            let final_defect_mm = f.number("final_defect_mm", "final defect size");
            Some(ProcedureRecord::Mohs(MohsRecord {
                site_group: site_group?,
                site: f.text("site"),
                stages,
                final_defect_mm,
            }))
        }
        "injection" => {
            let concentration_mg_ml = f.tenths("concentration", "concentration");
            let volume_ml = f.tenths("volume_ml", "volume");
            let lesion_count = f.number("lesion_count", "number of lesions");
            Some(ProcedureRecord::Injection(InjectionRecord {
                drug: f.text("drug"),
                concentration_mg_ml,
                volume_ml,
                lesion_count,
                site: f.text("site"),
            }))
        }
        "phototherapy" => {
            let kind = f.word("light", "kind of phototherapy");
            let area_sq_cm = f.optional_number("area_sq_cm", "area treated");
            let dose_mj_cm2 = f.number("dose_mj_cm2", "dose");
            let erythema = f.word("erythema", "erythema grade");
            let skin_type = if f.text("skin_type").is_empty() {
                None
            } else {
                f.word("skin_type", "skin type")
            };
            let duration_s = f.optional_number("duration_s", "exposure time");
            Some(ProcedureRecord::Phototherapy(PhototherapyRecord {
                kind: kind?,
                area_sq_cm,
                dose_mj_cm2,
                erythema_since_last: erythema?,
                skin_type,
                duration_s,
            }))
        }
        _ => {
            f.errors.add("kind", "choose which procedure to record");
            None
        }
    }
}

async fn record(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let mut f = Fields::new(&form);
    let record = record_from(&mut f);
    let location = f.text("location_id").parse().ok();
    if location.is_none() {
        f.errors
            .add("location_id", "choose where the procedure was done");
    }
    let lesion: Option<LesionId> = match f.text("lesion_id").as_str() {
        "" => None,
        text => match text.parse() {
            Ok(l) => Some(l),
            Err(_) => {
                f.errors
                    .add("lesion_id", "choose one of the patient's lesions");
                None
            }
        },
    };
    let dose_override = f.optional_text("dose_override");
    let (Some(record), Some(location)) = f.errors.into_result((record, location))? else {
        return Err(WebError::Validation(ValidationErrors::single(
            "kind",
            "choose which procedure to record",
        )));
    };
    let done = state
        .app
        .record_procedure(
            &caller,
            ProcedureInput {
                patient,
                lesion,
                location,
                record,
                dose_override,
            },
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/patients/{patient}/procedures#procedure-{}",
        done.procedure.id
    ))
    .into_response())
}

struct NoteView {
    id: String,
    date: String,
    kind: String,
    note: String,
    specimen: Option<String>,
    lesion: Option<String>,
}

struct ChargeLineView {
    code: String,
    units: i64,
    modifiers: String,
    rationale: String,
    hold: Option<String>,
}

struct DayView {
    date: String,
    lines: Vec<ChargeLineView>,
}

/// The office visit codes the E/M form offers.
fn em_choices() -> Vec<Choice> {
    let mut all = vec![Choice {
        value: String::new(),
        label: "No separate E/M".into(),
        selected: true,
    }];
    all.extend(EmCode::ALL.iter().map(|e| Choice {
        value: e.code().into(),
        label: match e {
            EmCode::New99202 | EmCode::New99203 | EmCode::New99204 | EmCode::New99205 => {
                format!("{} (new patient)", e.code())
            }
            _ => format!("{} (established patient)", e.code()),
        },
        selected: false,
    }));
    all
}

#[derive(Template, WebTemplate)]
#[template(path = "procedures.html")]
struct ProceduresPage {
    layout: Layout,
    patient: String,
    notes: Vec<NoteView>,
    days: Vec<DayView>,
    may_record: bool,
    may_take_specimens: bool,
    locations: Vec<Choice>,
    lesions: Vec<Choice>,
    em_codes: Vec<Choice>,
    today: String,
    may_set_em: bool,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    lesion: Option<String>,
}

async fn page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<ProceduresPage, WebError> {
    let patient: PatientId = id.parse().map_err(|_| WebError::NotFound("patient"))?;
    let rows = state.app.procedures_of_patient(&caller, patient).await?;
    let role = caller.actor.role;
    let mut dates: Vec<String> = rows.iter().map(|r| r.service_date.clone()).collect();
    dates.dedup();
    let mut days = Vec::new();
    if role_permits(role, Resource::Billing, Action::View) {
        for date in dates.iter().rev() {
            let lines = state.app.charge_proposal(&caller, patient, date).await?;
            days.push(DayView {
                date: date.clone(),
                lines: lines
                    .into_iter()
                    .map(|l| ChargeLineView {
                        code: l.code,
                        units: l.units,
                        modifiers: l.modifiers,
                        rationale: l.rationale,
                        hold: l.hold,
                    })
                    .collect(),
            });
        }
    }
    let chosen = q.lesion.unwrap_or_default();
    let lesions = state
        .app
        .lesions_of_patient(&caller, patient)
        .await?
        .into_iter()
        .filter(|l| l.status == "active")
        .map(|l| Choice {
            selected: l.id.to_string() == chosen,
            value: l.id.to_string(),
            label: l.label,
        })
        .collect();
    let may_record = role_permits(role, Resource::ClinicalNote, Action::Create);
    Ok(ProceduresPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "patients").await?,
        patient: patient.to_string(),
        notes: rows
            .iter()
            .rev()
            .map(|r| NoteView {
                id: r.id.to_string(),
                date: r.service_date.clone(),
                kind: r.kind.clone(),
                note: r.note.clone(),
                specimen: r.biopsy_id.map(|b| b.to_string()),
                lesion: r.lesion_id.map(|l| l.to_string()),
            })
            .collect(),
        days,
        may_record,
        may_take_specimens: role_permits(role, Resource::Pathology, Action::Create),
        locations: if may_record {
            state
                .app
                .list_locations(&caller)
                .await?
                .into_iter()
                .map(|l| Choice {
                    value: l.id.to_string(),
                    label: l.name,
                    selected: false,
                })
                .collect()
        } else {
            Vec::new()
        },
        lesions,
        em_codes: em_choices(),
        today: state
            .app
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
        may_set_em: role_permits(role, Resource::ClinicalNote, Action::Update),
    })
}
