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

/// The demo's clock: the system clock moved by a fixed amount, for the
/// demo only. Moved ahead by whole days it is the training mode, where staff
/// (and the browser tests) see what the timers of the biopsy log, recalls and
/// requests do days later without waiting for them; started at a chosen
/// instant it makes the demo show the same days whatever the real date, so a
/// test of it gives the same answer on any day. It runs at the real pace from
/// there. `kerato serve` never uses it, so a real practice's records carry
/// real time.
///
/// Authenticator codes are still checked against the real time
/// ([`Clock::outside_now`]): a phone's authenticator app knows nothing of the
/// demo's shift.
#[derive(Debug, Clone, Copy)]
pub struct DemoClock {
    shift_micros: i64,
}

/// The furthest the demo may look ahead: ten years covers every retention
/// and recall timer the system has.
pub const MAX_DAYS_AHEAD: u16 = 3660;

const DAY_MICROS: i64 = 86_400_000_000;
/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z.
const EARLIEST_START: i64 = 946_684_800_000_000;
const LATEST_START: i64 = 4_102_444_800_000_000;

impl DemoClock {
    /// The real time, `days` days ahead.
    pub fn days_ahead(days: u16) -> Result<Self, String> {
        if days > MAX_DAYS_AHEAD {
            return Err(format!(
                "the demo can run at most {MAX_DAYS_AHEAD} days ahead, not {days}"
            ));
        }
        Ok(Self {
            shift_micros: i64::from(days) * DAY_MICROS,
        })
    }

    /// A clock that reads `start` now and runs on from there, moved a
    /// further `days` days ahead. `start` lies in this century: IDs, dates
    /// of birth and retention dates are computed from it.
    pub fn starting_at(start: Timestamp, days: u16) -> Result<Self, String> {
        let ahead = Self::days_ahead(days)?;
        if !(EARLIEST_START..LATEST_START).contains(&start.as_micros()) {
            return Err(format!(
                "the demo's clock starts between 2000 and 2099, not at {start}"
            ));
        }
        let shift = start.as_micros() - SystemClock.now().as_micros();
        Ok(Self {
            shift_micros: shift + ahead.shift_micros,
        })
    }
}

impl Clock for DemoClock {
    fn now(&self) -> Timestamp {
        let real = SystemClock.now();
        Timestamp::from_micros(real.as_micros().saturating_add(self.shift_micros))
    }

    fn outside_now(&self) -> Timestamp {
        SystemClock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_given_days_ahead_and_refuses_more_than_ten_years() {
        let clock = DemoClock::days_ahead(4).unwrap();
        let ahead = clock.now().as_micros();
        let real = SystemClock.now().as_micros();
        let diff = ahead - real;
        // Four days, less the few microseconds between the two readings.
        assert!(
            (4 * DAY_MICROS - 1_000_000..=4 * DAY_MICROS).contains(&diff),
            "{diff}"
        );
        // Authenticator codes follow the real time, not the shifted one.
        let outside = clock.outside_now().as_micros() - SystemClock.now().as_micros();
        assert!((-1_000_000..=0).contains(&outside), "{outside}");
        assert!(DemoClock::days_ahead(MAX_DAYS_AHEAD).is_ok());
        assert!(
            DemoClock::days_ahead(MAX_DAYS_AHEAD + 1)
                .unwrap_err()
                .contains("at most 3660 days")
        );
    }

    #[test]
    fn starts_at_the_given_instant_and_runs_on() {
        // Relative to the real time, so the test holds on any day.
        let real = SystemClock.now().as_micros();
        let start = Timestamp::from_micros(real - 100 * DAY_MICROS);
        let clock = DemoClock::starting_at(start, 0).unwrap();
        let read = clock.now().as_micros() - start.as_micros();
        assert!((0..1_000_000).contains(&read), "{read}");
        let ahead = DemoClock::starting_at(start, 2).unwrap().now().as_micros();
        let diff = ahead - start.as_micros() - 2 * DAY_MICROS;
        assert!((0..1_000_000).contains(&diff), "{diff}");
        for outside in [EARLIEST_START - 1, LATEST_START] {
            assert!(
                DemoClock::starting_at(Timestamp::from_micros(outside), 0)
                    .unwrap_err()
                    .contains("between 2000 and 2099")
            );
        }
        assert!(DemoClock::starting_at(Timestamp::from_micros(EARLIEST_START), 0).is_ok());
    }
}
