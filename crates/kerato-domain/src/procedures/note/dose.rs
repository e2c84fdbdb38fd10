//! A phototherapy course's cumulative dose and its alerts.

use super::*;

/// A course's configured limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhototherapyLimits {
    /// The course's maximum cumulative dose; reaching it blocks the session
    /// until a clinician decides.
    pub max_cumulative_mj_cm2: u64,
    /// The share of the maximum (for example 80) from which each session
    /// warns that the maximum is near.
    pub warn_at_percent: u32,
    /// The largest step up from the previous session's dose the protocol
    /// allows, in percent (for example 20).
    pub max_increase_percent: u32,
}

/// Something the clinician must see before giving a dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseAlert {
    /// The cumulative dose has reached the warning share of the maximum.
    NearMaximum {
        cumulative_mj_cm2: u64,
        max_mj_cm2: u64,
        percent: u64,
    },
    /// The cumulative dose has reached or passed the maximum.
    MaximumReached {
        cumulative_mj_cm2: u64,
        max_mj_cm2: u64,
    },
    /// The dose rose more over the previous session than the protocol
    /// allows.
    IncreaseTooLarge {
        previous_mj_cm2: u32,
        new_mj_cm2: u32,
        /// The increase rounded up, so it is never shown as within the
        /// limit when it is not.
        increase_percent: u64,
        allowed_percent: u32,
    },
    /// The previous session left erythema of grade 2 or more.
    Erythema { grade: ErythemaGrade },
}

impl DoseAlert {
    /// Whether the session should not go ahead without a clinician's
    /// decision, rather than merely being warned about.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            DoseAlert::MaximumReached { .. }
                | DoseAlert::Erythema {
                    grade: ErythemaGrade::Severe
                }
        )
    }

    /// What happened and what to do, in a sentence for the clinician.
    pub fn message(&self) -> String {
        match self {
            DoseAlert::NearMaximum {
                cumulative_mj_cm2,
                max_mj_cm2,
                percent,
            } => format!(
                "Cumulative dose {cumulative_mj_cm2} mJ/cm² is {percent}% of the course maximum \
                 {max_mj_cm2} mJ/cm²; plan the end of the course"
            ),
            DoseAlert::MaximumReached {
                cumulative_mj_cm2,
                max_mj_cm2,
            } => format!(
                "Cumulative dose {cumulative_mj_cm2} mJ/cm² reaches the course maximum \
                 {max_mj_cm2} mJ/cm²; do not treat until a clinician reviews the course"
            ),
            DoseAlert::IncreaseTooLarge {
                previous_mj_cm2,
                new_mj_cm2,
                increase_percent,
                allowed_percent,
            } => format!(
                "The dose rises {increase_percent}% from {previous_mj_cm2} to {new_mj_cm2} mJ/cm², \
                 more than the {allowed_percent}% step the protocol allows; check the dose"
            ),
            DoseAlert::Erythema { grade } => {
                let advice = if *grade == ErythemaGrade::Severe {
                    "withhold treatment until it settles, then resume at a reduced dose"
                } else {
                    "hold the dose or reduce it; do not raise it"
                };
                format!(
                    "Erythema grade {} after the previous session: {advice}",
                    grade.label()
                )
            }
        }
    }
}

/// The course's cumulative dose with a new session, and the alerts for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseCheck {
    pub cumulative_mj_cm2: u64,
    pub alerts: Vec<DoseAlert>,
}

/// Adds `new_dose_mj_cm2` to the doses of the course's earlier sessions
/// (oldest first) and checks it against `limits`.
///
/// The maximum alerts fire on every session whose total is at or past the
/// threshold, not only the one that crosses it, because a course that goes
/// on past its maximum needs the warning each time. `NearMaximum` and
/// `MaximumReached` never come together: the second replaces the first.
pub fn check_dose(
    prior_doses_mj_cm2: &[u32],
    new_dose_mj_cm2: u32,
    erythema_since_last: ErythemaGrade,
    limits: &PhototherapyLimits,
) -> DoseCheck {
    // A u64 total of u32 doses cannot overflow in any real course (it
    // would take four billion sessions of the largest dose), so the sum is
    // exact; the final add saturates only to rule out a panic.
    let cumulative = prior_doses_mj_cm2
        .iter()
        .map(|d| u64::from(*d))
        .sum::<u64>()
        .saturating_add(u64::from(new_dose_mj_cm2));
    let max = limits.max_cumulative_mj_cm2;
    let mut alerts = Vec::new();
    if cumulative >= max {
        alerts.push(DoseAlert::MaximumReached {
            cumulative_mj_cm2: cumulative,
            max_mj_cm2: max,
        });
    } else if u128::from(cumulative) * 100 >= u128::from(max) * u128::from(limits.warn_at_percent) {
        // `max` is above `cumulative` here, so it is not zero.
        alerts.push(DoseAlert::NearMaximum {
            cumulative_mj_cm2: cumulative,
            max_mj_cm2: max,
            percent: cumulative.saturating_mul(100) / max,
        });
    }
    if let Some(&previous) = prior_doses_mj_cm2.last() {
        let (prev, new) = (u64::from(previous), u64::from(new_dose_mj_cm2));
        if prev > 0 && new > prev {
            let rise = (new - prev) * 100;
            if rise > prev * u64::from(limits.max_increase_percent) {
                alerts.push(DoseAlert::IncreaseTooLarge {
                    previous_mj_cm2: previous,
                    new_mj_cm2: new_dose_mj_cm2,
                    increase_percent: rise.div_ceil(prev),
                    allowed_percent: limits.max_increase_percent,
                });
            }
        }
    }
    if erythema_since_last >= ErythemaGrade::Defined {
        alerts.push(DoseAlert::Erythema {
            grade: erythema_since_last,
        });
    }
    DoseCheck {
        cumulative_mj_cm2: cumulative,
        alerts,
    }
}
