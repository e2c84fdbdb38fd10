//! The demo's past. A practice's records are made over months, each at
//! the time it happened; the demo tells that story through the same use
//! cases, run by a copy of the app whose clock the seed sets to each
//! moment. Moments are counted back from the app's own "now", so the
//! demo shows the same story whatever the date it starts at.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use kerato_domain::time::{Clock, Timestamp};

use crate::{App, AppError};

/// A clock that shows the moment the seed last set, never later than the
/// real app's "now" when the seed began.
#[derive(Debug)]
struct SeedClock {
    micros: AtomicI64,
    /// What the world outside reads (authenticator codes): the real app's.
    outside: Arc<dyn Clock>,
}

impl Clock for SeedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_micros(self.micros.load(Ordering::SeqCst))
    }

    fn outside_now(&self) -> Timestamp {
        self.outside.outside_now()
    }
}

pub(super) fn date_error(e: jiff::Error) -> AppError {
    AppError::NotReady(format!("a demo date is out of range: {e}"))
}

/// The app at a settable moment in the past, in the practice's zone.
#[derive(Debug)]
pub(super) struct History {
    app: App,
    clock: Arc<SeedClock>,
    zone: TimeZone,
    now: Timestamp,
    today: Date,
}

impl History {
    /// Starts at `app`'s now; the practice's days are days in `zone`.
    pub fn new(app: &App, zone: &TimeZone) -> Self {
        let now = app.now();
        let clock = Arc::new(SeedClock {
            micros: AtomicI64::new(now.as_micros()),
            outside: app.clock.clone(),
        });
        Self {
            app: App {
                clock: clock.clone(),
                ..app.clone()
            },
            clock,
            zone: zone.clone(),
            now,
            today: now.to_jiff().to_zoned_datetime(zone.clone()).date(),
        }
    }

    /// The app, at the moment last set.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The practice's date when the seed began.
    pub fn today(&self) -> Date {
        self.today
    }

    /// The instant at `hour:minute` on the working day `days_ago` days
    /// before today: a Saturday or Sunday moves back to the Friday, so
    /// later days never come before earlier ones. Never later than now.
    fn instant(&self, days_ago: i64, hour: i8, minute: i8) -> Result<Timestamp, AppError> {
        let mut day = self
            .today
            .checked_sub(jiff::Span::new().days(days_ago))
            .map_err(date_error)?;
        while matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            day = day.yesterday().map_err(date_error)?;
        }
        let time = Time::new(hour, minute, 0, 0).map_err(date_error)?;
        let at = self
            .zone
            .to_timestamp(day.to_datetime(time))
            .map_err(date_error)?;
        Ok(Timestamp::from_jiff(at).min(self.now))
    }

    /// Sets the clock to the start of a new story (a visit, a request):
    /// `hour:minute` on the working day `days_ago` days ago.
    pub fn at(&self, days_ago: i64, hour: i8, minute: i8) -> Result<(), AppError> {
        let at = self.instant(days_ago, hour, minute)?;
        self.clock.micros.store(at.as_micros(), Ordering::SeqCst);
        Ok(())
    }

    /// Moves the clock on to the next step of the same story, a minute
    /// after the step before if the day and time asked for are not later
    /// (two days folded into one Friday), but never past now and never
    /// back: steps of a record are recorded in order.
    pub fn then(&self, days_ago: i64, hour: i8, minute: i8) -> Result<(), AppError> {
        let at = self.instant(days_ago, hour, minute)?.as_micros();
        let before = self.clock.micros.load(Ordering::SeqCst);
        let next = at
            .max(before.saturating_add(60_000_000))
            .min(self.now.as_micros())
            .max(before);
        self.clock.micros.store(next, Ordering::SeqCst);
        Ok(())
    }
}
