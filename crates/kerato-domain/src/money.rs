//! Money as integer cents with checked arithmetic.
//!
//! Floating point cannot represent cents exactly, and a decimal type has no
//! portable column type across SQLite and PostgreSQL; integer cents are exact
//! and store as an INTEGER everywhere. Overflow is an error, never a wrap.

use std::fmt;
use std::str::FromStr;

#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Money {
    cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is too large")]
    Overflow,
    #[error("{0:?} is not an amount: write dollars and cents like 125.50 or -3.05")]
    Parse(String),
}

impl Money {
    pub const ZERO: Money = Money { cents: 0 };

    pub const fn from_cents(cents: i64) -> Self {
        Self { cents }
    }

    pub const fn cents(self) -> i64 {
        self.cents
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.cents
            .checked_add(other.cents)
            .map(Money::from_cents)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.cents
            .checked_sub(other.cents)
            .map(Money::from_cents)
            .ok_or(MoneyError::Overflow)
    }

    /// The amount times a whole quantity (units, seats, days).
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        self.cents
            .checked_mul(quantity)
            .map(Money::from_cents)
            .ok_or(MoneyError::Overflow)
    }

    /// Sums amounts, failing on overflow instead of wrapping.
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// Splits the amount into `parts` shares that differ by at most a cent and
    /// add up exactly to the whole; earlier shares take the extra cents.
    pub fn allocate(self, parts: u32) -> Vec<Money> {
        if parts == 0 {
            return Vec::new();
        }
        let n = i64::from(parts);
        let base = self.cents.div_euclid(n);
        let extra = self.cents.rem_euclid(n);
        (0..n)
            .map(|i| Money::from_cents(base + i64::from(i < extra)))
            .collect()
    }

    pub fn is_negative(self) -> bool {
        self.cents < 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}${}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses `12`, `12.5`, `12.50`, `-0.05`, `$1,234.56`; at most two decimals.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = || MoneyError::Parse(input.chars().take(32).collect());
        let s = input.trim();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let s = s.strip_prefix('$').unwrap_or(s).replace(',', "");
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s.as_str(), ""),
        };
        if whole.is_empty() && frac.is_empty()
            || frac.len() > 2
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::Overflow)?
        };
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let cents = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::from_cents(if negative { -cents } else { cents }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_and_parses_dollars() {
        assert_eq!(Money::from_cents(123_456).to_string(), "$1234.56");
        assert_eq!(Money::from_cents(-5).to_string(), "-$0.05");
        assert_eq!(
            "$1,234.5".parse::<Money>().unwrap(),
            Money::from_cents(123_450)
        );
        assert_eq!(".07".parse::<Money>().unwrap(), Money::from_cents(7));
        for bad in ["", "1.234", "abc", "1.2.3", "--1", "$", "1e3"] {
            assert!(bad.parse::<Money>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(
            Money::from_cents(i64::MAX).checked_add(Money::from_cents(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_cents(i64::MAX / 2 + 1).checked_mul(2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            "99999999999999999999".parse::<Money>(),
            Err(MoneyError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(cents in -1_000_000_000_000i64..1_000_000_000_000) {
            let m = Money::from_cents(cents);
            prop_assert_eq!(m.to_string().replace('$', "").parse::<Money>().unwrap(), m);
        }

        #[test]
        fn allocation_adds_up_exactly(cents in -10_000_000i64..10_000_000, parts in 1u32..50) {
            let shares = Money::from_cents(cents).allocate(parts);
            prop_assert_eq!(shares.len(), parts as usize);
            prop_assert_eq!(Money::sum(shares.iter().copied()).unwrap(), Money::from_cents(cents));
            let max = shares.iter().max().unwrap().cents();
            let min = shares.iter().min().unwrap().cents();
            prop_assert!(max - min <= 1);
        }

        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let (a, b) = (Money::from_cents(a), Money::from_cents(b));
            prop_assert_eq!(a.checked_add(b).unwrap().checked_sub(b).unwrap(), a);
        }
    }
}
