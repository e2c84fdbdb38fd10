//! The quality measures that count how well the loop was closed.

use super::*;

/// A half-open reporting period `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// A quality measure's count, with the biopsies that missed it so the
/// practice can see which charts to look at.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct MeasureResult {
    pub numerator: usize,
    pub denominator: usize,
    /// Biopsies in the denominator but not the numerator.
    pub gaps: Vec<BiopsyId>,
}

impl MeasureResult {
    /// The performance rate, or `None` for an empty denominator (a rate of
    /// 0/0 is no performance, not zero performance).
    pub fn rate(&self) -> Option<f64> {
        // Counts far below 2^52 convert exactly.
        #[allow(clippy::cast_precision_loss)]
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    fn count(&mut self, id: BiopsyId, met: bool) {
        self.denominator += 1;
        if met {
            self.numerator += 1;
        } else {
            self.gaps.push(id);
        }
    }
}

/// A MIPS #440-style measure: malignant pathology reported to the
/// clinician within 7 calendar days.
///
/// - **Denominator**: biopsies sent to the lab within `period` whose
///   recorded diagnosis is [`Diagnosis::Malignant`]. #440 itself counts
///   basal and squamous cell carcinoma (and melanoma in some years); the
///   log's categories cannot tell those apart, so every malignancy counts.
/// - **Numerator**: those whose result was recorded no more than 7
///   calendar days (in the calendar's zone) after the specimen was sent.
///   #440 starts the clock when the pathologist receives the specimen; the
///   practice does not see that moment, so sending is the nearest it
///   records, which can only make the measure stricter.
///
/// A biopsy without a result yet has no diagnosis, so it is in neither
/// count.
pub fn report_within_7_days(
    biopsies: &[BiopsyTimeline],
    period: Period,
    calendar: &BusinessCalendar,
) -> MeasureResult {
    let mut out = MeasureResult::default();
    for b in biopsies {
        let (Some(sent), Some(result)) = (b.sent_at, b.result.as_ref()) else {
            continue;
        };
        if !period.contains(sent) || result.diagnosis != Diagnosis::Malignant {
            continue;
        }
        let due = add_calendar_days(sent, REPORT_WITHIN_DAYS, calendar);
        out.count(b.id, result.at <= due);
    }
    out
}

/// An AAD "Biopsy Follow-up"-style measure: the result reviewed by the
/// clinician who performed the biopsy and communicated to the patient.
///
/// - **Denominator**: biopsies sent to the lab within `period` (a biopsy
///   ordered but never taken was not performed).
/// - **Numerator**: those whose result was reviewed by the clinician who
///   ordered it and whose patient notification is recorded, both by
///   `as_of`. The AAD measure also asks for the result to reach the
///   referring physician; the log does not track referrers yet, so that
///   part is left out and the measure reads higher than AAD's would.
///
/// A review by a covering colleague does not count, because the measure
/// names the biopsying physician; the gap list shows such biopsies.
pub fn biopsy_follow_up(
    biopsies: &[BiopsyTimeline],
    period: Period,
    as_of: Timestamp,
) -> MeasureResult {
    let mut out = MeasureResult::default();
    for b in biopsies {
        let Some(sent) = b.sent_at else { continue };
        if !period.contains(sent) {
            continue;
        }
        let reviewed = b
            .review
            .as_ref()
            .is_some_and(|r| r.by == b.ordered_by && r.at <= as_of);
        let notified = b
            .notification
            .as_ref()
            .is_some_and(|n| n.recorded_at <= as_of);
        out.count(b.id, reviewed && notified);
    }
    out
}
