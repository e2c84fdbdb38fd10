//! SNOMED CT codes for where a lesion sits: the skin of each body-map
//! region, and the side of the body.
//!
//! Every code below was copied from a published value set that shows the
//! code next to its display text; none was recalled from memory. The
//! sources, cited by key in the tables:
//!
//! - NZ-MO: New Zealand "NZ cancer medical oncology skin topography",
//!   <https://build.fhir.org/ig/daniel-thomson/nzhts/ValueSet-canshare-mo-skin-topography.html>
//!   (expansion on SNOMED CT NZ edition 2024-10-01).
//! - NZ-SKIN: New Zealand "NZ cancer skin topography" (reference set
//!   447551000210105),
//!   <https://build.fhir.org/ig/daniel-thomson/nzhts/ValueSet-canshare-skin-topography.html>
//!   (same edition).
//! - HL7-WOUND: HL7 Lower Extremity Skin Wound IG, woundAnatomicLocationVS,
//!   <https://build.fhir.org/ig/HL7/fhir-skin-wound-ig/ValueSet-woundAnatomicLocationVS.html>.
//! - HL7-LAT: FHIR core value set bodystructure-laterality,
//!   <https://build.fhir.org/valueset-bodystructure-laterality.html>.
//!
//! | Region      | Code      | Display                                 | Source    |
//! |-------------|-----------|-----------------------------------------|-----------|
//! | Scalp       | 43067004  | Skin structure of scalp                 | NZ-MO     |
//! | Forehead    | 68698007  | Skin structure of forehead              | NZ-MO     |
//! | Temple      | 16621002  | Skin structure of temporal region       | NZ-MO     |
//! | Eyelid      | 51360009  | Skin structure of eyelid                | NZ-SKIN   |
//! | Nose        | 113179006 | Skin structure of nose                  | NZ-MO     |
//! | Cheek       | 36141000  | Skin structure of cheek                 | NZ-MO     |
//! | Ear         | 1902009   | Skin structure of ear                   | NZ-MO     |
//! | Lip         | 88089004  | Skin structure of lip                   | NZ-MO     |
//! | Chin        | 23747009  | Skin structure of chin                  | NZ-MO     |
//! | Neck        | 43081002  | Skin structure of neck                  | NZ-MO     |
//! | Shoulder    | 76552005  | Skin structure of shoulder              | HL7-WOUND |
//! | Chest       | 74160004  | Skin structure of chest                 | NZ-MO     |
//! | Breast      | 82038008  | Skin structure of breast                | NZ-MO     |
//! | Abdomen     | 75093004  | Skin structure of abdomen               | NZ-MO     |
//! | Upper back  | 244111001 | Skin structure of upper back            | NZ-SKIN   |
//! | Lower back  | 113182001 | Skin structure of lower back            | NZ-SKIN   |
//! | Buttock     | 22180002  | Skin structure of buttock               | NZ-MO     |
//! | Upper arm   | 371309009 | Skin structure of upper arm             | HL7-WOUND |
//! | Forearm     | 5742000   | Skin structure of forearm               | NZ-MO     |
//! | Hand        | 21548009  | Skin structure of dorsal area of hand   | NZ-SKIN   |
//! | Palm        | 70887009  | Skin structure of palmar area of hand   | NZ-MO     |
//! | Finger      | 56213003  | Skin of finger                          | NZ-MO     |
//! | Thigh       | 371305003 | Skin structure of thigh                 | NZ-MO     |
//! | Knee        | 63464009  | Skin structure of knee                  | NZ-MO     |
//! | Shin        | 25763004  | Skin of anterior surface of lower leg   | NZ-SKIN   |
//! | Calf        | 51059006  | Skin structure of calf of leg           | NZ-MO     |
//! | Foot        | 22266000  | Skin structure of dorsum of foot        | NZ-SKIN   |
//! | Sole        | 37136002  | Skin structure of sole of foot          | NZ-SKIN   |
//! | Toe         | 52034004  | Skin structure of toe                   | NZ-MO     |
//! | Genitalia   | 60944009  | Skin structure of external genitalia    | NZ-SKIN   |
//!
//! | Laterality  | Code      | Display                                 | Source    |
//! |-------------|-----------|-----------------------------------------|-----------|
//! | Left        | 7771000   | Left                                    | HL7-LAT   |
//! | Right       | 24028007  | Right                                   | HL7-LAT   |
//! | Midline     | (none)    | SNOMED has no laterality for midline    |           |
//!
//! Two regions are mapped to the concept that names the body map's area
//! rather than a word-for-word match: "Shin" is the skin of the anterior
//! surface of the lower leg, and "Hand (dorsum)" is the skin of the dorsal
//! area of the hand. The displays are the New Zealand edition's preferred
//! terms where that is the source, which is why "Skin of finger" reads
//! differently from its neighbours.

use super::{Laterality, Region};

/// A SNOMED CT concept: its identifier and the display text the source
/// value set gives for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnomedCode {
    pub code: &'static str,
    pub display: &'static str,
}

impl SnomedCode {
    const fn new(code: &'static str, display: &'static str) -> SnomedCode {
        SnomedCode { code, display }
    }
}

impl Region {
    /// The SNOMED CT body structure for the skin of this region (see the
    /// module's table for each code's source).
    pub const fn snomed(self) -> SnomedCode {
        let (code, display) = match self {
            Region::Scalp => ("43067004", "Skin structure of scalp"),
            Region::Forehead => ("68698007", "Skin structure of forehead"),
            Region::Temple => ("16621002", "Skin structure of temporal region"),
            Region::Eyelid => ("51360009", "Skin structure of eyelid"),
            Region::Nose => ("113179006", "Skin structure of nose"),
            Region::Cheek => ("36141000", "Skin structure of cheek"),
            Region::Ear => ("1902009", "Skin structure of ear"),
            Region::Lip => ("88089004", "Skin structure of lip"),
            Region::Chin => ("23747009", "Skin structure of chin"),
            Region::Neck => ("43081002", "Skin structure of neck"),
            Region::Shoulder => ("76552005", "Skin structure of shoulder"),
            Region::Chest => ("74160004", "Skin structure of chest"),
            Region::Breast => ("82038008", "Skin structure of breast"),
            Region::Abdomen => ("75093004", "Skin structure of abdomen"),
            Region::UpperBack => ("244111001", "Skin structure of upper back"),
            Region::LowerBack => ("113182001", "Skin structure of lower back"),
            Region::Buttock => ("22180002", "Skin structure of buttock"),
            Region::UpperArm => ("371309009", "Skin structure of upper arm"),
            Region::Forearm => ("5742000", "Skin structure of forearm"),
            Region::Hand => ("21548009", "Skin structure of dorsal area of hand"),
            Region::Palm => ("70887009", "Skin structure of palmar area of hand"),
            Region::Finger => ("56213003", "Skin of finger"),
            Region::Thigh => ("371305003", "Skin structure of thigh"),
            Region::Knee => ("63464009", "Skin structure of knee"),
            Region::Shin => ("25763004", "Skin of anterior surface of lower leg"),
            Region::Calf => ("51059006", "Skin structure of calf of leg"),
            Region::Foot => ("22266000", "Skin structure of dorsum of foot"),
            Region::Sole => ("37136002", "Skin structure of sole of foot"),
            Region::Toe => ("52034004", "Skin structure of toe"),
            Region::Genitalia => ("60944009", "Skin structure of external genitalia"),
        };
        SnomedCode::new(code, display)
    }
}

impl Laterality {
    /// The SNOMED CT laterality qualifier for this side; `None` for the
    /// midline, because the laterality value set offers only left, right
    /// and bilateral, so a midline site is sent without a laterality.
    pub const fn snomed(self) -> Option<SnomedCode> {
        match self {
            Laterality::Left => Some(SnomedCode::new("7771000", "Left")),
            Laterality::Right => Some(SnomedCode::new("24028007", "Right")),
            Laterality::Midline => None,
        }
    }
}

// A mistyped code in the tables above must stop the build rather than
// reach a FHIR export, so every shipped code is checked at compile time.
const _: () = {
    let mut i = 0;
    while i < Region::ALL.len() {
        assert!(is_valid_concept_id(Region::ALL[i].snomed().code));
        i += 1;
    }
    let mut i = 0;
    while i < Laterality::ALL.len() {
        if let Some(side) = Laterality::ALL[i].snomed() {
            assert!(is_valid_concept_id(side.code));
        }
        i += 1;
    }
};

/// Whether `id` is a well-formed SNOMED CT concept identifier: 6 to 18
/// digits without a leading zero, a partition identifier (the second and
/// third digits from the right) of "00" (international concept) or "10"
/// (extension concept), and a correct Verhoeff check digit last.
const fn is_valid_concept_id(id: &str) -> bool {
    let digits = id.as_bytes();
    let len = digits.len();
    if len < 6 || len > 18 || digits[0] == b'0' {
        return false;
    }
    let mut i = 0;
    while i < len {
        if !digits[i].is_ascii_digit() {
            return false;
        }
        i += 1;
    }
    // The partition reads left to right, so "10" is a '1' third from the
    // right followed by a '0' second from the right.
    let partition_ok =
        digits[len - 2] == b'0' && (digits[len - 3] == b'0' || digits[len - 3] == b'1');
    partition_ok && verhoeff_ok(digits)
}

// The standard Verhoeff tables, as printed by two independent
// implementations that agree (HIISORG SNOMED-CT-PostgreSQL's Verhoeff.sql
// and the validatr gem); a test checks the position table's structure
// because a mistyped entry there still passes some codes.
// Multiplication table of the dihedral group D5.
const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
// Permutation applied to a digit according to its position from the
// right, repeating every eight positions.
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/// The Verhoeff check over ASCII digits, check digit included: true when
/// the running value ends at zero. Verhoeff catches every single-digit
/// error and every swap of adjacent digits, which is why SNOMED uses it.
const fn verhoeff_ok(digits: &[u8]) -> bool {
    let mut check = 0u8;
    let mut pos = 0;
    while pos < digits.len() {
        let digit = (digits[digits.len() - 1 - pos] - b'0') as usize;
        check = VERHOEFF_D[check as usize][VERHOEFF_P[pos % 8][digit] as usize];
        pos += 1;
    }
    check == 0
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every code shipped by this module.
    fn shipped() -> Vec<SnomedCode> {
        let regions = Region::ALL.iter().map(|r| r.snomed());
        let sides = Laterality::ALL.iter().filter_map(|l| l.snomed());
        regions.chain(sides).collect()
    }

    #[test]
    fn every_shipped_code_is_a_valid_concept_id() {
        for c in shipped() {
            assert!(is_valid_concept_id(c.code), "{} ({})", c.code, c.display);
        }
    }

    #[test]
    fn every_region_has_a_distinct_skin_code() {
        let codes: BTreeSet<&str> = Region::ALL.iter().map(|r| r.snomed().code).collect();
        assert_eq!(codes.len(), Region::ALL.len(), "two regions share a code");
        for r in Region::ALL {
            let display = r.snomed().display;
            assert!(display.starts_with("Skin"), "{r}: {display}");
        }
    }

    #[test]
    fn sourced_codes_read_back_as_published() {
        // Spot checks against the source tables, so a row edited by
        // accident (code and display swapped between regions) is noticed.
        assert_eq!(
            Region::Cheek.snomed(),
            SnomedCode::new("36141000", "Skin structure of cheek")
        );
        assert_eq!(Region::Sole.snomed().code, "37136002");
        assert_eq!(Region::Genitalia.snomed().code, "60944009");
    }

    #[test]
    fn laterality_maps_left_and_right_and_leaves_midline_out() {
        assert_eq!(
            Laterality::Left.snomed(),
            Some(SnomedCode::new("7771000", "Left"))
        );
        assert_eq!(
            Laterality::Right.snomed(),
            Some(SnomedCode::new("24028007", "Right"))
        );
        assert_eq!(Laterality::Midline.snomed(), None);
    }

    #[test]
    fn any_single_digit_change_to_a_shipped_code_is_rejected() {
        // Exhaustive rather than sampled: every position of every code,
        // replaced by each of the nine other digits.
        let mut tried = 0;
        for c in shipped() {
            for pos in 0..c.code.len() {
                for d in b'0'..=b'9' {
                    let mut bytes = c.code.as_bytes().to_vec();
                    if bytes[pos] == d {
                        continue;
                    }
                    bytes[pos] = d;
                    let mutated = String::from_utf8(bytes).unwrap();
                    assert!(!is_valid_concept_id(&mutated), "{mutated} from {}", c.code);
                    tried += 1;
                }
            }
        }
        assert!(tried > 2000, "only {tried} mutations tried");
    }

    #[test]
    fn permutation_rows_are_powers_of_the_first() {
        // Row i of the position table is the first row's permutation
        // applied i times; a mistyped entry breaks that.
        for i in 1..8 {
            for j in 0..10 {
                let via_first = VERHOEFF_P[i - 1][VERHOEFF_P[1][j] as usize];
                assert_eq!(VERHOEFF_P[i][j], via_first, "row {i}, column {j}");
            }
        }
    }

    #[test]
    fn verhoeff_accepts_published_ids_and_rejects_swaps() {
        // Identifiers printed in the NZ value set, one a reference set and
        // one an NZ extension concept, and the textbook example 236 -> 2363.
        assert!(verhoeff_ok(b"447551000210105"));
        assert!(is_valid_concept_id("466741000210107"));
        assert!(verhoeff_ok(b"2363"));
        assert!(!verhoeff_ok(b"2369"));
        // Swapping adjacent digits is the other error Verhoeff exists for.
        assert!(!is_valid_concept_id("36464009"));
        assert!(!is_valid_concept_id("34067004"));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in ["", "12345", "043067004", "4306700x", "1234567890123456789"] {
            assert!(!is_valid_concept_id(bad), "{bad:?}");
        }
        // Partition "01" marks a description id: its check digit is right
        // but it does not name a concept.
        assert!(verhoeff_ok(b"1000001012"));
        assert!(!is_valid_concept_id("1000001012"));
    }
}
