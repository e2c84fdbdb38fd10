//! The public pages: home, the three products, pricing and contact.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::routing::get;
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::public::rules::*;
use crate::web::{self, Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub(crate) layout: Layout,
    pub(crate) products: &'static [Product],
}

#[derive(Template, WebTemplate)]
#[template(path = "product.html")]
pub(crate) struct ProductPage {
    pub(crate) layout: Layout,
    pub(crate) product: &'static Product,
}

#[derive(Template, WebTemplate)]
#[template(path = "pricing.html")]
pub(crate) struct PricingPage {
    pub(crate) layout: Layout,
    pub(crate) plans: &'static [crate::billing::rules::Plan],
}

#[derive(Template, WebTemplate)]
#[template(path = "contact.html")]
pub(crate) struct ContactPage {
    pub(crate) layout: Layout,
}

pub(crate) async fn home(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> HomePage {
    HomePage {
        layout: Layout::new(
            &site,
            &csrf,
            "Practice software for dermatology, eye care and optical shops",
            Section::Home,
        ),
        products: PRODUCTS,
    }
}

pub(crate) async fn product(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(slug): Path<String>,
) -> Result<ProductPage, SiteError> {
    let product = PRODUCTS
        .iter()
        .find(|p| p.slug == slug)
        .ok_or(SiteError::NotFound)?;
    Ok(ProductPage {
        layout: Layout::new(
            &site,
            &csrf,
            format!("{} software", product.name),
            Section::Products,
        ),
        product,
    })
}

pub(crate) async fn pricing(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> PricingPage {
    PricingPage {
        layout: Layout::new(&site, &csrf, "Pricing", Section::Pricing),
        plans: crate::billing::rules::PLANS,
    }
}

pub(crate) async fn contact(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> ContactPage {
    ContactPage {
        layout: Layout::new(&site, &csrf, "Contact", Section::Contact),
    }
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/", get(home))
        .route("/products/{slug}", get(product))
        .route("/pricing", get(pricing))
        .route("/contact", get(contact))
        .route("/assets/{file}", get(web::asset))
        .route("/healthz", get(|| async { "ok" }))
}
