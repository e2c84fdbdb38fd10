//! The demo request pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_core::{ValidationErrors, phi_guard};
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::Form;

use crate::Site;
use crate::demo_requests::requests::*;
use crate::demo_requests::rules::*;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "demo.html")]
pub(crate) struct DemoPage {
    pub(crate) layout: Layout,
    pub(crate) input: DemoInput,
    pub(crate) errors: ValidationErrors,
    pub(crate) specialties: &'static [Specialty],
}

#[derive(Template, WebTemplate)]
#[template(path = "demo_thanks.html")]
pub(crate) struct ThanksPage {
    pub(crate) layout: Layout,
}

pub(crate) fn page(
    site: &Site,
    csrf: &CsrfToken,
    input: DemoInput,
    errors: ValidationErrors,
) -> DemoPage {
    DemoPage {
        layout: Layout::new(site, csrf, "Request a demo", Section::Products),
        input,
        errors,
        specialties: Specialty::ALL,
    }
}

pub(crate) async fn form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> DemoPage {
    page(&site, &csrf, DemoInput::default(), ValidationErrors::new())
}

pub(crate) async fn submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: Form<ValidDemo>,
) -> Result<Response, SiteError> {
    match form.input {
        Ok(valid) => {
            receive(&site, &valid).await?;
            Ok(Redirect::to("/demo/thanks").into_response())
        }
        Err(errors) => {
            let input: DemoInput = form.fields.raw();
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

pub(crate) async fn thanks(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> ThanksPage {
    ThanksPage {
        layout: Layout::new(&site, &csrf, "Thank you", Section::Products),
    }
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/demo", get(form).post(submit))
        .route("/demo/thanks", get(thanks))
}
