//! A local stand-in for the card processor: the same three PaymentIntents
//! endpoints with the same shapes, in memory, for the tests and for
//! `kerato demo`. It is not a processor: it moves no money, and it knows
//! only Stripe's two test tokens, `tok_visa` (accepted, a Visa ending in
//! 4242) and `tok_chargeDeclined` (declined with `card_declined`).
//!
//! It honours `Idempotency-Key` as Stripe does (a repeated key returns the
//! first answer) and counts the intents it created and the charges it
//! made, so tests can prove that a form sent twice charged once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::processor::{ErrorBody, ErrorJson, IntentJson, IntentStatus, PaymentError};

#[derive(Debug, Default)]
struct Books {
    intents: HashMap<String, IntentJson>,
    /// Idempotency key → the answer first given.
    answers: HashMap<String, (StatusCode, Value)>,
    intents_created: u64,
    charges: u64,
}

/// The double's in-memory state, shared with whoever spawned it.
#[derive(Debug, Clone, Default)]
pub struct DoubleState(Arc<Mutex<Books>>);

impl DoubleState {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        // A panic in another handler leaves the books usable: each change
        // is a single insert.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many payment intents were created (repeated keys excluded).
    pub fn intents_created(&self) -> u64 {
        self.books().intents_created
    }

    /// How many charges succeeded.
    pub fn charges(&self) -> u64 {
        self.books().charges
    }
}

/// A running double.
#[derive(Debug)]
pub struct ProcessorDouble {
    /// The base URL to configure as `payment_processor_url`.
    pub url: String,
    pub state: DoubleState,
    pub handle: tokio::task::JoinHandle<()>,
}

/// Where `kerato demo` runs the double; the default
/// `payment_processor_url` points here.
pub use crate::config::DEMO_PROCESSOR_ADDRESS as DEMO_ADDRESS;

/// Starts the double on a loopback address (`127.0.0.1:0` for a free port,
/// [`DEMO_ADDRESS`] for the demo).
pub async fn spawn_processor_double(address: &str) -> std::io::Result<ProcessorDouble> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = DoubleState::default();
    let app = router(state.clone());
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the payment processor double stopped");
        }
    });
    Ok(ProcessorDouble { url, state, handle })
}

/// The double's routes, for embedding in another server.
pub fn router(state: DoubleState) -> Router {
    Router::new()
        .route("/v1/payment_intents", post(create))
        .route("/v1/payment_intents/{id}", get(retrieve))
        .route("/v1/payment_intents/{id}/confirm", post(confirm))
        .with_state(state)
}

fn error(
    status: StatusCode,
    kind: &str,
    code: &str,
    message: &str,
    pi: Option<IntentJson>,
) -> (StatusCode, Value) {
    let body = ErrorJson {
        error: ErrorBody {
            kind: kind.into(),
            code: Some(code.into()),
            message: Some(message.into()),
            payment_intent: pi,
        },
    };
    (status, serde_json::to_value(body).unwrap_or(Value::Null))
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer sk_test_"))
}

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn intent_value(pi: &IntentJson) -> Value {
    serde_json::to_value(pi).unwrap_or(Value::Null)
}

/// Answers a POST once per idempotency key, as Stripe does.
fn once(
    state: &DoubleState,
    headers: &HeaderMap,
    act: impl FnOnce(&mut Books) -> (StatusCode, Value),
) -> Response {
    if !authorised(headers) {
        let (s, v) = error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "api_key_invalid",
            "the double accepts test keys (sk_test_…) only",
            None,
        );
        return (s, Json(v)).into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut books = state.books();
    if let Some(answer) = key.as_ref().and_then(|k| books.answers.get(k)) {
        let (s, v) = answer.clone();
        return (s, Json(v)).into_response();
    }
    let (s, v) = act(&mut books);
    if let Some(k) = key {
        books.answers.insert(k, (s, v.clone()));
    }
    (s, Json(v)).into_response()
}

async fn create(State(state): State<DoubleState>, headers: HeaderMap, body: String) -> Response {
    let f = form(&body);
    once(&state, &headers, |books| {
        let amount = f.get("amount").and_then(|a| a.parse::<i64>().ok());
        let (Some(amount), Some(currency)) = (amount.filter(|a| *a > 0), f.get("currency")) else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "parameter_missing",
                "amount (a positive integer) and currency are required",
                None,
            );
        };
        let id = format!("pi_{}", hex::encode(rand::random::<[u8; 12]>()));
        let metadata = f
            .iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                Some((name.to_string(), Value::String(v.clone())))
            })
            .collect();
        let pi = IntentJson {
            client_secret: Some(format!(
                "{id}_secret_{}",
                hex::encode(rand::random::<[u8; 12]>())
            )),
            id: id.clone(),
            object: "payment_intent".into(),
            amount,
            currency: currency.to_lowercase(),
            status: IntentStatus::RequiresPaymentMethod,
            last_payment_error: None,
            latest_charge: None,
            metadata,
        };
        books.intents_created += 1;
        let v = intent_value(&pi);
        books.intents.insert(id, pi);
        (StatusCode::OK, v)
    })
}

async fn confirm(
    State(state): State<DoubleState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let f = form(&body);
    once(&state, &headers, |books| {
        let Some(pi) = books.intents.get(&id).cloned() else {
            return error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "resource_missing",
                "No such payment_intent",
                None,
            );
        };
        if pi.status == IntentStatus::Succeeded {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "payment_intent_unexpected_state",
                "This PaymentIntent has already succeeded.",
                Some(pi),
            );
        }
        let token = f
            .get("payment_method_data[card][token]")
            .map(String::as_str);
        let (status, answer) = match token {
            Some("tok_visa") => {
                books.charges += 1;
                let pi = IntentJson {
                    status: IntentStatus::Succeeded,
                    last_payment_error: None,
                    latest_charge: Some(json!({
                        "id": format!("ch_{}", hex::encode(rand::random::<[u8; 12]>())),
                        "object": "charge",
                        "amount": pi.amount,
                        "paid": true,
                        "payment_method_details": {
                            "type": "card",
                            "card": {"brand": "visa", "last4": "4242"}
                        }
                    })),
                    ..pi
                };
                (StatusCode::OK, pi)
            }
            Some("tok_chargeDeclined") => {
                let pi = IntentJson {
                    status: IntentStatus::RequiresPaymentMethod,
                    last_payment_error: Some(PaymentError {
                        code: Some("card_declined".into()),
                        message: Some("Your card was declined.".into()),
                    }),
                    ..pi
                };
                (StatusCode::PAYMENT_REQUIRED, pi)
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "resource_missing",
                    "No such token; the double knows tok_visa and tok_chargeDeclined",
                    None,
                );
            }
        };
        books.intents.insert(id.clone(), answer.clone());
        if status == StatusCode::OK {
            (status, intent_value(&answer))
        } else {
            error(
                status,
                "card_error",
                "card_declined",
                "Your card was declined.",
                Some(answer),
            )
        }
    })
}

async fn retrieve(
    State(state): State<DoubleState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match state.books().intents.get(&id) {
        Some(pi) => Json(intent_value(pi)).into_response(),
        None => {
            let (s, v) = error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "resource_missing",
                "No such payment_intent",
                None,
            );
            (s, Json(v)).into_response()
        }
    }
}
