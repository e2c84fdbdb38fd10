//! Rules of the newsletter and campaigns.

use kerato_core::ValidationErrors;
use kerato_core::input::ParseInput;
use kerato_core::time::Timestamp;

kerato_core::string_enum!(
    /// What a campaign announces.
    CampaignKind {
        Marketing = "marketing", "Marketing";
        SoftwareUpdate = "software_update", "Software update";
    }
);

impl CampaignKind {
    /// The outbox kind of its messages.
    pub(crate) fn outbox_kind(self) -> &'static str {
        match self {
            CampaignKind::Marketing => "marketing",
            CampaignKind::SoftwareUpdate => "announcement",
        }
    }
}

/// The body of a one-click unsubscribe POST (RFC 8058 §3.1).
pub(crate) const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// What the newsletter form sent, kept to show it again.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub practice: String,
    /// `yes` when the opt-in box was ticked.
    pub consent: String,
}

/// A checked sign-up with the opt-in given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub name: String,
    pub email: String,
    pub practice: Option<String>,
}

impl SignupInput {
    /// Every problem at once, by field. Without the ticked box there is no
    /// consent, so nothing is kept.
    pub fn validate(&self) -> Result<Signup, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = crate::fields::text(&mut e, "name", "your name", &self.name, true, 100);
        let email = crate::fields::email(&mut e, "email", &self.email);
        let practice = crate::fields::text(
            &mut e,
            "practice",
            "the practice's name",
            &self.practice,
            false,
            150,
        );
        if self.consent != "yes" {
            e.add(
                "consent",
                "tick the box to agree to receive our newsletter; without it we cannot send it",
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(Signup {
            name,
            email,
            practice: (!practice.is_empty()).then_some(practice),
        })
    }
}

/// A campaign as staff write it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignInput {
    pub kind: String,
    pub subject: String,
    pub body: String,
}

/// A campaign as the staff list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub kind: CampaignKind,
    pub subject: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// What sending a campaign did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Messages queued: contacts whose agreement is in force.
    pub queued: usize,
    /// Contacts who never answered: silence is a no.
    pub skipped_no_consent: usize,
    /// Contacts who agreed once and withdrew.
    pub skipped_opted_out: usize,
}

/// The form and the JSON body parse once into a checked value: the
/// text shape is [`SignupInput`], checked by its `validate`.
impl ParseInput for Signup {
    type Raw = SignupInput;

    fn parse(raw: SignupInput) -> Result<Self, ValidationErrors> {
        raw.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::rules::token_hash;

    fn good() -> SignupInput {
        SignupInput {
            name: "Ann Lee".into(),
            email: "Ann@LeeEye.example".into(),
            practice: String::new(),
            consent: "yes".into(),
        }
    }

    #[test]
    fn a_ticked_sign_up_is_valid_and_an_unticked_one_is_not() {
        let s = good().validate().unwrap();
        assert_eq!((s.email.as_str(), s.practice), ("ann@leeeye.example", None));
        for consent in ["", "on", "no"] {
            let mut i = good();
            i.consent = consent.into();
            let e = i.validate().unwrap_err();
            assert!(
                e.for_field("consent")
                    .is_some_and(|m| m.contains("tick the box"))
            );
        }
    }

    #[test]
    fn tokens_are_stored_only_as_their_hash() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(h, token_hash("abc"));
    }
}
