//! The identifiers a US provider bills and prescribes under: the National
//! Provider Identifier and the NUCC health care provider taxonomy code.

use std::fmt;

/// A National Provider Identifier: ten digits whose last is a Luhn check
/// digit computed over the number prefixed with 80840 (the NPI's ISO issuer
/// prefix), as CMS's NPI check-digit standard sets out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Npi(String);

impl Npi {
    /// Reads an NPI as people type it: spaces and dashes between the digits
    /// are dropped.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("an NPI is 10 digits; copy it from the NPPES registry".into());
        }
        if !luhn_valid(&format!("80840{digits}")) {
            return Err(
                "that NPI's check digit is wrong: a digit was mistyped; copy it from the NPPES registry"
                    .into(),
            );
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Npi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Luhn (mod 10) check over a string of ASCII digits.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A NUCC health care provider taxonomy code, such as `207N00000X`
/// (dermatology): three digits, six digits or capital letters, then `X`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxonomyCode(String);

impl TaxonomyCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        let ok = b.len() == 10
            && b[..3].iter().all(u8::is_ascii_digit)
            && b[3..9]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[9] == b'X';
        if ok {
            Ok(Self(code))
        } else {
            Err("a taxonomy code is 10 characters ending in X, such as 207N00000X for dermatology or 152W00000X for optometry".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The NUCC name of the code, when it is one the practices Kerato serves
    /// commonly use.
    pub fn label(&self) -> Option<&'static str> {
        COMMON_TAXONOMIES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, label)| *label)
    }
}

impl fmt::Display for TaxonomyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The taxonomy codes of the people who see patients in a dermatology or
/// eye care practice or an optical shop, offered as a list; any valid code
/// may still be typed. From the NUCC Health Care Provider Taxonomy code set.
pub const COMMON_TAXONOMIES: &[(&str, &str)] = &[
    ("207N00000X", "Dermatology"),
    ("207ND0101X", "Dermatology, MOHS-Micrographic Surgery"),
    ("207ND0900X", "Dermatology, Dermatopathology"),
    ("207NS0135X", "Dermatology, Procedural Dermatology"),
    ("207W00000X", "Ophthalmology"),
    ("152W00000X", "Optometrist"),
    ("152WC0802X", "Optometrist, Corneal and Contact Management"),
    ("156FX1800X", "Optician"),
    ("363A00000X", "Physician Assistant"),
    ("363L00000X", "Nurse Practitioner"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_valid_npis_and_refuses_wrong_check_digits() {
        // CMS's worked example and two check-digit-valid numbers.
        for ok in ["1234567893", "1245319599", "1234-567-893", " 1234 567 893 "] {
            assert!(Npi::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Npi::parse("1234-567-893").unwrap().as_str(), "1234567893");
        assert!(
            Npi::parse("1234567890")
                .unwrap_err()
                .contains("check digit")
        );
        for bad in ["123456789", "12345678931", "12345678a3", ""] {
            assert!(Npi::parse(bad).unwrap_err().contains("10 digits"), "{bad}");
        }
    }

    #[test]
    fn reads_taxonomy_codes() {
        assert_eq!(
            TaxonomyCode::parse(" 207n00000x ").unwrap().as_str(),
            "207N00000X"
        );
        assert_eq!(
            TaxonomyCode::parse("156FX1800X").unwrap().label(),
            Some("Optician")
        );
        for bad in ["207N00000", "207N00000Y", "20XN00000X", "207N0000-X"] {
            assert!(TaxonomyCode::parse(bad).is_err(), "{bad}");
        }
        for (code, _) in COMMON_TAXONOMIES {
            assert!(TaxonomyCode::parse(code).is_ok(), "{code}");
        }
    }

    proptest! {
        /// Exactly one check digit completes any nine digits, and changing
        /// any one digit of a valid NPI makes it invalid.
        #[test]
        fn one_check_digit_per_number(body in "[0-9]{9}", pos in 0usize..10, delta in 1u8..10) {
            let valid: Vec<String> = (0..10)
                .map(|d| format!("{body}{d}"))
                .filter(|n| Npi::parse(n).is_ok())
                .collect();
            prop_assert_eq!(valid.len(), 1);
            let mut bytes = valid[0].clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Npi::parse(&changed).is_err());
        }
    }
}
