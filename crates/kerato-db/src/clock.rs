//! The system clock: the one place outside tests that reads the wall clock.

use kerato_core::time::{Clock, Timestamp};

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // This is the clock the rule points everyone else to.
    fn now(&self) -> Timestamp {
        Timestamp::from_jiff(jiff::Timestamp::now())
    }
}

/// The system clock moved ahead by whole days, for the demo's training
/// mode only: staff (and the browser tests) see what the timers of the
/// biopsy log, recalls and requests do days later without waiting for
/// them. `kerato serve` never uses it, so a real practice's records carry
/// real time.
#[derive(Debug, Clone, Copy)]
pub struct DaysAheadClock {
    days: u16,
}

/// The furthest the demo may look ahead: ten years covers every retention
/// and recall timer the system has.
pub const MAX_DAYS_AHEAD: u16 = 3660;

impl DaysAheadClock {
    pub fn new(days: u16) -> Result<Self, String> {
        if days > MAX_DAYS_AHEAD {
            return Err(format!(
                "the demo can run at most {MAX_DAYS_AHEAD} days ahead, not {days}"
            ));
        }
        Ok(Self { days })
    }
}

impl Clock for DaysAheadClock {
    fn now(&self) -> Timestamp {
        let real = SystemClock.now();
        Timestamp::from_micros(
            real.as_micros()
                .saturating_add(i64::from(self.days) * 86_400_000_000),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_given_days_ahead_and_refuses_more_than_ten_years() {
        let ahead = DaysAheadClock::new(4).unwrap().now().as_micros();
        let real = SystemClock.now().as_micros();
        let diff = ahead - real;
        // Four days, less the few microseconds between the two readings.
        assert!(
            (4 * 86_400_000_000 - 1_000_000..=4 * 86_400_000_000).contains(&diff),
            "{diff}"
        );
        assert!(DaysAheadClock::new(MAX_DAYS_AHEAD).is_ok());
        assert!(
            DaysAheadClock::new(MAX_DAYS_AHEAD + 1)
                .unwrap_err()
                .contains("at most 3660 days")
        );
    }
}
