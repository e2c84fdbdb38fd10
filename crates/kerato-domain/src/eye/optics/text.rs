//! Text handling shared by the optics parsers: what clinicians type is
//! normalised once here so every value accepts the same spellings.

/// The longest number any optics parser looks at. Anything longer is a paste
/// accident, and refusing it keeps messages short.
const MAX_NUMBER_CHARS: usize = 32;

/// Trims the input and turns the minus and plus signs that word processors,
/// phones and PDF copies produce into ASCII, so `−2.25` reads as `-2.25`.
pub(crate) fn normalize(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '\u{2212}' | '\u{2012}' | '\u{2013}' | '\u{FE63}' | '\u{FF0D}' => '-',
            '\u{FE62}' | '\u{FF0B}' => '+',
            other => other,
        })
        .collect()
}

/// The input as quoted back in a message: trimmed, and cut short so a pasted
/// paragraph cannot flood the form.
pub(crate) fn shown(text: &str) -> String {
    text.trim().chars().take(24).collect()
}

/// Why a decimal could not be scaled to a fixed-point integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScaleError {
    /// It has more decimals than the unit can hold, so it is off every step.
    TooPrecise,
    /// It does not fit; it is outside every range the parsers accept.
    TooLarge,
}

/// A decimal number as typed: an optional sign, digits, and an optional
/// fraction after `.` or `,` (European keyboards type a comma).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    pub negative: bool,
    /// Whether a sign was typed at all; an unsigned cylinder is ambiguous.
    pub signed: bool,
    pub whole: String,
    pub frac: String,
    /// Whether a decimal point was typed; `-225` and `-2.25` differ in meaning.
    pub point: bool,
}

/// Reads `[+-] digits [.,] digits`, with spaces allowed after the sign.
pub(crate) fn decimal(text: &str) -> Option<Decimal> {
    let s = text.trim();
    if s.len() > MAX_NUMBER_CHARS {
        return None;
    }
    let (negative, signed, rest) = if let Some(rest) = s.strip_prefix('-') {
        (true, true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, true, rest)
    } else {
        (false, false, s)
    };
    let rest = rest.trim_start();
    let (whole, frac, point) = match rest.find(['.', ',']) {
        Some(i) => (&rest[..i], &rest[i + 1..], true),
        None => (rest, "", false),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    Some(Decimal {
        negative,
        signed,
        whole: whole.to_string(),
        frac: frac.to_string(),
        point,
    })
}

impl Decimal {
    /// Reads digits typed without a point as hundredths when there are three
    /// or more of them: clinicians type `-225` for -2.25 and `+150` for +1.50.
    pub fn hundredths_shorthand(self) -> Self {
        if self.point || self.whole.len() < 3 {
            return self;
        }
        let cut = self.whole.len() - 2;
        Decimal {
            whole: self.whole[..cut].to_string(),
            frac: self.whole[cut..].to_string(),
            point: true,
            ..self
        }
    }

    /// The magnitude in units of 10^-`places` (thousandths for `places` 3).
    pub fn scaled(&self, places: u32) -> Result<u64, ScaleError> {
        let frac = self.frac.trim_end_matches('0');
        let whole = self.whole.trim_start_matches('0');
        if frac.len() > places as usize {
            return Err(ScaleError::TooPrecise);
        }
        let parse = |t: &str| -> Result<u64, ScaleError> {
            if t.is_empty() {
                Ok(0)
            } else {
                t.parse::<u64>().map_err(|_| ScaleError::TooLarge)
            }
        };
        // The fraction has at most `places` digits, so the padding exponent
        // cannot underflow.
        let frac_units = parse(frac)? * 10u64.pow(places - frac.len() as u32);
        parse(whole)?
            .checked_mul(10u64.pow(places))
            .and_then(|w| w.checked_add(frac_units))
            .ok_or(ScaleError::TooLarge)
    }

    /// Whether the number is a whole number (no non-zero decimals).
    pub fn is_whole(&self) -> bool {
        self.frac.trim_end_matches('0').is_empty()
    }

    /// The number tidied for a message: the sign only as typed, leading
    /// zeros dropped, and at least `min_places` decimals.
    pub fn shown(&self, min_places: usize) -> String {
        let whole = match self.whole.trim_start_matches('0') {
            "" => "0",
            w => w,
        };
        let mut frac = self.frac.trim_end_matches('0').to_string();
        while frac.len() < min_places {
            frac.push('0');
        }
        let sign = match (self.negative, self.signed) {
            (true, _) => "-",
            (false, true) => "+",
            (false, false) => "",
        };
        if frac.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{frac}")
        }
    }
}

/// The fraction digits of `rem` units of 10^-`places`: zero-padded to
/// `places`, then trailing zeros dropped down to `min_places` digits.
pub(crate) fn frac_digits(rem: u64, places: u32, min_places: usize) -> String {
    let mut frac = format!("{rem:0width$}", width = places as usize);
    while frac.len() > min_places && frac.ends_with('0') {
        frac.pop();
    }
    frac
}

/// Formats `value` units of 10^-`places` as a decimal with at least
/// `min_places` decimals and no trailing zeros beyond them.
pub(crate) fn fixed(value: u64, places: u32, min_places: usize) -> String {
    let per = 10u64.pow(places);
    let frac = frac_digits(value % per, places, min_places);
    if frac.is_empty() {
        (value / per).to_string()
    } else {
        format!("{}.{frac}", value / per)
    }
}

/// Strips `word` from the start of `s` when it is a whole word: what follows
/// is empty or does not continue the word with a letter.
pub(crate) fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(word)?;
    match rest.chars().next() {
        Some(c) if c.is_alphabetic() => None,
        _ => Some(rest.trim_start()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_as_typed() {
        let d = decimal("- 2.250").unwrap();
        assert!(d.negative && d.signed && d.point);
        assert_eq!(d.scaled(3), Ok(2250));
        assert_eq!(d.shown(2), "-2.25");
        assert_eq!(decimal(".25").unwrap().scaled(3), Ok(250));
        assert_eq!(decimal("2,5").unwrap().scaled(1), Ok(25));
        assert_eq!(
            decimal("-225").unwrap().hundredths_shorthand().scaled(3),
            Ok(2250)
        );
        assert_eq!(
            decimal("2.1234").unwrap().scaled(3),
            Err(ScaleError::TooPrecise)
        );
        assert_eq!(
            decimal("99999999999999999999").unwrap().scaled(3),
            Err(ScaleError::TooLarge)
        );
        for bad in ["", ".", "+", "1.2.3", "1e3", "abc", "--1", "1-"] {
            assert!(decimal(bad).is_none(), "{bad} accepted");
        }
        assert_eq!(fixed(1250, 3, 2), "1.25");
        assert_eq!(fixed(1000, 3, 1), "1.0");
        assert_eq!(fixed(125, 3, 1), "0.125");
        assert_eq!(normalize(" \u{2212}2.25 "), "-2.25");
        assert_eq!(strip_word("cf 3ft", "cf"), Some("3ft"));
        assert_eq!(strip_word("cfx", "cf"), None);
    }
}
