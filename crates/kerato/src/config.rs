//! Configuration: defaults, then a TOML file, then `KERATO_<SECTION>__<KEY>`
//! environment variables, then `KERATO_<SECTION>__<KEY>_FILE` variables whose
//! file holds a secret's value (so secrets can come from a mounted file
//! rather than the environment). Command-line flags override all of these.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

use crate::cli::DataArgs;

pub use kerato_domain::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS unless every bind address is loopback.
    #[default]
    Auto,
    /// Always TLS.
    On,
    /// Never TLS: only allowed when every bind address is loopback.
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    #[serde(deserialize_with = "one_or_many")]
    pub bind: Vec<SocketAddr>,
    /// The address staff reach the server at, for links in e-mail
    /// (invitations, password resets, records ready); unset means the first
    /// bind address, with this machine's host name for 0.0.0.0 or [::].
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: vec![SocketAddr::from(([127, 0, 0, 1], 8080))],
            public_url: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    pub mode: TlsMode,
    /// PEM certificate chain; default `<data dir>/tls/cert.pem`.
    pub cert_file: Option<PathBuf>,
    /// PEM private key; default `<data dir>/tls/key.pem`.
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://…` to use PostgreSQL; unset for the embedded SQLite file.
    pub url: Option<Secret>,
    pub max_connections: u32,
    /// Apply pending migrations when the server starts.
    pub auto_migrate: bool,
    /// The SQLite key file; default `<data dir>/db.key`.
    pub key_file: Option<PathBuf>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 8,
            auto_migrate: true,
            key_file: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter such as `info` or `kerato=debug,info`; RUST_LOG wins if set.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// Where to hand outgoing e-mail (reminders, invitations, alerts); unset
    /// keeps mail queued in the outbox.
    pub smtp_url: Option<Secret>,
    /// The sender of outgoing e-mail.
    pub from: String,
    /// How often the outbox worker runs, in seconds.
    pub interval_seconds: u64,
    /// The HTTP gateway that sends SMS; unset keeps SMS queued.
    pub sms_gateway_url: Option<String>,
    /// The gateway's bearer token.
    pub sms_token: Option<Secret>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Kerato <no-reply@localhost>".into(),
            interval_seconds: 30,
            sms_gateway_url: None,
            sms_token: None,
        }
    }
}

/// The opt-in usage telemetry: off unless the practice turns it on.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Send a report of yesterday's counts once a day.
    pub enabled: bool,
    /// The vendor's endpoint (https://, or http:// on loopback).
    pub url: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: "https://telemetry.kerato.example/api/telemetry".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub tls: TlsConfig,
    pub database: DatabaseConfig,
    pub mail: MailConfig,
    pub log: LogConfig,
    pub telemetry: TelemetryConfig,
    /// The vendor site (`kerato site`); the clinic ignores it.
    pub site: kerato_site::SiteConfig,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(SocketAddr),
        Many(Vec<SocketAddr>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(a) => vec![a],
        OneOrMany::Many(v) => v,
    })
}

/// A fully commented example; `kerato print-config` prints it and a test
/// checks that it parses to exactly the defaults.
pub const EXAMPLE: &str = r#"# Kerato configuration.
#
# Values are read in this order, later ones winning:
#   1. the defaults shown here,
#   2. this file (--config FILE, or kerato.toml in the data directory),
#   3. environment variables KERATO_<SECTION>__<KEY>, e.g. KERATO_SERVER__BIND,
#   4. KERATO_<SECTION>__<KEY>_FILE: read the value from a file (for secrets),
#   5. command-line flags.
# The SQLite database key is not configured here: it comes from KERATO_DB_KEY
# (64 hex characters), KERATO_DB_KEY_FILE, database.key_file, or
# <data dir>/db.key, which `kerato init` creates with mode 0600.

[server]
# Addresses to listen on. Plain HTTP is allowed only when every address is
# loopback; anything else needs TLS.
bind = ["127.0.0.1:8080"]
# The address staff and patients reach this server at, for the links in
# e-mail (invitations, password resets, records ready). Unset means the first
# bind address, with this machine's host name in place of 0.0.0.0 or [::].
# public_url = "https://clinic.example.internal:8443"

[tls]
# auto: TLS unless every bind address is loopback; on: always; off: never.
mode = "auto"
# PEM files. Unset means <data dir>/tls/cert.pem and <data dir>/tls/key.pem,
# the self-signed pair `kerato init` makes.
# cert_file = "/etc/kerato/cert.pem"
# key_file = "/etc/kerato/key.pem"

[database]
# Unset: the encrypted SQLite file <data dir>/kerato.db. Set a PostgreSQL URL
# for a group of practices; prefer KERATO_DATABASE__URL_FILE to keep the
# password out of this file.
# url = "postgres://kerato@db.internal:5432/kerato"
# Connections in the pool.
max_connections = 8
# Apply pending migrations when the server starts.
auto_migrate = true
# key_file = "/run/secrets/kerato-db.key"

[mail]
# Where to hand outgoing e-mail: smtp://host:port (plain, a relay on this
# host), smtp://host?tls=required (STARTTLS) or smtps://host, with any
# credentials as user:password@ in the URL; prefer KERATO_MAIL__SMTP_URL_FILE.
# Unset keeps messages queued in the outbox.
# smtp_url = "smtp://127.0.0.1:25"
from = "Kerato <no-reply@localhost>"
# How often reminders are queued and the outbox is delivered, in seconds.
interval_seconds = 30
# The HTTP gateway that sends SMS reminders (https://, or http:// on
# loopback): each message is POSTed as JSON {"to", "body", "reference"} with
# the token as a bearer token. Unset keeps SMS queued in the outbox. Prefer
# KERATO_MAIL__SMS_TOKEN_FILE for the token.
# sms_gateway_url = "https://sms.example.com/v1/messages"
# sms_token = "..."

[log]
# A tracing filter; RUST_LOG overrides it. Logs carry IDs, never PHI.
level = "info"
# text or json
format = "text"

[telemetry]
# Opt-in usage telemetry: once a day, send the vendor yesterday's counts
# (appointments booked, patients registered, eye exams signed, biopsies
# logged, prescriptions issued, users who signed in), the Kerato version and
# a random installation ID, never a name or any other record. Run
# `kerato telemetry preview` to see exactly what would be sent.
enabled = false
url = "https://telemetry.kerato.example/api/telemetry"

[site]
# The vendor site (`kerato site`), shown on its pages and in its e-mails.
# Its database is <site data dir>/site.db, encrypted with site.key beside
# it; set KERATO_SITE_DATABASE_URL to a postgres:// URL to use PostgreSQL.
vendor_name = "Kerato Software"
contact_email = "info@kerato.example"
contact_phone = "1-800-555-0199"
# Where letters reach the vendor, on one line (the privacy statement gives it).
postal_address = "100 Example Avenue, Albany, NY 12207"
# The site's public address, for links in e-mails.
public_url = "http://127.0.0.1:8081"
# Days the usage log (IP prefix, browser, pages) is kept for troubleshooting.
usage_log_days = 30
# The card payment processor (Stripe's PaymentIntents API shape). The
# default is the local test double that `kerato demo` starts; set the
# processor's URL and secret key (prefer KERATO_SITE__PAYMENT_PROCESSOR_KEY_FILE).
payment_processor_url = "http://127.0.0.1:12111"
payment_processor_key = "sk_test_double"
"#;

/// Environment variables under the `KERATO_` prefix that are not
/// configuration keys: they have no `__` section separator.
fn is_config_key(key: &str) -> bool {
    key.contains("__") && !key.to_ascii_lowercase().ends_with("_file")
}

/// `KERATO_<SECTION>__<KEY>_FILE` variables, read into a nested map.
fn file_overrides() -> Result<serde_json::Value> {
    let mut root = serde_json::Map::new();
    for (name, path) in std::env::vars() {
        let Some(rest) = name.strip_prefix("KERATO_") else {
            continue;
        };
        let Some(rest) = rest.strip_suffix("_FILE") else {
            continue;
        };
        if !rest.contains("__") {
            continue;
        }
        let value =
            std::fs::read_to_string(&path).with_context(|| format!("reading {name} ({path})"))?;
        let mut parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        let leaf = parts.pop().unwrap_or_default();
        let mut node = &mut root;
        for part in parts {
            node = node
                .entry(part)
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
                .as_object_mut()
                .with_context(|| format!("{name} conflicts with another setting"))?;
        }
        node.insert(
            leaf,
            serde_json::Value::String(value.trim_end().to_string()),
        );
    }
    Ok(serde_json::Value::Object(root))
}

impl Config {
    /// Loads the layered configuration for a command that uses `data`.
    pub fn load(file: Option<&Path>, data: &DataArgs) -> Result<Self> {
        let default_file = data.data_dir.join("kerato.toml");
        let file = match file {
            Some(f) => {
                anyhow::ensure!(
                    f.exists(),
                    "configuration file {} does not exist",
                    f.display()
                );
                Some(f.to_path_buf())
            }
            None => default_file.exists().then_some(default_file),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            figment = figment.merge(Toml::file_exact(f));
        }
        figment = figment
            .merge(
                Env::prefixed("KERATO_")
                    .filter(|k| is_config_key(k.as_str()))
                    .split("__"),
            )
            .merge(Serialized::defaults(file_overrides()?));
        let mut config: Config = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {}", e.to_string().replace('\n', "; ")))?;
        if let Some(url) = &data.database_url {
            config.database.url = Some(Secret::new(url.clone()));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_to_the_defaults() {
        let parsed: Config = Figment::new()
            .merge(Toml::string(EXAMPLE))
            .extract()
            .unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut config = Config::default();
        config.database.url = Some(Secret::new("postgres://u:hunter2@db/k"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn only_sectioned_variables_are_configuration() {
        assert!(is_config_key("server__bind"));
        assert!(!is_config_key("db_key"));
        assert!(!is_config_key("data_dir"));
        assert!(!is_config_key("database__url_file"));
        assert!(!is_config_key("DATABASE__URL_FILE"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let err = Figment::new()
            .merge(Toml::string("[server]\nbnd = \"127.0.0.1:1\""))
            .extract::<Config>()
            .unwrap_err();
        assert!(err.to_string().contains("bnd"), "{err}");
    }

    #[test]
    fn bind_takes_one_address_or_a_list() {
        let one: Config = Figment::new()
            .merge(Toml::string("[server]\nbind = \"0.0.0.0:443\""))
            .extract()
            .unwrap();
        assert_eq!(one.server.bind.len(), 1);
    }
}
