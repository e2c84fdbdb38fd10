//! The biopsy quality measures over a period, for the practice's report.

use kerato_domain::ValidationErrors;
use kerato_domain::biopsies::{MeasureResult, Period, biopsy_follow_up, report_within_7_days};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::time::Timestamp;
use kerato_store::{biopsies as store, tenancy};

use crate::authz::Caller;
use crate::{App, AppError};

/// The biopsy quality measures over a period, for the practice's report.
#[derive(Debug, Clone, PartialEq)]
pub struct BiopsyMeasures {
    /// MIPS #440-style: malignant reports within 7 days of sending.
    pub report_within_7_days: MeasureResult,
    /// AAD-style follow-up: reviewed by the biopsying clinician and the
    /// patient told.
    pub follow_up: MeasureResult,
}

/// How long before a period a biopsy may have been ordered and still be
/// sent within it: specimens leave the practice within days of the
/// procedure, so a month covers any that count.
const ORDERED_BEFORE_SENT_DAYS: i64 = 31;

impl App {
    /// The biopsy measures for specimens sent from `from` until (not
    /// including) `until`, days in the first location's zone. Reading the
    /// report is audited as a query of pathology.
    pub async fn biopsy_measures(
        &self,
        caller: &Caller,
        from: jiff::civil::Date,
        until: jiff::civil::Date,
    ) -> Result<BiopsyMeasures, AppError> {
        if until <= from {
            return Err(ValidationErrors::single(
                "until",
                "the end of the period must be after its start",
            )
            .into());
        }
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Pathology,
                "biopsy measures",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let loc = tenancy::list_locations(&mut tx, org)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ValidationErrors::single("location", "add a location before reporting")
            })?;
        let calendar = self.calendar(&mut tx, &loc).await?;
        let zone = loc.time_zone.zone().clone();
        let instant = |d: jiff::civil::Date| {
            zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                .map(Timestamp::from_jiff)
                .map_err(|_| ValidationErrors::single("from", "that day does not exist here"))
        };
        let period = Period {
            start: instant(from)?,
            end: instant(until)?,
        };
        let earliest = Timestamp::from_micros(
            period
                .start
                .as_micros()
                .saturating_sub(ORDERED_BEFORE_SENT_DAYS * 86_400_000_000),
        );
        let timelines: Vec<_> = store::biopsies_ordered_between(&mut tx, org, earliest, period.end)
            .await?
            .into_iter()
            .map(|b| b.timeline)
            .collect();
        tx.commit().await?;
        Ok(BiopsyMeasures {
            report_within_7_days: report_within_7_days(&timelines, period, &calendar),
            follow_up: biopsy_follow_up(&timelines, period, self.now()),
        })
    }
}
