//! Use case: an invoice is paid through the card processor.

use kerato_core::ValidationErrors;

use crate::Site;
use crate::accounts::rules::User;
use crate::audit::{self, Event};
use crate::billing::rules::*;
use crate::billing::store::*;
use crate::billing::subscriptions::*;
use crate::processor::{IntentStatus, PaymentIntent, TEST_TOKENS};
use crate::web::SiteError;

/// Checks a payment method token: one of the test tokens in test mode,
/// otherwise a processor token (`tok_…` or `pm_…`) as its card form issues.
pub(crate) fn check_token(site: &Site, token: &str) -> Result<(), ValidationErrors> {
    let ok = if site.payments.is_test_mode() {
        TEST_TOKENS.iter().any(|(t, _)| *t == token)
    } else {
        (token.starts_with("tok_") || token.starts_with("pm_"))
            && token.len() <= 255
            && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationErrors::single(
            "payment_method",
            "choose a card to pay with",
        ))
    }
}

pub(crate) async fn audit_payment(
    site: &Site,
    actor: &str,
    invoice_id: &str,
    action: &str,
    detail: &str,
) -> Result<(), SiteError> {
    let mut tx = site.store.write().await?;
    let subject = format!("invoice:{invoice_id}");
    audit::record(
        &mut tx,
        site.now(),
        Event {
            actor: Some(actor),
            action,
            subject: Some(&subject),
            detail: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Pays an open invoice with a processor token. The idempotency key is
/// the invoice and the attempt number the form carried, so the same form
/// sent twice is one intent and one charge at the processor. Nothing is
/// held open in the database while the processor answers.
pub async fn pay(
    site: &Site,
    payer: &User,
    invoice_id: &str,
    attempt: &str,
    token: &str,
) -> Result<Outcome, SiteError> {
    let account_id = account_of(payer)?;
    let actor = format!("user:{}", payer.id);
    let mut tx = site.store.read().await?;
    let inv = invoice_of(&mut tx, account_id, invoice_id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let attempts = payments_of(&mut tx, invoice_id).await?.len() as i64;
    drop(tx);
    match inv.status {
        InvoiceStatus::Paid => return Ok(Outcome::AlreadyPaid),
        InvoiceStatus::Void => {
            return Err(SiteError::Conflict(
                "this invoice was voided; there is nothing to pay".into(),
            ));
        }
        InvoiceStatus::Open => {}
    }
    let attempt = attempt
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|a| (1..=attempts + 1).contains(a))
        .ok_or_else(|| {
            SiteError::BadRequest(
                "this payment form is out of date; open the payment page again".into(),
            )
        })?;
    check_token(site, token).map_err(SiteError::Validation)?;
    let key = format!("invoice-{invoice_id}-attempt-{attempt}");
    // The attempt is on record before the processor is asked, so an
    // attempt whose answer never comes back is still in the trail.
    audit_payment(
        site,
        &actor,
        invoice_id,
        "payment.attempted",
        &format!("attempt={attempt}"),
    )
    .await?;
    let result = charge(site, &inv, &key, token).await;
    let intent = match result {
        Ok(i) => i,
        Err(e) => {
            audit_payment(
                site,
                &actor,
                invoice_id,
                "payment.failed",
                "processor unavailable",
            )
            .await?;
            return Err(e);
        }
    };
    record_outcome(site, &actor, &inv, attempt, &intent).await?;
    Ok(match intent.status {
        IntentStatus::Succeeded => Outcome::Paid,
        IntentStatus::RequiresPaymentMethod => Outcome::Unpaid(DECLINED.into()),
        // A card that needs the processor's own check (3-D Secure) or an
        // intent still processing cannot finish here without the
        // processor's script and webhooks, which this build does not have.
        other => Outcome::Unpaid(format!(
            "The processor did not complete the payment ({}); the invoice stays open. Try another card, or contact us",
            other.as_str()
        )),
    })
}

/// Creates (or, with the same key, finds again) the intent and confirms it
/// unless it already succeeded.
pub(crate) async fn charge(
    site: &Site,
    inv: &Invoice,
    key: &str,
    token: &str,
) -> Result<PaymentIntent, SiteError> {
    let unavailable = |e: crate::processor::ProcessorError| SiteError::Internal(e.to_string());
    let reference = format!("invoice:{}", inv.id);
    let intent = site
        .payments
        .create_payment_intent(
            inv.total_cents,
            &inv.currency,
            &format!("{key}-create"),
            &reference,
        )
        .await
        .map_err(unavailable)?;
    if intent.amount != inv.total_cents || intent.currency != inv.currency {
        return Err(SiteError::Internal(format!(
            "the processor's intent {} is for another amount",
            intent.id
        )));
    }
    if intent.status == IntentStatus::Succeeded {
        return Ok(intent);
    }
    site.payments
        .confirm(&intent.id, token, &format!("{key}-confirm"))
        .await
        .map_err(unavailable)
}

pub(crate) async fn record_outcome(
    site: &Site,
    actor: &str,
    inv: &Invoice,
    attempt: i64,
    intent: &PaymentIntent,
) -> Result<(), SiteError> {
    let now = site.now();
    let brand = intent.card.as_ref().and_then(|c| c.brand.clone());
    let last4 = intent.card.as_ref().and_then(|c| c.last4.clone());
    let error_code = intent
        .last_payment_error
        .as_ref()
        .and_then(|e| e.code.clone());
    let mut tx = site.store.write().await?;
    upsert_payment(
        &mut tx,
        &inv.id,
        attempt,
        intent,
        PaymentCard {
            brand: brand.as_deref(),
            last4: last4.as_deref(),
            error_code: error_code.as_deref(),
        },
        now,
    )
    .await?;
    let subject = format!("invoice:{}", inv.id);
    let detail = format!(
        "attempt={attempt} intent={} status={}{}",
        intent.id,
        intent.status.as_str(),
        error_code
            .as_deref()
            .map(|c| format!(" code={c}"))
            .unwrap_or_default()
    );
    let succeeded = intent.status == IntentStatus::Succeeded;
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: if succeeded {
                "payment.succeeded"
            } else {
                "payment.declined"
            },
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    if succeeded {
        let changed = mark_paid(&mut tx, &inv.id, now).await?;
        if changed > 0 {
            audit::record(
                &mut tx,
                now,
                Event {
                    actor: Some(actor),
                    action: "invoice.paid",
                    subject: Some(&subject),
                    detail: None,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
