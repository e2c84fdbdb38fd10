//! The vendor site's settings: who the vendor is and how to reach it, shown
//! on every page from configuration rather than written into templates.

use kerato_core::secret::Secret;
use serde::{Deserialize, Serialize};

/// Where `kerato demo` runs the card processor double; the default
/// `payment_processor_url` points here.
pub const DEMO_PROCESSOR_ADDRESS: &str = "127.0.0.1:12111";

/// The `[site]` section of the configuration file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// The vendor's name, as pages and e-mails sign it.
    pub vendor_name: String,
    /// Where customers write (shown on the contact page and in e-mails).
    pub contact_email: String,
    /// The vendor's phone number, as shown.
    pub contact_phone: String,
    /// Where letters reach the vendor, on one line; the privacy statement
    /// gives it as a way to reach us (left out when empty).
    pub postal_address: String,
    /// The site's public address, for links in e-mails.
    pub public_url: String,
    /// How long the usage log (IP prefix, browser, pages) is kept for
    /// troubleshooting, in days. The privacy statement calls it usage data.
    pub usage_log_days: u32,
    /// The card processor's API base (Stripe's is https://api.stripe.com);
    /// the default is where `kerato demo` runs the local double.
    pub payment_processor_url: String,
    /// The processor's secret key. A test key (sk_test_…) puts the pay page
    /// in test mode, where only the test tokens are offered.
    pub payment_processor_key: Secret,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            vendor_name: "Kerato Software".into(),
            contact_email: "info@kerato.example".into(),
            contact_phone: "1-800-555-0199".into(),
            postal_address: "100 Example Avenue, Albany, NY 12207".into(),
            public_url: "http://127.0.0.1:8081".into(),
            usage_log_days: 30,
            payment_processor_url: format!("http://{}", DEMO_PROCESSOR_ADDRESS),
            payment_processor_key: Secret::new("sk_test_double"),
        }
    }
}
