//! The records of the rights area as the clinic keeps them.

use jiff::civil::Date;

use super::{Regime, RequestState, RequestTimeline, RequestType};
use crate::ids::{OrganisationId, PatientId, RecordAmendmentId, RightsRequestId, UserId};
use crate::time::Timestamp;

/// How long a download link works: a week is long enough to be read
/// after a weekend and short enough that a forwarded e-mail soon stops
/// opening the record.
pub const LINK_DAYS: i64 = 7;

string_enum!(
    /// Where a request came in.
    Channel {
        Portal = "portal", "The public form at the kiosk or through the portal link";
        Staff = "staff", "Entered by the privacy officer (a letter, a call, the front desk)";
    }
);

/// Who asked, as they described themselves; their chart is linked once
/// their identity is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// First and last name, as typed.
    pub name: String,
    pub date_of_birth: Option<Date>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A patient's privacy rights request with its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    pub id: RightsRequestId,
    pub organisation_id: OrganisationId,
    /// The requester's chart, once their identity is verified.
    pub patient_id: Option<PatientId>,
    pub requester: Requester,
    pub details: String,
    pub channel: Channel,
    /// Whether the request came with a Global Privacy Control signal.
    pub gpc: bool,
    /// The steps so far; the type, regime and state are read from it, so
    /// they can never disagree with it.
    pub timeline: RequestTimeline,
    /// How the requester's identity was checked.
    pub identity_note: Option<String>,
    /// Moves on every step; a step recorded from an older one is refused.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl RightsRequest {
    pub fn request_type(&self) -> RequestType {
        self.timeline.request_type
    }

    pub fn regime(&self) -> Regime {
        self.timeline.regime
    }

    pub fn state(&self) -> RequestState {
        self.timeline.state()
    }

    /// A denied amendment request, which can take the patient's statement
    /// of disagreement (45 CFR 164.526(d)).
    pub fn is_denied_amendment(&self) -> bool {
        self.request_type() == RequestType::Correction && self.state() == RequestState::Denied
    }
}

string_enum!(
    /// What an entry of a patient's amendments records.
    AmendmentDecision {
        Accepted = "accepted", "Amendment accepted";
        Denied = "denied", "Amendment denied";
        Disagreement = "disagreement", "Statement of disagreement";
    }
);

/// One entry of a patient's amendments: an accepted amendment, a denial,
/// or the patient's statement of disagreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    pub id: RecordAmendmentId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub request_id: Option<RightsRequestId>,
    pub decision: AmendmentDecision,
    /// The amendment, the change asked for, or the statement.
    pub body: String,
    /// Why a denial was made.
    pub reason: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: Timestamp,
}

/// A one-time link to an access package. Only the token's hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    pub token_hash: String,
    pub request_id: RightsRequestId,
    pub organisation_id: OrganisationId,
    /// The package's encrypted file; empty once the file is deleted.
    pub file_id: String,
    pub file_name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

impl DownloadLink {
    /// A link made at `now`, working [`LINK_DAYS`] days.
    pub fn new(
        token_hash: String,
        request: &RightsRequest,
        (file_id, file_name): (String, String),
        now: Timestamp,
    ) -> Self {
        Self {
            token_hash,
            request_id: request.id,
            organisation_id: request.organisation_id,
            file_id,
            file_name,
            created_at: now,
            expires_at: Timestamp::from_micros(
                now.as_micros().saturating_add(LINK_DAYS * 86_400_000_000),
            ),
            used_at: None,
        }
    }

    /// Why the link cannot be used at `now`, with what to do next; `None`
    /// when it can.
    pub fn refusal(&self, now: Timestamp) -> Option<&'static str> {
        let used = "this link has been used; ask the practice for a new one";
        if self.used_at.is_some() {
            Some(used)
        } else if now >= self.expires_at {
            Some("this link has expired; ask the practice for a new one")
        } else if self.file_id.is_empty() {
            // The package went with its first download.
            Some(used)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(now: Timestamp) -> DownloadLink {
        DownloadLink {
            token_hash: "h".into(),
            request_id: RightsRequestId::new(now, [1; 10]),
            organisation_id: OrganisationId::new(now, [2; 10]),
            file_id: "f".into(),
            file_name: "records.zip".into(),
            created_at: now,
            expires_at: Timestamp::from_micros(now.as_micros() + LINK_DAYS * 86_400_000_000),
            used_at: None,
        }
    }

    #[test]
    fn a_link_works_once_and_until_it_expires() {
        let now = Timestamp::from_micros(1_000_000_000_000);
        let l = link(now);
        assert_eq!(l.refusal(now), None);
        assert!(
            l.refusal(l.expires_at)
                .is_some_and(|m| m.contains("expired"))
        );
        let used = DownloadLink {
            used_at: Some(now),
            ..l.clone()
        };
        assert!(used.refusal(now).is_some_and(|m| m.contains("used")));
        let gone = DownloadLink {
            file_id: String::new(),
            ..l
        };
        assert!(gone.refusal(now).is_some_and(|m| m.contains("used")));
    }
}
