//! The check of one exam value by the kind of its field, and its
//! canonical text: what is stored and shown, whatever was typed.

use super::FieldKind;
use crate::eye::optics::{Add, Axis, Cylinder, PdSpec, Prism, Sphere, VisualAcuity};

/// The canonical text of one value of `kind`.
pub(super) fn canonical(kind: FieldKind, raw: &str) -> Result<String, String> {
    match kind {
        FieldKind::Sphere => Sphere::parse(raw).map(|v| v.to_string()),
        FieldKind::Cylinder => Cylinder::parse(raw).map(|v| v.to_string()),
        FieldKind::Axis => Axis::parse(raw).map(|v| v.to_string()),
        FieldKind::Add => Add::parse(raw).map(|v| v.to_string()),
        FieldKind::Prism => Prism::parse(raw).map(|v| v.to_string()),
        FieldKind::Pd => PdSpec::parse(raw).map(|v| v.to_string()),
        FieldKind::Acuity => VisualAcuity::parse(raw).map(|v| v.to_string()),
        FieldKind::Pressure => bounded_integer(raw, 0, 80, "mmHg").map(|n| n.to_string()),
        FieldKind::CupDisc => hundredths(raw, 0, 100, "a ratio from 0.00 to 1.00")
            .map(|n| format!("{}.{:02}", n / 100, n % 100)),
        FieldKind::Keratometry => hundredths(raw, 3000, 6000, "30.00–60.00 D")
            .map(|n| format!("{}.{:02}", n / 100, n % 100)),
        FieldKind::BaseCurve => hundredths(raw, 700, 1000, "7.00–10.00 mm")
            .map(|n| format!("{}.{:02}", n / 100, n % 100)),
        FieldKind::Diameter => hundredths(raw, 800, 2400, "8.00–24.00 mm")
            .map(|n| format!("{}.{:02}", n / 100, n % 100)),
        FieldKind::Clock => raw
            .parse::<jiff::civil::Time>()
            .map(|t| format!("{:02}:{:02}", t.hour(), t.minute()))
            .map_err(|_| format!("{raw:?} is not a time; write HH:MM, 24-hour")),
        FieldKind::Choice(options) => options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(raw))
            .map(|o| (*o).to_string())
            .ok_or_else(|| format!("choose one of {}", options.join(", "))),
        FieldKind::Diagnoses => diagnoses(raw),
        FieldKind::Text(max) => {
            if raw.chars().count() > max {
                Err(format!("at most {max} characters"))
            } else if raw
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                Err("contains control characters".into())
            } else {
                Ok(raw.replace("\r\n", "\n"))
            }
        }
    }
}

fn bounded_integer(raw: &str, min: i64, max: i64, unit: &str) -> Result<i64, String> {
    let n: i64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a whole number of {unit}"))?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} {unit} is outside {min}–{max}"))
    }
}

/// A decimal with at most two places, as hundredths within `[min, max]`.
fn hundredths(raw: &str, min: i64, max: i64, range: &str) -> Result<i64, String> {
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !(digits(whole) || whole.is_empty() && digits(frac)) || !(frac.is_empty() || digits(frac)) {
        return Err(format!("{raw:?} is not a number; expected {range}"));
    }
    if frac.len() > 2 {
        return Err(format!("{raw} has more than two decimal places"));
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("{raw:?} is too large; expected {range}"))?
    };
    let f: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    let n = w.saturating_mul(100).saturating_add(f);
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{raw} is outside {range}"))
    }
}

/// ICD-10-CM codes: a letter, two characters (digits, or a digit and a
/// letter for a few chapters), then up to four more after a dot.
fn diagnoses(raw: &str) -> Result<String, String> {
    let mut codes = Vec::new();
    for code in raw
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let c = code.to_ascii_uppercase();
        let (head, tail) = c.split_once('.').unwrap_or((&c, ""));
        let h: Vec<char> = head.chars().collect();
        let ok = h.len() == 3
            && h[0].is_ascii_uppercase()
            && h[1].is_ascii_digit()
            && h[2].is_ascii_alphanumeric()
            && tail.len() <= 4
            && tail.chars().all(|ch| ch.is_ascii_alphanumeric())
            && !(c.contains('.') && tail.is_empty());
        if !ok {
            return Err(format!(
                "{:?} is not an ICD-10-CM code; write e.g. H52.13 or H40.1131",
                code.chars().take(20).collect::<String>()
            ));
        }
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    if codes.len() > 12 {
        return Err("at most 12 diagnoses".into());
    }
    Ok(codes.join(", "))
}
