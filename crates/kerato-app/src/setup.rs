//! The first-run set-up: where the practice stands (worked out from what it
//! holds, so the administrator resumes at any step), the defaults each
//! specialty starts with, locations' opening hours, the first notice of
//! privacy practices, and the e-mail and text-message settings with a test
//! message.

use std::collections::BTreeSet;

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{LocationId, MessageId};
use kerato_domain::setup::{
    Channel, DEFAULT_RECALL_TYPES, DEFAULT_RESOURCES, DEFAULT_VISIT_TYPES, FirstNotice,
    MessagingSettings, MessagingStatus, OpeningHours, OpeningWeek, SetupFacts, SetupStep,
    StepState, TestMessage, hide_password, next_step, notice_of_privacy_practices, progress,
};
use kerato_domain::tenancy::{Location, Specialty};
use kerato_domain::time::Timestamp;
use kerato_store::setup::{self as store, MessagingRow};
use kerato_store::tenancy;

use crate::authz::{Act, Caller};
use crate::reminders::{Mailer, SmsGateway};
use crate::{App, AppError};
use kerato_domain::policy::{PolicyInput, PolicyKind};
use kerato_domain::scheduling::TypeInput;

const CATEGORY: &str = "practice set-up";

/// The e-mail and SMS settings the server was started with. Set, they win
/// over those saved from the set-up: whoever runs the server decided them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfiguredMessaging {
    pub smtp_url: Option<String>,
    pub from: String,
    pub sms_gateway_url: Option<String>,
    pub sms_token: Option<String>,
}

impl std::fmt::Debug for ConfiguredMessaging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredMessaging")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Where the set-up stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupProgress {
    pub steps: Vec<(SetupStep, StepState)>,
    /// The step to resume at; none when the set-up is complete.
    pub next: Option<SetupStep>,
    pub facts: SetupFacts,
}

/// What installing a specialty's defaults added (what existed is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultsAdded {
    pub visit_types: usize,
    pub resources: usize,
    pub recall_types: usize,
}

/// The notice of privacy practices the set-up published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedNotice {
    pub version: i64,
    pub effective_at: Timestamp,
}

/// A location's address on one line, as the notice gives it.
pub fn one_line_address(l: &Location) -> String {
    let a = &l.address;
    format!("{}, {}, {} {}", a.line1, a.city, a.state, a.zip)
}

/// The channels messages go out through now.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    pub mailer: Option<Mailer>,
    pub sms: Option<SmsGateway>,
}

fn org_target(caller: &Caller) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: None,
        resource: Resource::Organisation,
    }
}

/// The settings in force: the configuration file's for a channel it sets,
/// else those saved from the set-up.
fn effective(
    configured: &ConfiguredMessaging,
    saved: Option<&MessagingRow>,
) -> ConfiguredMessaging {
    let (smtp_url, from) = match (&configured.smtp_url, saved) {
        (Some(url), _) => (Some(url.clone()), configured.from.clone()),
        (None, Some(row)) => (row.smtp_url.clone(), row.from_address.clone()),
        (None, None) => (None, configured.from.clone()),
    };
    let (sms_gateway_url, sms_token) = match (&configured.sms_gateway_url, saved) {
        (Some(url), _) => (Some(url.clone()), configured.sms_token.clone()),
        (None, Some(row)) => (row.sms_gateway_url.clone(), row.sms_token.clone()),
        (None, None) => (None, None),
    };
    ConfiguredMessaging {
        smtp_url,
        from,
        sms_gateway_url,
        sms_token,
    }
}

fn channels_of(settings: &ConfiguredMessaging) -> Result<Channels, String> {
    let mailer = settings
        .smtp_url
        .as_deref()
        .map(|url| Mailer::from_url(url, &settings.from))
        .transpose()?;
    let sms = match (&settings.sms_gateway_url, &settings.sms_token) {
        (Some(url), Some(token)) => Some(SmsGateway::new(url, token)?),
        (Some(_), None) => return Err("the SMS gateway has no token; give its token".into()),
        _ => None,
    };
    Ok(Channels { mailer, sms })
}

impl App {
    /// Messages go out through these settings unless the set-up saved
    /// others for a channel the configuration leaves unset.
    pub fn with_configured_messaging(mut self, configured: ConfiguredMessaging) -> Self {
        self.configured_messaging = std::sync::Arc::new(configured);
        self
    }

    /// Where the set-up stands, for the administrator.
    pub async fn setup_progress(&self, caller: &Caller) -> Result<SetupProgress, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.read().await?;
        let facts = store::facts(&mut tx, org).await?;
        let skipped = store::skipped_steps(&mut tx, org).await?;
        drop(tx);
        let steps = progress(&facts, &skipped);
        Ok(SetupProgress {
            next: next_step(&steps),
            steps,
            facts,
        })
    }

    /// Leaves a step for later (staff accounts, messaging); the others are
    /// what a practice cannot open without.
    pub async fn skip_setup_step(&self, caller: &Caller, step: SetupStep) -> Result<(), AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        if !step.skippable() {
            return Err(ValidationErrors::single(
                "step",
                format!(
                    "{} cannot be skipped: the practice needs it to open",
                    step.label()
                ),
            )
            .into());
        }
        let tx = self.store.write().await?;
        let act = Act::new(Action::Update, org_target(caller), CATEGORY).id(step.as_str());
        let mut tx = self.guard(tx, caller, act).await?;
        store::skip_step(
            &mut tx,
            caller.actor.organisation_id,
            step,
            caller.actor.user_id,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A location's opening hours, Monday first.
    pub async fn opening_hours(
        &self,
        caller: &Caller,
        location: LocationId,
    ) -> Result<Vec<OpeningHours>, AppError> {
        self.require(caller, Resource::Location, Action::View, Some(location))
            .await?;
        let mut tx = self.store.read().await?;
        tenancy::get_location(&mut tx, caller.actor.organisation_id, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        Ok(store::opening_hours(&mut tx, location).await?)
    }

    /// Replaces a location's opening hours (a day not given is closed).
    pub async fn set_opening_hours(
        &self,
        caller: &Caller,
        location: LocationId,
        week: &OpeningWeek,
    ) -> Result<Vec<OpeningHours>, AppError> {
        self.require(caller, Resource::Location, Action::Update, Some(location))
            .await?;
        let hours = week.0.clone();
        let mut tx = self.store.write().await?;
        tenancy::get_location(&mut tx, caller.actor.organisation_id, location)
            .await?
            .ok_or(AppError::NotFound("location"))?;
        let act = Act::new(
            Action::Update,
            Target {
                organisation: caller.actor.organisation_id,
                location: Some(location),
                resource: Resource::Location,
            },
            "opening hours",
        )
        .id(location)
        .new_value(&week.to_input());
        let mut tx = self.guard(tx, caller, act).await?;
        store::set_opening_hours(&mut tx, location, &hours).await?;
        tx.commit().await?;
        Ok(hours)
    }

    /// Adds what each chosen specialty starts with and the practice lacks:
    /// visit types (by name), rooms and devices at the locations of that
    /// specialty (by name at each), and recall types (by name). Running it
    /// again adds nothing.
    pub async fn install_specialty_defaults(
        &self,
        caller: &Caller,
        specialties: &BTreeSet<Specialty>,
    ) -> Result<DefaultsAdded, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        if specialties.is_empty() {
            return Err(ValidationErrors::single(
                "specialties",
                "choose at least one specialty: dermatology, eye_care or optical_shop",
            )
            .into());
        }
        let mut added = DefaultsAdded::default();
        let (_, types) = self.booking_choices(caller).await?;
        for v in DEFAULT_VISIT_TYPES
            .iter()
            .filter(|v| specialties.contains(&v.specialty))
            .filter(|v| !types.iter().any(|t| t.name == v.name))
        {
            self.define_appointment_type(
                caller,
                &TypeInput {
                    name: v.name.into(),
                    duration_minutes: v.minutes,
                    specialty: Some(v.specialty),
                    colour: Some(v.colour.into()),
                    new_patient: v.new_patient,
                    resources: v.needs.iter().copied().collect(),
                },
            )
            .await?;
            added.visit_types += 1;
        }
        let resources = self.resources(caller).await?;
        for location in self.list_locations(caller).await? {
            for (_, kind, name) in DEFAULT_RESOURCES
                .iter()
                .filter(|(sp, _, _)| specialties.contains(sp) && location.specialties.contains(sp))
            {
                let exists = resources
                    .iter()
                    .any(|r| r.location_id == location.id && r.name == *name);
                if !exists {
                    self.create_resource(caller, location.id, *kind, name)
                        .await?;
                    added.resources += 1;
                }
            }
        }
        let recalls = self.recall_types(caller).await?;
        for (name, months, sp) in DEFAULT_RECALL_TYPES
            .iter()
            .filter(|(_, _, sp)| specialties.contains(sp))
        {
            if !recalls.iter().any(|t| t.name == *name) {
                self.create_recall_type(caller, name, *months, Some(*sp))
                    .await?;
                added.recall_types += 1;
            }
        }
        Ok(added)
    }

    /// The messaging settings in force, for the set-up page.
    pub async fn messaging_status(&self, caller: &Caller) -> Result<MessagingStatus, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut tx = self.store.read().await?;
        let saved = store::messaging(&mut tx).await?;
        let now = effective(&self.configured_messaging, saved.as_ref());
        let from_configuration = self.configured_messaging.smtp_url.is_some()
            || self.configured_messaging.sms_gateway_url.is_some();
        Ok(MessagingStatus {
            smtp_server: now.smtp_url.as_deref().map(hide_password),
            from_address: now.from,
            sms_gateway_url: now.sms_gateway_url,
            has_sms_token: now.sms_token.is_some(),
            from_configuration,
            tested_at: saved.as_ref().and_then(|r| r.tested_at),
            tested_channel: saved
                .as_ref()
                .and_then(|r| r.tested_channel.as_deref())
                .and_then(|c| c.parse().ok()),
            test_error: saved.as_ref().and_then(|r| r.test_error.clone()),
            test_passed: saved.as_ref().is_some_and(|r| r.test_passed),
        })
    }

    /// Saves the e-mail and SMS settings. They must build working channels
    /// (a valid URL, address and token); a test message then shows they
    /// reach someone.
    pub async fn save_messaging(
        &self,
        caller: &Caller,
        input: &MessagingSettings,
    ) -> Result<MessagingStatus, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut errors = ValidationErrors::new();
        let from = input.from_address.clone();
        if let Err(m) = kerato_http::mail::check_mailbox(&from) {
            errors.add("from_address", m);
        }
        let smtp_url = input.smtp_url.clone();
        if let Some(url) = &smtp_url
            && let Err(m) = Mailer::from_url(url, "kerato@localhost")
        {
            errors.add("smtp_url", m);
        }
        let mut tx = self.store.write().await?;
        let saved = store::messaging(&mut tx).await?;
        let sms_gateway_url = input.sms_gateway_url.clone();
        let sms_token = input
            .sms_token
            .clone()
            .or_else(|| saved.as_ref().and_then(|r| r.sms_token.clone()));
        if let Some(url) = &sms_gateway_url {
            match &sms_token {
                None => errors.add("sms_token", "give the SMS gateway's token"),
                Some(token) => {
                    if let Err(m) = SmsGateway::new(url, token) {
                        errors.add("sms_gateway_url", m);
                    }
                }
            }
        }
        errors.into_result(())?;
        let row = MessagingRow {
            smtp_url,
            from_address: from,
            sms_gateway_url,
            sms_token,
            version: saved.as_ref().map_or(1, |r| r.version + 1),
            tested_at: None,
            tested_channel: None,
            test_error: None,
            test_passed: false,
        };
        // The audit records what changed, never a password or a token.
        let act = Act::new(Action::Update, org_target(caller), "messaging settings").new_value(
            &serde_json::json!({
                "smtp_server": row.smtp_url.as_deref().map(hide_password),
                "from_address": row.from_address,
                "sms_gateway_url": row.sms_gateway_url,
            }),
        );
        let mut tx = self.guard(tx, caller, act).await?;
        store::save_messaging(&mut tx, &row, self.now()).await?;
        tx.commit().await?;
        self.messaging_status(caller).await
    }

    /// The channels messages go out through now; the mail worker asks
    /// before each round, so settings saved from the set-up apply without
    /// a restart.
    pub async fn messaging_channels(&self) -> Result<Channels, AppError> {
        let mut tx = self.store.read().await?;
        let saved = store::messaging(&mut tx).await?;
        drop(tx);
        channels_of(&effective(&self.configured_messaging, saved.as_ref()))
            .map_err(AppError::NotReady)
    }

    /// Sends a test message through the settings in force, at once, and
    /// records whether it went. The answer says why it did not.
    pub async fn send_test_message(
        &self,
        caller: &Caller,
        test: &TestMessage,
    ) -> Result<MessagingStatus, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let (channel, to) = (test.channel, test.to.as_str());
        let org = self.organisation(caller).await?;
        let id = MessageId::new(self.now(), self.random_id_bits()).to_string();
        let text = format!(
            "This is a test message from Kerato for {}: messages to patients and staff will go out this way.",
            org.name
        );
        let channels = self.messaging_channels().await;
        let outcome = match (channel, &channels) {
            (_, Err(e)) => Err(e.to_string()),
            (
                Channel::Email,
                Ok(Channels {
                    mailer: Some(m), ..
                }),
            ) => m.send(to, "Kerato test message", &text, &id, &[]).await,
            (Channel::Sms, Ok(Channels { sms: Some(g), .. })) => g.send_text(to, &text, &id).await,
            (Channel::Email, Ok(_)) => Err("no SMTP server is set; save one first".into()),
            (Channel::Sms, Ok(_)) => Err("no SMS gateway is set; save one first".into()),
        };
        let tx = self.store.write().await?;
        let act = Act::new(Action::Update, org_target(caller), "messaging test")
            .new_value(&serde_json::json!({"channel": channel.as_str(), "sent": outcome.is_ok()}));
        let mut tx = self.guard(tx, caller, act).await?;
        store::record_test(
            &mut tx,
            channel.as_str(),
            outcome.as_ref().err().map(String::as_str),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        self.messaging_status(caller).await
    }
}

impl App {
    /// Publishes the practice's first notice of privacy practices from the
    /// set-up: the text as edited, or Kerato's own with the practice's
    /// name, first address and contact when none is given.
    pub async fn publish_setup_notice(
        &self,
        caller: &Caller,
        notice: &FirstNotice,
    ) -> Result<PublishedNotice, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let body = match &notice.body {
            Some(body) => body.clone(),
            None => {
                let org = self.organisation(caller).await?;
                let locations = self.list_locations(caller).await?;
                notice_of_privacy_practices(
                    &org.name,
                    &locations.first().map(one_line_address).unwrap_or_default(),
                    &notice.contact,
                    notice.effective_on,
                )
            }
        };
        let row = self
            .publish_first_notice(
                caller,
                &PolicyInput {
                    kind: PolicyKind::NoticeOfPrivacyPractices,
                    effective_on: notice.effective_on,
                    material: false,
                    summary: "The practice's first notice of privacy practices.".into(),
                    // The page's text holds a placeholder for the contact
                    // until it is published.
                    body: body.replace("{contact}", &notice.contact),
                },
            )
            .await?;
        Ok(PublishedNotice {
            version: i64::from(row.version),
            effective_at: row.effective_at,
        })
    }
}
