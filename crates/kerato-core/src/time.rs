//! Time as the domain sees it: instants in UTC microseconds, and the clock
//! that supplies them.
//!
//! The domain never reads the wall clock. Callers pass a [`Clock`]; the
//! system clock lives in `kerato-app`, and [`TestClock`] lets tests set time.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

/// An instant, in microseconds since the Unix epoch, UTC. This is also how
/// instants are stored (an INTEGER column) on both database backends.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// The same instant as a `jiff` timestamp, for calendar and zone work.
    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    pub fn from_jiff(ts: jiff::Timestamp) -> Self {
        Self(ts.as_microsecond())
    }

    /// This instant moved by `micros` (negative moves back), saturating.
    pub fn plus_micros(self, micros: i64) -> Self {
        Self(self.0.saturating_add(micros))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_jiff())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_jiff().fmt(f)
    }
}

/// The one source of "now".
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;

    /// The instant the world outside Kerato is at, for what must agree with
    /// it: the codes an authenticator app shows. It is [`Clock::now`] on
    /// every clock but the demo's, which can run ahead of the real time
    /// while a phone's authenticator cannot.
    fn outside_now(&self) -> Timestamp {
        self.now()
    }
}

/// A clock that shows whatever the test sets; it moves only when told to.
#[derive(Debug)]
pub struct TestClock {
    micros: AtomicI64,
}

impl TestClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            micros: AtomicI64::new(start.as_micros()),
        }
    }

    pub fn set(&self, to: Timestamp) {
        self.micros.store(to.as_micros(), Ordering::SeqCst);
    }

    pub fn advance_micros(&self, micros: i64) {
        self.micros.fetch_add(micros, Ordering::SeqCst);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.advance_micros(secs.saturating_mul(1_000_000));
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.micros.load(Ordering::SeqCst))
    }
}

/// An IANA time zone name that the bundled tz database knows.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(into = "String")]
pub struct TimeZoneName {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl TimeZoneName {
    /// Accepts only names in the tz database (`America/Chicago`), not
    /// abbreviations or offsets, because a location's zone must follow DST.
    pub fn parse(name: &str) -> Result<Self, String> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err("enter an IANA time zone such as America/New_York".into());
        }
        if trimmed.len() > 64 || !trimmed.contains('/') && trimmed != "UTC" {
            return Err(format!(
                "{:?} is not an IANA time zone name; use a name such as America/New_York",
                trimmed.chars().take(64).collect::<String>()
            ));
        }
        match jiff::tz::db().get(trimmed) {
            Ok(tz) => Ok(Self {
                name: tz.iana_name().unwrap_or(trimmed).to_string(),
                tz,
            }),
            Err(_) => Err(format!(
                "{trimmed:?} is not a known IANA time zone; use a name such as America/New_York"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &jiff::tz::TimeZone {
        &self.tz
    }
}

impl fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZoneName({})", self.name)
    }
}

impl From<TimeZoneName> for String {
    fn from(tz: TimeZoneName) -> String {
        tz.name
    }
}

/// Every zone name the bundled tz database knows, sorted, for pickers.
pub fn available_time_zones() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") || n == "UTC")
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_told() {
        let clock = TestClock::new(Timestamp::from_micros(10));
        assert_eq!(clock.now(), Timestamp::from_micros(10));
        clock.advance_secs(2);
        assert_eq!(clock.now(), Timestamp::from_micros(2_000_010));
        clock.set(Timestamp::from_micros(5));
        assert_eq!(clock.now().as_micros(), 5);
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        assert_eq!(
            TimeZoneName::parse("America/Chicago").unwrap().as_str(),
            "America/Chicago"
        );
        assert_eq!(
            TimeZoneName::parse(" Europe/Berlin ").unwrap().as_str(),
            "Europe/Berlin"
        );
        assert!(TimeZoneName::parse("UTC").is_ok());
        for bad in [
            "",
            "CST",
            "+05:00",
            "America/Springfield",
            "Mars/Olympus_Mons",
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn every_listed_zone_parses() {
        let zones = available_time_zones();
        assert!(zones.len() > 300, "only {} zones", zones.len());
        assert!(zones.iter().any(|z| z == "America/Phoenix"));
        assert!(zones.iter().all(|z| TimeZoneName::parse(z).is_ok()));
    }

    #[test]
    fn timestamps_convert_to_jiff_and_back() {
        let ts = Timestamp::from_micros(1_764_000_000_123_456);
        assert_eq!(Timestamp::from_jiff(ts.to_jiff()), ts);
        assert_eq!(ts.to_string(), "2025-11-24T16:00:00.123456Z");
    }
}
