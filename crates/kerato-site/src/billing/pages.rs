//! The billing pages of the portal.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_core::ValidationErrors;
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::FormFields;

use crate::Site;
use crate::accounts::pages::SignedIn;
use crate::accounts::rules::Permission;
use crate::billing::payments::*;
use crate::billing::rules::*;
use crate::billing::store::*;
use crate::billing::subscriptions::*;
use crate::processor::TEST_TOKENS;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "billing.html")]
pub(crate) struct BillingPage {
    pub(crate) layout: Layout,
    pub(crate) plans: &'static [Plan],
    pub(crate) subscription: Option<Subscription>,
    pub(crate) input: SubscriptionInput,
    pub(crate) errors: ValidationErrors,
    pub(crate) saved: bool,
    pub(crate) active_users: i64,
    pub(crate) invoices: Vec<Invoice>,
    pub(crate) max_locations: i64,
    pub(crate) max_seats: i64,
}

pub(crate) async fn billing_page(
    site: &Site,
    csrf: &CsrfToken,
    who: &SignedIn,
    input: Option<SubscriptionInput>,
    errors: ValidationErrors,
    saved: bool,
) -> Result<BillingPage, SiteError> {
    let me = who.require(Permission::Billing)?;
    let account_id = account_of(me)?;
    let mut tx = site.store.read().await?;
    let subscription = subscription_of(&mut tx, account_id).await?;
    let active_users = active_users(&mut tx, account_id).await?;
    let invoices = invoices_of(&mut tx, account_id).await?;
    let input = input.unwrap_or_else(|| match &subscription {
        Some(s) => SubscriptionInput {
            plan: s.plan.as_str().into(),
            locations: s.locations.to_string(),
            seats: s.seats.to_string(),
        },
        None => SubscriptionInput {
            plan: PlanId::Practice.as_str().into(),
            locations: "1".into(),
            seats: active_users.max(1).to_string(),
        },
    });
    Ok(BillingPage {
        layout: Layout::new(site, csrf, "Subscription and invoices", Section::Portal),
        plans: PLANS,
        subscription,
        input,
        errors,
        saved,
        active_users,
        invoices,
        max_locations: MAX_LOCATIONS,
        max_seats: MAX_SEATS,
    })
}

pub(crate) async fn billing(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<BillingPage, SiteError> {
    billing_page(&site, &csrf, &who, None, ValidationErrors::new(), false).await
}

pub(crate) async fn choose(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::Billing)?;
    let input = SubscriptionInput::from_form(&form);
    match subscribe(&site, me, &input).await {
        Ok(()) => Ok(
            billing_page(&site, &csrf, &who, None, ValidationErrors::new(), true)
                .await?
                .into_response(),
        ),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            billing_page(&site, &csrf, &who, Some(input), errors, false).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "invoice.html")]
pub(crate) struct InvoicePage {
    pub(crate) layout: Layout,
    pub(crate) invoice: Invoice,
    pub(crate) lines: Vec<Line>,
    pub(crate) payments: Vec<Payment>,
}

pub(crate) async fn invoice_page(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<InvoicePage, SiteError> {
    let me = who.require(Permission::Billing)?;
    let account_id = account_of(me)?;
    let mut tx = site.store.read().await?;
    let invoice = invoice_of(&mut tx, account_id, &id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let lines = lines_of(&mut tx, &id).await?;
    let payments = payments_of(&mut tx, &id).await?;
    Ok(InvoicePage {
        layout: Layout::new(&site, &csrf, "Invoice", Section::Portal),
        invoice,
        lines,
        payments,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pay.html")]
pub(crate) struct PayPage {
    pub(crate) layout: Layout,
    pub(crate) invoice: Invoice,
    pub(crate) attempt: i64,
    pub(crate) test_mode: bool,
    pub(crate) tokens: &'static [(&'static str, &'static str)],
    pub(crate) errors: ValidationErrors,
}

pub(crate) async fn pay_page(
    site: &Site,
    csrf: &CsrfToken,
    who: &SignedIn,
    id: &str,
    errors: ValidationErrors,
) -> Result<PayPage, SiteError> {
    let me = who.require(Permission::Billing)?;
    let account_id = account_of(me)?;
    let mut tx = site.store.read().await?;
    let invoice = invoice_of(&mut tx, account_id, id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let attempt = payments_of(&mut tx, id).await?.len() as i64 + 1;
    Ok(PayPage {
        layout: Layout::new(site, csrf, "Pay an invoice", Section::Portal),
        invoice,
        attempt,
        test_mode: site.payments.is_test_mode(),
        tokens: TEST_TOKENS,
        errors,
    })
}

pub(crate) async fn pay_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Result<PayPage, SiteError> {
    pay_page(&site, &csrf, &who, &id, ValidationErrors::new()).await
}

pub(crate) async fn pay_submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    refuse_card_data(form.pairs())?;
    let me = who.require(Permission::Billing)?;
    let outcome = pay(
        &site,
        me,
        &id,
        &form.get("attempt"),
        &form.get("payment_method"),
    )
    .await;
    let message = match outcome {
        Ok(Outcome::Paid | Outcome::AlreadyPaid) => {
            return Ok(Redirect::to(&format!("/portal/billing/invoices/{id}")).into_response());
        }
        Ok(Outcome::Unpaid(m)) => ValidationErrors::single("payment_method", m),
        Err(SiteError::Validation(errors)) => errors,
        Err(e) => return Err(e),
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        pay_page(&site, &csrf, &who, &id, message).await?,
    )
        .into_response())
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/portal/billing", get(billing).post(choose))
        .route("/portal/billing/invoices/{id}", get(invoice_page))
        .route(
            "/portal/billing/invoices/{id}/pay",
            get(pay_form).post(pay_submit),
        )
}
