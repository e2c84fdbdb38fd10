//! Sellers' verification requests and agents' copy requests on their
//! business-hour clocks, and the FTC compliance report.

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::calendar::BusinessCalendar;
use kerato_domain::eye::requests::{
    RxAnswerInput, RxRequest, RxRequestInput, RxRequestKind, RxRequestStatus,
};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::RxRequestId;
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
use kerato_store::{Tx, eye as store, tenancy};

use super::clinical;
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// Where a request stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxRequestView {
    pub request: RxRequest,
    pub status: RxRequestStatus,
    pub answered_on_time: Option<bool>,
    /// Business time left before the deadline, in minutes (0 once passed).
    pub minutes_left: i64,
}

/// The FTC compliance report for prescriptions and requests in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FtcReport {
    pub from: String,
    pub until: String,
    pub prescriptions: i64,
    pub released: i64,
    pub confirmations_signed: i64,
    pub refusals_recorded: i64,
    pub without_confirmation: i64,
    pub verifications: i64,
    pub verifications_answered_on_time: i64,
    pub verifications_answered_late: i64,
    pub passively_verified: i64,
    pub verifications_pending: i64,
    pub agent_copies: i64,
    pub agent_copies_on_time: i64,
    pub agent_copies_late_or_open: i64,
}

impl App {
    /// The business calendar of a location: the FTC's hours in its zone,
    /// closed on federal holidays and on the location's own closures.
    pub(crate) async fn calendar(
        &self,
        tx: &mut Tx,
        loc: &Location,
    ) -> Result<BusinessCalendar, AppError> {
        let zone = loc.time_zone.zone().clone();
        let closed = store::location_closures(tx, loc.id).await?;
        let mut days = Vec::new();
        for (start, end) in closed {
            let mut d = start.to_jiff().to_zoned_datetime(zone.clone()).date();
            let last = end.to_jiff().to_zoned_datetime(zone.clone()).date();
            while d < last && days.len() < 1000 {
                days.push(d);
                d = d.tomorrow().map_err(AppError::corrupt)?;
            }
        }
        Ok(BusinessCalendar::federal(zone).with_extra_holidays(days))
    }

    /// Logs a seller's verification request or an agent's copy request;
    /// its deadline (8 or 40 business hours) is fixed now.
    pub async fn receive_rx_request(
        &self,
        caller: &Caller,
        input: &RxRequestInput,
    ) -> Result<RxRequest, AppError> {
        self.require(caller, Resource::Prescription, Action::Create, None)
            .await?;
        let received_at = input.received_at.unwrap_or_else(|| self.now());
        if received_at > self.now() {
            return Err(ValidationErrors::single(
                "received_at",
                "a request cannot arrive in the future",
            )
            .into());
        }
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let loc = tenancy::get_location(&mut tx, org, input.location_id)
            .await?
            .ok_or_else(|| {
                ValidationErrors::single("location_id", "no such location in this practice")
            })?;
        let calendar = self.calendar(&mut tx, &loc).await?;
        let request = RxRequest {
            id: RxRequestId::new(self.now(), self.random_id_bits()),
            organisation_id: org,
            kind: input.kind,
            requester: input.requester.clone(),
            requester_contact: input.requester_contact.clone(),
            patient_name: input.patient_name.clone(),
            patient_id: None,
            prescription_id: None,
            details: input.details.clone(),
            received_at,
            due_at: input.kind.deadline(received_at, &calendar),
            answered: None,
        };
        let act = Act::new(
            Action::Create,
            clinical(caller, Some(input.location_id), Resource::Prescription),
            "prescription request",
        )
        .id(request.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_request(&mut tx, &request).await?;
        tx.commit().await?;
        Ok(request)
    }

    fn request_view(&self, r: RxRequest, calendar: Option<&BusinessCalendar>) -> RxRequestView {
        let now = self.now();
        RxRequestView {
            status: r.status(now),
            answered_on_time: r.answered_on_time(),
            minutes_left: calendar.map_or(0, |c| r.minutes_left(now, c)),
            request: r,
        }
    }

    /// The requests inbox: unanswered requests by deadline, with the
    /// business time left on each.
    pub async fn rx_requests(&self, caller: &Caller) -> Result<Vec<RxRequestView>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Prescription,
                "prescription requests",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let rows = store::requests(
            &mut tx,
            org,
            Timestamp::from_micros(0),
            Timestamp::from_micros(i64::MAX),
            true,
        )
        .await?;
        let calendar = match tenancy::list_locations(&mut tx, org).await?.first() {
            Some(loc) => Some(self.calendar(&mut tx, loc).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| self.request_view(r, calendar.as_ref()))
            .collect())
    }

    /// Answers a request: for a verification `confirmed`, `corrected` or
    /// `invalid` (with the reason, which the seller must be told); for an
    /// agent's copy `sent` (with how it was sent).
    pub async fn answer_rx_request(
        &self,
        caller: &Caller,
        id: RxRequestId,
        input: &RxAnswerInput,
    ) -> Result<RxRequestView, AppError> {
        self.require(caller, Resource::Prescription, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let r = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("request"))?;
        let allowed = r.kind.answers();
        if !allowed.contains(&input.answer) {
            let all: Vec<&str> = allowed.iter().map(|a| a.as_str()).collect();
            return Err(ValidationErrors::single(
                "answer",
                format!("answer with one of {}", all.join(", ")),
            )
            .into());
        }
        let act = Act::new(
            Action::Update,
            clinical(caller, None, Resource::Prescription),
            "prescription request",
        )
        .id(id);
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::answer_request(
            &mut tx,
            id,
            input.answer,
            &input.note,
            caller.actor.user_id,
            self.now(),
        )
        .await?
        {
            return Err(AppError::Conflict(
                "this request is already answered".into(),
            ));
        }
        let answered = store::find_request(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("request"))?;
        tx.commit().await?;
        Ok(self.request_view(answered, None))
    }

    /// The FTC compliance report for `[from, until)` (dates, UTC days):
    /// prescriptions issued and released, confirmations and refusals,
    /// verification answers on time, late or passive, agents' copies.
    pub async fn ftc_report(
        &self,
        caller: &Caller,
        from: Date,
        until: Date,
    ) -> Result<FtcReport, AppError> {
        if until <= from {
            return Err(
                ValidationErrors::single("until", "the period must end after it starts").into(),
            );
        }
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Prescription,
                "ftc compliance report",
            )
            .await?;
        let at = |d: Date| -> Result<Timestamp, AppError> {
            jiff::tz::TimeZone::UTC
                .to_ambiguous_zoned_datetime(d.to_datetime(jiff::civil::Time::midnight()))
                .compatible()
                .map(|z| Timestamp::from_jiff(z.timestamp()))
                .map_err(|e| ValidationErrors::single("from", e.to_string()).into())
        };
        let (start, end) = (at(from)?, at(until)?);
        let org = caller.actor.organisation_id;
        let (prescriptions, released, signed, refused) =
            store::release_counts(&mut tx, org, start, end).await?;
        let mut report = FtcReport {
            from: from.to_string(),
            until: until.to_string(),
            prescriptions,
            released,
            confirmations_signed: signed,
            refusals_recorded: refused,
            without_confirmation: prescriptions - signed - refused,
            ..FtcReport::default()
        };
        for r in store::requests(&mut tx, org, start, end, false).await? {
            let view = self.request_view(r, None);
            match view.request.kind {
                RxRequestKind::Verification => {
                    report.verifications += 1;
                    match (view.answered_on_time, view.status) {
                        (Some(true), _) => report.verifications_answered_on_time += 1,
                        (Some(false), _) => {
                            report.verifications_answered_late += 1;
                            report.passively_verified += 1;
                        }
                        (None, RxRequestStatus::PassivelyVerified) => {
                            report.passively_verified += 1;
                        }
                        _ => report.verifications_pending += 1,
                    }
                }
                RxRequestKind::AgentCopy => {
                    report.agent_copies += 1;
                    if view.answered_on_time == Some(true) {
                        report.agent_copies_on_time += 1;
                    } else {
                        report.agent_copies_late_or_open += 1;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}
