//! Card payments through a processor, never through us: the site creates a
//! payment intent for an amount, the card is turned into a token by the
//! processor (its own script in the customer's browser, in a real
//! deployment), and the site confirms the intent with that token. No card
//! number, expiry or security code ever reaches the site.
//!
//! The request and response shapes follow Stripe's PaymentIntents API
//! (`POST /v1/payment_intents`, `POST /v1/payment_intents/{id}/confirm`,
//! `GET /v1/payment_intents/{id}`, form-encoded bodies, a bearer key and an
//! `Idempotency-Key` header), so the same adapter talks to Stripe or to
//! [`crate::processor_double`], the local stand-in tests and the demo use.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::SiteConfig;

/// The test tokens Stripe's test mode (and the local double) accept, with
/// what each does; offered on the pay page only with a test key.
pub const TEST_TOKENS: &[(&str, &str)] = &[
    ("tok_visa", "Test Visa card that is accepted"),
    ("tok_chargeDeclined", "Test card that is declined"),
];

/// Where a payment intent stands, as the processor names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    Succeeded,
    Canceled,
}

impl IntentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequiresPaymentMethod => "requires_payment_method",
            Self::RequiresConfirmation => "requires_confirmation",
            Self::RequiresAction => "requires_action",
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Canceled => "canceled",
        }
    }
}

/// Why the last confirmation failed (`card_declined`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentError {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The card as the processor describes it after a charge: never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: Option<String>,
    pub last4: Option<String>,
}

/// A payment intent as the site sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentIntent {
    /// `pi_…`
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: IntentStatus,
    /// For the processor's script in the browser; the site does not keep it.
    pub client_secret: Option<String>,
    pub last_payment_error: Option<PaymentError>,
    pub card: Option<CardSummary>,
}

/// What the processor could not do (network, refusal of the request
/// itself); a declined card is not an error but an intent with
/// `last_payment_error`.
#[derive(Debug, thiserror::Error)]
#[error("the payment processor could not be reached or refused the request: {0}")]
pub struct ProcessorError(pub String);

pub type ProcessorFuture<'a> =
    Pin<Box<dyn Future<Output = Result<PaymentIntent, ProcessorError>> + Send + 'a>>;

/// A card processor with payment intents.
pub trait PaymentProcessor: Send + Sync {
    /// Creates an intent; the same idempotency key returns the same intent
    /// instead of a second one.
    fn create_payment_intent<'a>(
        &'a self,
        amount_cents: i64,
        currency: &'a str,
        idempotency_key: &'a str,
        customer_ref: &'a str,
    ) -> ProcessorFuture<'a>;

    /// Confirms an intent with a token the processor issued for a card.
    fn confirm<'a>(
        &'a self,
        intent_id: &'a str,
        payment_method_token: &'a str,
        idempotency_key: &'a str,
    ) -> ProcessorFuture<'a>;

    fn retrieve<'a>(&'a self, intent_id: &'a str) -> ProcessorFuture<'a>;

    /// Whether the processor runs in test mode, where the test tokens are
    /// the only cards there are.
    fn is_test_mode(&self) -> bool;
}

/// Stripe's JSON for an intent, as much of it as the site reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntentJson {
    pub id: String,
    pub object: String,
    pub amount: i64,
    pub currency: String,
    pub status: IntentStatus,
    pub client_secret: Option<String>,
    pub last_payment_error: Option<PaymentError>,
    /// An ID, or the charge itself when asked for with `expand[]`.
    pub latest_charge: Option<serde_json::Value>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// Stripe's error envelope; a card error carries the intent it left behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorJson {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub payment_intent: Option<IntentJson>,
}

impl From<IntentJson> for PaymentIntent {
    fn from(j: IntentJson) -> Self {
        let card = j
            .latest_charge
            .as_ref()
            .and_then(|c| c.pointer("/payment_method_details/card"))
            .map(|c| CardSummary {
                brand: c["brand"].as_str().map(str::to_string),
                last4: c["last4"].as_str().map(str::to_string),
            });
        Self {
            id: j.id,
            amount: j.amount,
            currency: j.currency,
            status: j.status,
            client_secret: j.client_secret,
            last_payment_error: j.last_payment_error,
            card,
        }
    }
}

/// The processor over HTTP.
#[derive(Clone)]
pub struct HttpProcessor {
    base_url: String,
    secret_key: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for HttpProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret key never reaches a log.
        f.debug_struct("HttpProcessor")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl HttpProcessor {
    pub fn new(base_url: &str, secret_key: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
        }
    }

    async fn call(
        &self,
        path: &str,
        form: Option<&[(&str, &str)]>,
        idempotency_key: Option<&str>,
    ) -> Result<PaymentIntent, ProcessorError> {
        let url = format!("{}{path}", self.base_url);
        let mut req = match form {
            Some(fields) => {
                let body = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish();
                self.client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
            }
            None => self.client.get(url),
        };
        req = req.bearer_auth(&self.secret_key);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ProcessorError(e.to_string()))?;
        let ok = resp.status().is_success();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ProcessorError(e.to_string()))?;
        if ok {
            return serde_json::from_slice::<IntentJson>(&bytes)
                .map(PaymentIntent::from)
                .map_err(|e| ProcessorError(format!("unexpected answer: {e}")));
        }
        // A declined card (402) or an intent in an unexpected state comes
        // back as an error that carries the intent; the intent's status is
        // the truth the site records.
        let err: ErrorJson = serde_json::from_slice(&bytes)
            .map_err(|e| ProcessorError(format!("unexpected error answer: {e}")))?;
        match err.error.payment_intent {
            Some(intent) => Ok(intent.into()),
            None => Err(ProcessorError(format!(
                "{}: {}",
                err.error.code.unwrap_or(err.error.kind),
                err.error.message.unwrap_or_default()
            ))),
        }
    }
}

impl PaymentProcessor for HttpProcessor {
    fn create_payment_intent<'a>(
        &'a self,
        amount_cents: i64,
        currency: &'a str,
        idempotency_key: &'a str,
        customer_ref: &'a str,
    ) -> ProcessorFuture<'a> {
        Box::pin(async move {
            let amount = amount_cents.to_string();
            self.call(
                "/v1/payment_intents",
                Some(&[
                    ("amount", &amount),
                    ("currency", currency),
                    ("payment_method_types[]", "card"),
                    // The reference is ours (an invoice), not a Stripe
                    // customer object, so it travels as metadata.
                    ("metadata[reference]", customer_ref),
                ]),
                Some(idempotency_key),
            )
            .await
        })
    }

    fn confirm<'a>(
        &'a self,
        intent_id: &'a str,
        payment_method_token: &'a str,
        idempotency_key: &'a str,
    ) -> ProcessorFuture<'a> {
        Box::pin(async move {
            self.call(
                &format!("/v1/payment_intents/{intent_id}/confirm"),
                Some(&[
                    ("payment_method_data[type]", "card"),
                    ("payment_method_data[card][token]", payment_method_token),
                    ("expand[]", "latest_charge"),
                ]),
                Some(idempotency_key),
            )
            .await
        })
    }

    fn retrieve<'a>(&'a self, intent_id: &'a str) -> ProcessorFuture<'a> {
        Box::pin(async move {
            self.call(&format!("/v1/payment_intents/{intent_id}"), None, None)
                .await
        })
    }

    fn is_test_mode(&self) -> bool {
        // Stripe's convention: test-mode secret keys start with sk_test_.
        self.secret_key.starts_with("sk_test_")
    }
}

/// The processor the configuration names.
pub fn processor_from_config(config: &SiteConfig) -> Arc<dyn PaymentProcessor> {
    Arc::new(HttpProcessor::new(
        &config.payment_processor_url,
        config.payment_processor_key.expose(),
    ))
}

#[cfg(test)]
mod tests {
    // A failed unwrap in a test is a test failure with its location.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::processor_double::spawn_processor_double;

    #[tokio::test]
    async fn the_adapter_speaks_the_intents_api_with_the_double() {
        let double = spawn_processor_double("127.0.0.1:0").await.unwrap();
        let p = HttpProcessor::new(&double.url, "sk_test_unit");
        assert!(p.is_test_mode());
        let a = p
            .create_payment_intent(1500, "usd", "k1", "invoice:1")
            .await
            .unwrap();
        let again = p
            .create_payment_intent(1500, "usd", "k1", "invoice:1")
            .await
            .unwrap();
        assert_eq!(a, again, "the same key gives the same intent");
        assert!(a.id.starts_with("pi_") && a.client_secret.is_some());
        assert_eq!(a.status, IntentStatus::RequiresPaymentMethod);
        let declined = p.confirm(&a.id, "tok_chargeDeclined", "k2").await.unwrap();
        assert_eq!(declined.status, IntentStatus::RequiresPaymentMethod);
        assert_eq!(
            declined.last_payment_error.and_then(|e| e.code).as_deref(),
            Some("card_declined")
        );
        let paid = p.confirm(&a.id, "tok_visa", "k3").await.unwrap();
        assert_eq!(paid.status, IntentStatus::Succeeded);
        assert_eq!(
            paid.card,
            Some(CardSummary {
                brand: Some("visa".into()),
                last4: Some("4242".into())
            })
        );
        assert_eq!(
            p.retrieve(&a.id).await.unwrap().status,
            IntentStatus::Succeeded
        );
        assert_eq!(double.state.charges(), 1);
        assert!(
            p.confirm(&a.id, "tok_unknown", "k4").await.is_ok(),
            "an already paid intent is returned as it stands"
        );
        assert!(p.retrieve("pi_missing").await.is_err());
        let live = HttpProcessor::new(&double.url, "sk_live_nope");
        assert!(!live.is_test_mode());
        assert!(
            live.create_payment_intent(1, "usd", "k5", "r")
                .await
                .is_err()
        );
    }
}
