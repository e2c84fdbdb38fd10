//! FTC rules for eye-care prescriptions: the business-hour clock of the
//! Contact Lens Rule, where a seller's verification request stands, how
//! long a prescription runs in each state, and how long release
//! confirmations are kept.
//!
//! # Sources
//!
//! - **Business hour** (16 CFR 315.2, text read in an eCFR mirror): "an
//!   hour between 9 a.m. and 5 p.m., during a weekday (Monday through
//!   Friday), excluding Federal holidays", counted "based on the time zone
//!   of the prescriber". A seller may also count the prescriber's regular
//!   Saturday hours if it actually knows them, and then must state them in
//!   its request (16 CFR 315.5(b)). A request received outside business
//!   hours starts counting "at 9 a.m. on the next weekday that is not a
//!   Federal holiday" (or at the start of those Saturday hours).
//! - **Passive verification**: a prescription is verified if the prescriber
//!   confirms it, corrects it, or "fails to communicate with the seller
//!   within eight (8) business hours" (16 CFR 315.5(c); 15 U.S.C. 7603). A
//!   prescriber who says the prescription is inaccurate, expired or
//!   otherwise invalid must say why (16 CFR 315.5).
//! - **Copy for the patient's agent**: within forty business hours of the
//!   request (16 CFR 315.3(a)(3), added by the 2020 amendments, 85 FR
//!   50668).
//! - **Expiry of a contact lens prescription** (16 CFR 315.6; 15 U.S.C.
//!   7604): the state's period when it is at least one year, otherwise not
//!   less than one year after the issue date, unless the prescriber's
//!   documented medical judgment sets a shorter date. The eyeglass rule
//!   (16 CFR 456) sets no expiry at all; states do.
//! - **Retention**: confirmations of prescription release are kept at least
//!   three years (16 CFR 456.4(b) for eyeglasses since 2024; 16 CFR 315.3
//!   for contact lenses since 2020), as are consent records (16 CFR
//!   456.3(c)) and the reasons for a short contact lens expiry (16 CFR
//!   315.6(b)(2)).
//! - **Federal holidays**: the eleven legal public holidays of 5 U.S.C.
//!   6103(a), observed on the Friday before when they fall on a Saturday
//!   and on the Monday after when they fall on a Sunday, as OPM applies
//!   them to a Monday-to-Friday week.
//!
//! State rows come from the eye-care research note (§3.3) and cite the
//! statute each one rests on; they are data, so a new state is one row.

use std::collections::BTreeSet;

use jiff::civil::Date;

pub use kerato_core::calendar::{
    BusinessCalendar, is_us_federal_holiday, us_federal_holidays, us_federal_holidays_named,
};
pub use kerato_core::retention::{CONFIRMATION_RETENTION_YEARS, confirmation_deletable_after};
pub use kerato_core::us_states::{FEDERAL, parse_state_code};

use crate::time::Timestamp;

/// Business hours a prescriber has to answer a seller's verification
/// request before the prescription counts as verified (16 CFR 315.5(c)(3)).
pub const VERIFICATION_HOURS: u32 = 8;

/// Business hours a prescriber has to send a copy of a contact lens
/// prescription to the patient's designated agent (16 CFR 315.3(a)(3)).
pub const AGENT_COPY_HOURS: u32 = 40;

// ---------------------------------------------------------------------------
// Verification requests
// ---------------------------------------------------------------------------

/// What the prescriber told the seller about a verification request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum VerificationAnswer {
    /// The prescription is accurate as the seller gave it.
    Confirmed,
    /// It was inaccurate and the prescriber sent the accurate one, which
    /// makes it verified (16 CFR 315.5).
    Corrected,
    /// It is inaccurate, expired or otherwise invalid, for the stated
    /// reason; the seller must not fill it.
    Invalid { reason: String },
}

impl VerificationAnswer {
    /// An invalid answer with its reason, which the rule requires: the
    /// prescriber "shall specify the basis" (16 CFR 315.5).
    pub fn invalid(reason: &str) -> Result<Self, String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(
                "say why the prescription is not valid (inaccurate, expired, or another reason); the seller must be told the basis".into(),
            );
        }
        Ok(Self::Invalid {
            reason: reason.to_string(),
        })
    }
}

/// Where a verification request stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VerificationOutcome {
    /// Not answered, and the deadline has not passed.
    Pending,
    /// Confirmed by the prescriber before the deadline.
    Verified,
    /// Corrected by the prescriber before the deadline.
    Corrected,
    /// Declared invalid by the prescriber before the deadline.
    Invalid { reason: String },
    /// The deadline passed without an answer, or the answer came late: the
    /// seller may fill the prescription as it gave it.
    PassivelyVerified,
}

impl VerificationOutcome {
    /// Whether the seller may fill the prescription.
    pub fn is_verified(&self) -> bool {
        matches!(
            self,
            Self::Verified | Self::Corrected | Self::PassivelyVerified
        )
    }
}

impl From<&VerificationAnswer> for VerificationOutcome {
    fn from(answer: &VerificationAnswer) -> Self {
        match answer {
            VerificationAnswer::Confirmed => Self::Verified,
            VerificationAnswer::Corrected => Self::Corrected,
            VerificationAnswer::Invalid { reason } => Self::Invalid {
                reason: reason.clone(),
            },
        }
    }
}

/// A verification request's outcome, its deadline, and whether the answer
/// (if any) came in time, as the compliance report shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerificationStatus {
    pub outcome: VerificationOutcome,
    /// When the eight business hours end.
    pub deadline: Timestamp,
    /// `Some(true)` for an answer by the deadline, `Some(false)` for one
    /// after it, `None` while unanswered.
    pub answered_on_time: Option<bool>,
}

/// When a verification request received at `received_at` is passively
/// verified if nobody answers.
pub fn verification_deadline(received_at: Timestamp, calendar: &BusinessCalendar) -> Timestamp {
    calendar.add_business_hours(received_at, VERIFICATION_HOURS)
}

/// When a copy requested by the patient's agent at `requested_at` must
/// have been sent.
pub fn agent_copy_deadline(requested_at: Timestamp, calendar: &BusinessCalendar) -> Timestamp {
    calendar.add_business_hours(requested_at, AGENT_COPY_HOURS)
}

/// Where a verification request received at `received_at` stands at
/// `now`, given the prescriber's answer and when it was sent.
///
/// An answer at the very instant the eight hours end is in time ("within
/// eight business hours"); the request lapses only after that instant. A
/// late answer is still reported, but the request counts as passively
/// verified at the deadline and the answer as late. An answer sent after
/// `now` is ignored: the status at an earlier instant cannot know it.
pub fn verification_status(
    received_at: Timestamp,
    answered: Option<(Timestamp, &VerificationAnswer)>,
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> VerificationStatus {
    let deadline = verification_deadline(received_at, calendar);
    let (outcome, answered_on_time) = match answered.filter(|(at, _)| *at <= now) {
        Some((at, answer)) if at <= deadline => (answer.into(), Some(true)),
        Some(_) => (VerificationOutcome::PassivelyVerified, Some(false)),
        None if now > deadline => (VerificationOutcome::PassivelyVerified, None),
        None => (VerificationOutcome::Pending, None),
    };
    VerificationStatus {
        outcome,
        deadline,
        answered_on_time,
    }
}

// ---------------------------------------------------------------------------
// Prescription expiry
// ---------------------------------------------------------------------------

/// Which kind of prescription a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RxKind {
    Spectacle,
    ContactLens,
}

impl RxKind {
    pub const ALL: [RxKind; 2] = [Self::Spectacle, Self::ContactLens];

    pub fn label(self) -> &'static str {
        match self {
            Self::Spectacle => "spectacle",
            Self::ContactLens => "contact lens",
        }
    }

    /// The stored and serialized name, `spectacle` or `contact_lens`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spectacle => "spectacle",
            Self::ContactLens => "contact_lens",
        }
    }

    /// The prescription's title as printed and shown.
    pub fn title(self) -> &'static str {
        match self {
            Self::Spectacle => "Eyeglass prescription",
            Self::ContactLens => "Contact lens prescription",
        }
    }
}

impl std::str::FromStr for RxKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not a prescription kind: use spectacle or contact_lens")
            })
    }
}

/// How long one kind of prescription runs in one state, and what it must
/// carry there. The federal rows use the code [`FEDERAL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRxRule {
    /// The two-letter postal code.
    pub state: &'static str,
    pub kind: RxKind,
    /// The shortest expiry the prescriber may set without a documented
    /// medical reason, in months after the issue date.
    pub min_months: u32,
    /// The longest expiry allowed, if the state caps it.
    pub max_months: Option<u32>,
    /// The expiry offered when the prescriber does not choose one.
    pub default_months: u32,
    pub requires_license_number: bool,
    pub requires_expiration_on_face: bool,
    /// Fields this state requires beyond the common ones (see
    /// [`required_fields`]).
    pub extra_fields: &'static [&'static str],
    pub citation: &'static str,
}

/// The federal floor for a contact lens prescription: one year after the
/// issue date, which no state rule can shorten (16 CFR 315.6(a)).
pub const CONTACT_LENS_MIN_MONTHS: u32 = 12;

/// The federal contact lens rule: at least a year, and the expiration
/// date on the prescription.
pub const FEDERAL_CONTACT_LENS: StateRxRule = StateRxRule {
    state: FEDERAL,
    kind: RxKind::ContactLens,
    min_months: CONTACT_LENS_MIN_MONTHS,
    max_months: None,
    default_months: CONTACT_LENS_MIN_MONTHS,
    requires_license_number: false,
    // The issue and expiration dates are part of a contact lens
    // prescription's required contents (16 CFR 315.2).
    requires_expiration_on_face: true,
    extra_fields: &[],
    citation: "16 CFR 315.6; 15 U.S.C. 7604",
};

/// The federal spectacle "rule", which sets no expiry.
pub const FEDERAL_SPECTACLE: StateRxRule = StateRxRule {
    state: FEDERAL,
    kind: RxKind::Spectacle,
    // The Eyeglass Rule sets no expiry. Twenty-four months is the period
    // most states use (research note §3.3) and meets both California's
    // two-year floor and New Hampshire's 24-month cap, so a practice in a
    // state without a row is offered a date no row here would refuse.
    min_months: 0,
    max_months: None,
    default_months: 24,
    requires_license_number: false,
    requires_expiration_on_face: false,
    extra_fields: &[],
    citation: "16 CFR 456 (no federal expiry)",
};

/// The federal rules, used for any state without a row of its own.
pub const FEDERAL_RX_RULES: [StateRxRule; 2] = [FEDERAL_CONTACT_LENS, FEDERAL_SPECTACLE];

/// The state rules Kerato ships. Adding a state is adding a row; a state
/// with no row for a kind uses the federal row.
pub const STATE_RX_RULES: &[StateRxRule] = &[
    StateRxRule {
        state: "CA",
        kind: RxKind::Spectacle,
        // At least two years unless the patient's history or an ocular or
        // systemic condition calls for an earlier reexamination.
        min_months: 24,
        max_months: None,
        default_months: 24,
        requires_license_number: true,
        requires_expiration_on_face: true,
        extra_fields: &["prescriber_signature"],
        citation: "Cal. Bus. & Prof. Code § 2541.1",
    },
    StateRxRule {
        state: "NC",
        kind: RxKind::Spectacle,
        // The statute counts 365 days from the examination; twelve months
        // from the issue date is never shorter than 365 days, and the
        // issue date is never before the examination.
        min_months: 12,
        max_months: None,
        default_months: 24,
        requires_license_number: false,
        requires_expiration_on_face: true,
        extra_fields: &[],
        citation: "N.C. Gen. Stat. § 90-127.3",
    },
    StateRxRule {
        state: "NC",
        kind: RxKind::ContactLens,
        min_months: 12,
        max_months: None,
        default_months: 12,
        requires_license_number: false,
        requires_expiration_on_face: true,
        // A contact lens prescription must say on its face that it is one.
        extra_fields: &["contact_lens_designation"],
        citation: "N.C. Gen. Stat. § 90-127.3",
    },
    StateRxRule {
        state: "TX",
        kind: RxKind::ContactLens,
        min_months: 12,
        max_months: None,
        default_months: 12,
        requires_license_number: false,
        requires_expiration_on_face: true,
        extra_fields: &[
            "brand_or_model",
            "total_lenses_authorized",
            "replacement_interval",
        ],
        citation: "22 Tex. Admin. Code § 181.2",
    },
    StateRxRule {
        state: "NH",
        kind: RxKind::Spectacle,
        // New Hampshire sets no floor, only that a prescription filled is
        // "not more than 24 months old".
        min_months: 0,
        max_months: Some(24),
        default_months: 24,
        requires_license_number: false,
        requires_expiration_on_face: false,
        extra_fields: &["vertex_distance_when_necessary"],
        citation: "N.H. Office of Professional Licensure and Certification, optometry FAQ on eyeglass prescriptions",
    },
];

/// The rule for `kind` in `state`: the state's row if it has one,
/// otherwise the federal row. An unknown code gets the federal row too.
pub fn rx_rule(kind: RxKind, state: &str) -> &'static StateRxRule {
    let code = state.trim();
    STATE_RX_RULES
        .iter()
        .find(|r| r.kind == kind && r.state.eq_ignore_ascii_case(code))
        .unwrap_or(match kind {
            RxKind::ContactLens => &FEDERAL_CONTACT_LENS,
            RxKind::Spectacle => &FEDERAL_SPECTACLE,
        })
}

/// The shortest expiry a rule allows without a medical reason, and the
/// citation for it. A contact lens floor is never below the federal year,
/// whatever the state says.
fn floor(rule: &StateRxRule) -> (u32, &'static str) {
    if rule.kind == RxKind::ContactLens && rule.min_months < CONTACT_LENS_MIN_MONTHS {
        (CONTACT_LENS_MIN_MONTHS, FEDERAL_CONTACT_LENS.citation)
    } else {
        (rule.min_months, rule.citation)
    }
}

fn months(n: u32) -> String {
    if n == 1 {
        "1 month".into()
    } else {
        format!("{n} months")
    }
}

/// The expiry date of a prescription of `kind` issued on `issue` in
/// `state`.
///
/// The expiry is `requested_months` after the issue date, or the rule's
/// default. One shorter than the floor (the state's, and for contact
/// lenses never less than a year) is refused unless `medical_reason`
/// documents why; the reason must then go in the chart and be kept three
/// years (16 CFR 315.6(b)). One longer than a state's cap is refused
/// outright. A month that lacks the day clamps to its end: twelve months
/// after 29 February is 28 February.
///
/// The caller must still check that the expiry is not shorter than the
/// recommended reexamination interval (16 CFR 315.6(b)(3)).
pub fn expiration(
    issue: Date,
    kind: RxKind,
    state: &str,
    requested_months: Option<u32>,
    medical_reason: Option<&str>,
) -> Result<Date, String> {
    let code = parse_state_code(state)?;
    let rule = rx_rule(kind, code);
    let chosen = requested_months.unwrap_or(rule.default_months);
    let place = if code == FEDERAL {
        "under federal rules".to_string()
    } else {
        format!("in {code}")
    };
    if chosen == 0 {
        return Err("a prescription must run at least 1 month after its issue date".into());
    }
    let (min, citation) = floor(rule);
    let documented = medical_reason.is_some_and(|r| !r.trim().is_empty());
    if chosen < min && !documented {
        return Err(format!(
            "a {} prescription {place} must run at least {} ({citation}); to set {}, document the medical reason for the shorter expiry",
            kind.label(),
            months(min),
            months(chosen),
        ));
    }
    if let Some(max) = rule.max_months
        && chosen > max
    {
        return Err(format!(
            "a {} prescription {place} may run at most {} ({}); choose {} or fewer",
            kind.label(),
            months(max),
            rule.citation,
            months(max),
        ));
    }
    jiff::Span::new()
        .try_months(chosen)
        .and_then(|span| issue.checked_add(span))
        .map_err(|_| {
            format!(
                "{} after {issue} is past the last date Kerato can hold",
                months(chosen)
            )
        })
}

/// What a prescription of `kind` written in `state` must carry, as field
/// keys in print order.
///
/// Every prescription carries the patient's name, the issue date, the
/// prescriber's name and NPI, and the practice's address and phone. The
/// NPI is Kerato's choice, not the FTC's: it names the prescriber without
/// doubt when a seller verifies by phone or fax. A contact lens
/// prescription adds what 16 CFR 315.2 lists: the exam date, the
/// expiration date, the practice's fax, the power, the material or
/// manufacturer, the base curve, the diameter (when appropriate) and, for
/// a private-label lens, the manufacturer's, private-label and equivalent
/// brand names. The state's row adds the license number, the expiration
/// date and its own fields. An unknown state gets the federal list.
pub fn required_fields(kind: RxKind, state: &str) -> Vec<&'static str> {
    let rule = rx_rule(kind, state);
    let mut fields = vec![
        "patient_name",
        "issue_date",
        "prescriber_name",
        "prescriber_npi",
        "practice_address",
        "practice_phone",
    ];
    match kind {
        RxKind::ContactLens => fields.extend([
            "exam_date",
            "expiration_date",
            "practice_fax",
            "power",
            "material_or_manufacturer",
            "base_curve",
            "diameter",
            "private_label_names",
        ]),
        RxKind::Spectacle => fields.push("power"),
    }
    if rule.requires_license_number {
        fields.push("prescriber_license_number");
    }
    if rule.requires_expiration_on_face {
        fields.push("expiration_date");
    }
    fields.extend(rule.extra_fields.iter().copied());
    let mut seen = BTreeSet::new();
    fields.retain(|f| seen.insert(*f));
    fields
}
