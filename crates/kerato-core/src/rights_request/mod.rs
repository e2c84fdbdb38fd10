//! Privacy rights requests and the legal clock of each regime: when a
//! request is due, whether it may be extended, how many days are left, and
//! which alarms are due.
//!
//! # Regimes
//!
//! | Regime | Respond within | Extension | Also | Source |
//! |---|---|---|---|---|
//! | [`Regime::Statement`] | 45 calendar days | once, +45 (90 in all) | | privacy statement §6 |
//! | [`Regime::HipaaAccess`] | 30 calendar days | once, +30 | | 45 CFR 164.524 |
//! | [`Regime::HipaaAmendment`] | 60 calendar days | once, +30 | | 45 CFR 164.526 |
//! | [`Regime::HipaaAccounting`] | 60 calendar days | once, +30 | | 45 CFR 164.528 |
//! | [`Regime::Ccpa`] | 45 calendar days | once, +45 (90 in all) | confirm receipt within 10 business days | 11 CCR 7021 |
//! | [`Regime::CcpaOptOut`] | 15 business days | none | | 11 CCR 7026(f) |
//! | [`Regime::Gdpr`] | 1 month | once, +2 months | | GDPR Art. 12(3) |
//!
//! The figures are those of the privacy research note (§2.2, §2.3). Every
//! extension needs a reason and a notice to the requester sent no later
//! than the original deadline: HIPAA asks for the written reason "within
//! the 30 days", CCPA for notice "within the first 45-day period", GDPR
//! "within one month of receipt", and the statement promises 90 days only
//! when "a request is complex", and the requester is told why.
//!
//! # How the days are counted (Kerato's choices)
//!
//! - Days are dates in the practice's time zone (the [`BusinessCalendar`]'s
//!   zone). The day of receipt does not count, and a request is due by the
//!   end of its last day: one received on 1 March with 30 days is due at
//!   the last instant of 31 March, local time. Counting whole dates, not
//!   24-hour periods, is what lets staff read a deadline as a date, and it
//!   keeps [`days_left`] falling by exactly one each local day even across
//!   a daylight saving change.
//! - GDPR months are calendar months: the same day number in the month
//!   after, or that month's last day when it has no such day. So 31
//!   January plus one month is 28 February (29 in a leap year), and 15
//!   March is due on 15 April. The EU rule on time limits (Regulation
//!   1182/71, Art. 3) also ends a month on the last day when the day is
//!   missing; it then moves a deadline that falls on a weekend or holiday
//!   to the next working day, which Kerato does not do, because the
//!   calendar does not know EU holidays and an earlier deadline can never
//!   be missed.
//! - An extension runs from the original deadline, not from receipt. For
//!   day counts the two are the same; for GDPR months the original
//!   deadline may already have been clamped to a short month's end (31
//!   January → 28 February → 28 April rather than 30 April), and the
//!   earlier date is the safe reading of "extended by two further months".
//! - The CCPA confirmation is due by the end of the tenth business day
//!   after the day of receipt, on the calendar's business days (weekdays,
//!   no federal holidays). A request received on a weekend, a holiday or
//!   after hours counts from the day it arrived, so hours of the day do
//!   not matter.
//! - An extension only moves the deadline once its notice is recorded as
//!   sent by the original deadline. Until then the original deadline
//!   stands and [`AlarmKind::ExtensionNoticeMissing`] is raised, because
//!   an extension nobody was told of does not exist for the requester.

mod alarms;
mod deadlines;
#[cfg(test)]
mod tests;
mod timeline;

pub use alarms::{Alarm, AlarmKind, alarm_key, alarms, by_urgency};
pub use deadlines::{confirmation_due_at, days_left, due_at, is_overdue, original_due_at};
pub use timeline::{Extension, Outcome, RequestEvent, RequestState, RequestTimeline, advance};

/// Days before a deadline from which the request is reported as due soon.
pub const DUE_SOON_DAYS: i64 = 7;

string_enum!(
    /// What the requester asks for.
    RequestType {
        Access = "access", "Access to (a copy of) their data";
        Correction = "correction", "Correction or amendment";
        Deletion = "deletion", "Deletion";
        MarketingOptOut = "marketing_opt_out", "Opt-out of marketing";
        DoNotSellShare = "do_not_sell_share", "Do not sell or share";
        Restriction = "restriction", "Restriction of use or disclosure";
        ConfidentialCommunications = "confidential_communications", "Confidential communications";
        AccountingOfDisclosures = "accounting_of_disclosures", "Accounting of disclosures";
    }
);

string_enum!(
    /// The law or promise whose clock a request runs on.
    Regime {
        Statement = "statement", "Our privacy statement (45 days, 90 when complex)";
        HipaaAccess = "hipaa_access", "HIPAA right of access (30 + 30 days)";
        HipaaAmendment = "hipaa_amendment", "HIPAA amendment (60 + 30 days)";
        HipaaAccounting = "hipaa_accounting", "HIPAA accounting of disclosures (60 + 30 days)";
        Ccpa = "ccpa", "CCPA/CPRA request to know, delete or correct (45 + 45 days)";
        CcpaOptOut = "ccpa_opt_out", "CCPA/CPRA opt-out or limit (15 business days)";
        Gdpr = "gdpr", "GDPR (1 month + 2 months)";
    }
);

string_enum!(
    /// Where the requester's rights come from.
    Jurisdiction {
        UnitedStates = "us", "United States (outside California)";
        California = "us_ca", "California";
        EuropeanUnion = "eu", "European Union or EEA";
    }
);

/// A length of time in the unit the law counts it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Days(i32),
    Months(i32),
    BusinessDays(u32),
}

/// A regime's clock as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegimeRule {
    pub respond_within: Period,
    /// The one extension allowed, if any.
    pub extension: Option<Period>,
    /// Business days within which receipt must be confirmed, if the regime
    /// asks for a confirmation.
    pub confirm_within_business_days: Option<u32>,
    pub citation: &'static str,
}

impl Regime {
    /// The clock of this regime.
    pub fn rule(self) -> RegimeRule {
        let rule = |respond_within, extension, citation| RegimeRule {
            respond_within,
            extension,
            confirm_within_business_days: None,
            citation,
        };
        match self {
            Self::Statement => rule(
                Period::Days(45),
                Some(Period::Days(45)),
                "privacy statement §6: \"within 45 days\", extended once \"to 90 days in all\" when a request is complex",
            ),
            Self::HipaaAccess => rule(
                Period::Days(30),
                Some(Period::Days(30)),
                "45 CFR 164.524(b)(2)",
            ),
            Self::HipaaAmendment => rule(
                Period::Days(60),
                Some(Period::Days(30)),
                "45 CFR 164.526(b)(2)",
            ),
            Self::HipaaAccounting => rule(
                Period::Days(60),
                Some(Period::Days(30)),
                "45 CFR 164.528(c)(1)",
            ),
            Self::Ccpa => RegimeRule {
                confirm_within_business_days: Some(10),
                ..rule(
                    Period::Days(45),
                    Some(Period::Days(45)),
                    "11 CCR 7021(a)-(b)",
                )
            },
            Self::CcpaOptOut => rule(Period::BusinessDays(15), None, "11 CCR 7026(f)"),
            Self::Gdpr => rule(
                Period::Months(1),
                Some(Period::Months(2)),
                "GDPR Art. 12(3)",
            ),
        }
    }
}

/// The regime whose clock a request should run on.
///
/// - **Patient PHI** follows HIPAA wherever the patient lives: CCPA
///   exempts PHI a covered entity collects (Cal. Civ. Code 1798.146), and
///   the research note (§2.3) says "PHI requests follow HIPAA's 30/60-day
///   clocks". Access, amendment and accounting have HIPAA clocks. HIPAA
///   sets no deadline for deletion, restriction, confidential
///   communications or opt-outs, so those run on the statement's 45 days
///   rather than on no clock at all. An EU patient of a US practice is
///   treated as a HIPAA patient; whether GDPR reaches such a practice is a
///   question for counsel.
/// - **Other personal information** runs on the jurisdiction's law when it
///   has one, and otherwise on the statement. The jurisdiction's clock is
///   the stricter for the first deadline in every case (CCPA's 45 days add
///   a confirmation; its opt-out's 15 business days and GDPR's month are
///   shorter than 45 days), which is why it wins. A CCPA opt-out or limit
///   (do not sell or share, marketing, restriction) runs on the 15
///   business days of 11 CCR 7026(f) and 7027; confidential communications
///   are no CCPA right and run on the statement.
pub fn regime_for(
    request_type: RequestType,
    is_patient_phi: bool,
    jurisdiction: Jurisdiction,
) -> Regime {
    use RequestType as T;
    if is_patient_phi {
        return match request_type {
            T::Access => Regime::HipaaAccess,
            T::Correction => Regime::HipaaAmendment,
            T::AccountingOfDisclosures => Regime::HipaaAccounting,
            T::Deletion
            | T::MarketingOptOut
            | T::DoNotSellShare
            | T::Restriction
            | T::ConfidentialCommunications => Regime::Statement,
        };
    }
    match jurisdiction {
        Jurisdiction::UnitedStates => Regime::Statement,
        Jurisdiction::EuropeanUnion => Regime::Gdpr,
        Jurisdiction::California => match request_type {
            T::Access | T::Correction | T::Deletion | T::AccountingOfDisclosures => Regime::Ccpa,
            T::MarketingOptOut | T::DoNotSellShare | T::Restriction => Regime::CcpaOptOut,
            T::ConfidentialCommunications => Regime::Statement,
        },
    }
}
