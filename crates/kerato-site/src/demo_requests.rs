//! Demo requests: the public form, its acknowledgement by e-mail, and the
//! pipeline vendor staff move each request through (new → contacted →
//! demo held → won or lost).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_core::ValidationErrors;
use kerato_core::phi_guard;
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::audit::{self, Event};
use crate::outbox::{self, Outgoing};
use crate::web::{self, Form, Layout, Section, SiteError};

kerato_core::string_enum!(
    /// The practice's kind, as the visitor picks it.
    Specialty {
        Dermatology = "dermatology", "Dermatology";
        EyeCare = "eye_care", "Eye care";
        Optical = "optical", "Optical shop";
        Several = "several", "More than one of these";
    }
);

kerato_core::string_enum!(
    /// Where a request stands in the sales pipeline.
    Stage {
        New = "new", "New";
        Contacted = "contacted", "Contacted";
        DemoHeld = "demo_held", "Demo held";
        Won = "won", "Won";
        Lost = "lost", "Lost";
    }
);

impl Stage {
    /// The stages a request may move to from this one: forward through
    /// the pipeline, or to lost from anywhere open. Won and lost are final.
    pub fn next(self) -> &'static [Stage] {
        match self {
            Stage::New => &[Stage::Contacted, Stage::Lost],
            Stage::Contacted => &[Stage::DemoHeld, Stage::Lost],
            Stage::DemoHeld => &[Stage::Won, Stage::Lost],
            Stage::Won | Stage::Lost => &[],
        }
    }
}

/// What the visitor typed, kept to show the form again with their text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoInput {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub practice_name: String,
    pub specialty: String,
    pub message: String,
}

/// A checked request, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDemo {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub practice_name: String,
    pub specialty: Specialty,
    pub message: Option<String>,
}

/// Checks a phone number loosely: digits with the usual separators, 7 to
/// 15 digits (E.164's maximum).
pub(crate) fn phone(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(7..=15).contains(&digits) {
        errors.add(
            field,
            "enter a phone number of 7 to 15 digits, like 518-555-0100 or +1 518 555 0100",
        );
    }
    Some(v.to_string())
}

impl DemoInput {
    fn from_form(f: &Form) -> Self {
        Self {
            name: f.get("name"),
            email: f.get("email"),
            phone: f.get("phone"),
            practice_name: f.get("practice_name"),
            specialty: f.get("specialty"),
            message: f.get("message"),
        }
    }

    /// Every problem at once, by field.
    pub fn validate(&self) -> Result<ValidDemo, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = web::text(&mut e, "name", "your name", &self.name, true, 100);
        let email = web::email(&mut e, "email", &self.email);
        let phone = phone(&mut e, "phone", &self.phone);
        let practice_name = web::text(
            &mut e,
            "practice_name",
            "the practice's name",
            &self.practice_name,
            true,
            150,
        );
        let specialty = match self.specialty.parse::<Specialty>() {
            Ok(s) => Some(s),
            Err(_) => {
                e.add("specialty", "choose the kind of practice");
                None
            }
        };
        let message = web::text(&mut e, "message", "the message", &self.message, false, 2000);
        match specialty {
            Some(specialty) if e.is_empty() => Ok(ValidDemo {
                name,
                email,
                phone,
                practice_name,
                specialty,
                message: (!message.is_empty()).then_some(message),
            }),
            _ => Err(e),
        }
    }
}

/// A stored request, for the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRequest {
    pub id: String,
    pub received_at: Timestamp,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub practice_name: String,
    pub specialty: Specialty,
    pub message: Option<String>,
    pub stage: Stage,
}

type Row = (
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

fn request(r: Row) -> Result<DemoRequest, StoreError> {
    Ok(DemoRequest {
        id: r.0,
        received_at: Timestamp::from_micros(r.1),
        name: r.2,
        email: r.3,
        phone: r.4,
        practice_name: r.5,
        specialty: r.6.parse().map_err(kerato_db::corrupt)?,
        message: r.7,
        stage: r.8.parse().map_err(kerato_db::corrupt)?,
    })
}

/// Every request, newest first.
pub async fn all(tx: &mut Tx) -> Result<Vec<DemoRequest>, StoreError> {
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, received_at, name, email, phone, practice_name, specialty, message, stage \
         FROM demo_requests ORDER BY received_at DESC"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(request).collect()
}

/// Stores a checked request, queues its acknowledgement and audits it, in
/// one transaction.
pub async fn receive(site: &Site, d: &ValidDemo) -> Result<String, SiteError> {
    let now = site.now();
    // The message is free text: patient data pasted by mistake is taken
    // out before it is stored, and the removal audited by counts only.
    let message = d.message.as_deref().map(phi_guard::redact);
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO demo_requests (id, received_at, name, email, phone, practice_name, specialty, message, stage, stage_at, last_interaction_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $2, $2)"
        )
        .bind(&id)
        .bind(now.as_micros())
        .bind(&d.name)
        .bind(&d.email)
        .bind(&d.phone)
        .bind(&d.practice_name)
        .bind(d.specialty.as_str())
        .bind(message.as_ref().map(|m| m.text.as_str()))
    )?;
    let body = format!(
        "Dear {name},\n\nThank you for asking to see Kerato for {practice}. \
         Someone from our team will contact you within two business days to find a time.\n\n\
         If you did not ask for a demo, you can ignore this message; we will not write again.\n\n\
         {vendor}\n{email} · {phone}\n",
        name = d.name,
        practice = d.practice_name,
        vendor = site.config.vendor_name,
        email = site.config.contact_email,
        phone = site.config.contact_phone,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "demo_ack",
            recipient: &d.email,
            subject: "Your Kerato demo request",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let subject = format!("demo_request:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "demo_request.received",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    if let Some(m) = message.filter(|m| !m.findings.is_empty()) {
        let summary = phi_guard::summary(&m.findings);
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("system:phi_guard"),
                action: "demo_request.redacted",
                subject: Some(&subject),
                detail: Some(&summary),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Moves a request to the next stage, if that move is allowed.
pub async fn move_to(site: &Site, actor: &str, id: &str, to: Stage) -> Result<(), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let current: Option<(String,)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT stage FROM demo_requests WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(&mut **c)
    .await)?;
    let current: Stage = current
        .ok_or(SiteError::NotFound)?
        .0
        .parse()
        .map_err(|e: String| SiteError::Internal(e))?;
    if !current.next().contains(&to) {
        return Err(SiteError::Conflict(format!(
            "a request that is {} cannot move to {}; reload the pipeline",
            current.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    execute!(
        &mut tx,
        sqlx::query(
            "UPDATE demo_requests SET stage = $1, stage_at = $2, last_interaction_at = $2 WHERE id = $3"
        )
        .bind(to.as_str())
        .bind(now.as_micros())
        .bind(id)
    )?;
    let subject = format!("demo_request:{id}");
    let detail = format!("{current} -> {to}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "demo_request.stage",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Template, WebTemplate)]
#[template(path = "demo.html")]
struct DemoPage {
    layout: Layout,
    input: DemoInput,
    errors: ValidationErrors,
    specialties: &'static [Specialty],
}

#[derive(Template, WebTemplate)]
#[template(path = "demo_thanks.html")]
struct ThanksPage {
    layout: Layout,
}

fn page(site: &Site, csrf: &CsrfToken, input: DemoInput, errors: ValidationErrors) -> DemoPage {
    DemoPage {
        layout: Layout::new(site, csrf, "Request a demo", Section::Products),
        input,
        errors,
        specialties: Specialty::ALL,
    }
}

async fn form(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> DemoPage {
    page(&site, &csrf, DemoInput::default(), ValidationErrors::new())
}

async fn submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: Form,
) -> Result<Response, SiteError> {
    let input = DemoInput::from_form(&form);
    match input.validate() {
        Ok(valid) => {
            receive(&site, &valid).await?;
            Ok(Redirect::to("/demo/thanks").into_response())
        }
        Err(errors) => {
            // Patient data pasted by mistake is not sent back out.
            let input = DemoInput {
                message: phi_guard::redact(&input.message).text,
                ..input
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&site, &csrf, input, errors),
            )
                .into_response())
        }
    }
}

async fn thanks(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> ThanksPage {
    ThanksPage {
        layout: Layout::new(&site, &csrf, "Thank you", Section::Products),
    }
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/demo", get(form).post(submit))
        .route("/demo/thanks", get(thanks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> DemoInput {
        DemoInput {
            name: "Ann Lee".into(),
            email: "ann@clinic.example".into(),
            phone: "518-555-0100".into(),
            practice_name: "Lee Eye Care".into(),
            specialty: "eye_care".into(),
            message: String::new(),
        }
    }

    #[test]
    fn a_complete_request_is_valid() {
        let v = good().validate().unwrap();
        assert_eq!(v.specialty, Specialty::EyeCare);
        assert_eq!(v.message, None);
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = DemoInput {
            name: String::new(),
            email: "nope".into(),
            phone: "12".into(),
            practice_name: "x".repeat(151),
            specialty: "surgery".into(),
            message: "y".repeat(2001),
        };
        let e = bad.validate().unwrap_err();
        for field in [
            "name",
            "email",
            "phone",
            "practice_name",
            "specialty",
            "message",
        ] {
            assert!(e.for_field(field).is_some(), "{field} not reported");
        }
    }

    #[test]
    fn the_pipeline_only_moves_forward_or_to_lost() {
        assert!(Stage::New.next().contains(&Stage::Contacted));
        assert!(!Stage::New.next().contains(&Stage::Won));
        assert!(Stage::Won.next().is_empty());
        for s in Stage::ALL {
            if !matches!(s, Stage::Won | Stage::Lost) {
                assert!(s.next().contains(&Stage::Lost));
            }
        }
    }
}
