//! The public pages: home, the three products, pricing and contact.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::routing::get;
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::web::{self, Layout, Section, SiteError};

/// One product page's content.
#[derive(Debug)]
pub(crate) struct Product {
    pub slug: &'static str,
    pub name: &'static str,
    pub lead: &'static str,
    pub features: &'static [(&'static str, &'static str)],
}

pub(crate) const PRODUCTS: &[Product] = &[
    Product {
        slug: "dermatology",
        name: "Dermatology",
        lead: "Lesions on a body map, biopsies tracked from order to result, photographs that stay on your server.",
        features: &[
            (
                "Body maps and lesion history",
                "Record each lesion once and follow it visit by visit, with its photographs side by side.",
            ),
            (
                "Closed-loop biopsy log",
                "Every specimen from order to pathology result to patient notification, with alerts when a result is late.",
            ),
            (
                "Procedure coding",
                "Biopsy, destruction, excision, repair and Mohs codes proposed from the note, with the reason for each.",
            ),
            (
                "Clinical photography",
                "Consent recorded per purpose; photographs encrypted at rest and never sent to us.",
            ),
        ],
    },
    Product {
        slug: "eye-care",
        name: "Eye care",
        lead: "Exams, refractions and prescriptions, with the FTC's release and verification clocks built in.",
        features: &[
            (
                "Structured eye exams",
                "Visual acuity, refraction, keratometry and the rest, entered OD then OS and checked as you type.",
            ),
            (
                "Prescriptions",
                "Spectacle and contact lens prescriptions with each state's expiry rules and automatic release.",
            ),
            (
                "Contact lens verification",
                "Seller requests answered within eight business hours, counted on the federal calendar.",
            ),
            (
                "Recalls",
                "Patients due for their next exam are found and reminded without anyone keeping a list.",
            ),
        ],
    },
    Product {
        slug: "optical",
        name: "Optical shop",
        lead: "Frames, lenses and orders from the prescription to the pick-up, at the counter and in the lab.",
        features: &[
            (
                "Orders from the prescription",
                "Lens orders start from the signed prescription, so nothing is typed twice.",
            ),
            (
                "Point of sale",
                "Payments, insurance portions and receipts at the counter.",
            ),
            (
                "Inventory",
                "Frames and contact lenses by location, with what is on order.",
            ),
            (
                "Pick-up notices",
                "Patients hear when their glasses are ready, by the channel they chose.",
            ),
        ],
    },
];

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    products: &'static [Product],
}

#[derive(Template, WebTemplate)]
#[template(path = "product.html")]
struct ProductPage {
    layout: Layout,
    product: &'static Product,
}

#[derive(Template, WebTemplate)]
#[template(path = "pricing.html")]
struct PricingPage {
    layout: Layout,
    plans: &'static [crate::billing::Plan],
}

#[derive(Template, WebTemplate)]
#[template(path = "contact.html")]
struct ContactPage {
    layout: Layout,
}

async fn home(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> HomePage {
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

async fn product(
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

async fn pricing(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> PricingPage {
    PricingPage {
        layout: Layout::new(&site, &csrf, "Pricing", Section::Pricing),
        plans: crate::billing::PLANS,
    }
}

async fn contact(State(site): State<Site>, Extension(csrf): Extension<CsrfToken>) -> ContactPage {
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
