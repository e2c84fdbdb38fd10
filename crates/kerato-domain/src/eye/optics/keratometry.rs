//! Keratometry: corneal radius in millimetres and keratometric power in
//! diopters.
//!
//! Keratometers report the cornea's power with the keratometric index
//! 1.3375, which folds the back surface into one refracting surface:
//! `K (D) = (1.3375 − 1) × 1000 / r (mm) = 337.5 / r`.

/// The refractive index keratometers assume for the cornea.
pub const KERATOMETRIC_INDEX: f64 = 1.3375;

/// `(KERATOMETRIC_INDEX − 1) × 1000`, written out because 1.3375 has no
/// exact binary form and the subtraction would leave 337.49999999999994.
pub const KERATOMETRIC_CONSTANT: f64 = 337.5;

/// Radii outside 4.50–13.50 mm (75.00–25.00 D) are not corneas: steep
/// keratoconus stays below 75 D and flat post-refractive corneas above 25 D.
const MIN_RADIUS_MM: f64 = 4.5;
const MAX_RADIUS_MM: f64 = 13.5;

/// The keratometric power in diopters of a corneal radius in millimetres.
pub fn k_diopters_from_radius(radius_mm: f64) -> Result<f64, String> {
    if !(MIN_RADIUS_MM..=MAX_RADIUS_MM).contains(&radius_mm) {
        return Err(format!(
            "corneal radius {radius_mm:.2} mm is outside {MIN_RADIUS_MM:.2}–{MAX_RADIUS_MM:.2} mm"
        ));
    }
    Ok(KERATOMETRIC_CONSTANT / radius_mm)
}

/// The corneal radius in millimetres of a keratometric power in diopters.
pub fn k_radius_from_diopters(diopters: f64) -> Result<f64, String> {
    let (min, max) = (
        KERATOMETRIC_CONSTANT / MAX_RADIUS_MM,
        KERATOMETRIC_CONSTANT / MIN_RADIUS_MM,
    );
    if !(min..=max).contains(&diopters) {
        return Err(format!(
            "keratometry {diopters:.2} D is outside {min:.2}–{max:.2} D"
        ));
    }
    Ok(KERATOMETRIC_CONSTANT / diopters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways() {
        assert!((k_diopters_from_radius(7.5).unwrap() - 45.0).abs() < 1e-12);
        assert!((k_radius_from_diopters(45.0).unwrap() - 7.5).abs() < 1e-12);
        assert!((k_diopters_from_radius(7.8).unwrap() - 43.269_230_769).abs() < 1e-9);
        assert!(k_diopters_from_radius(0.0).is_err());
        assert!(k_diopters_from_radius(f64::NAN).is_err());
        assert_eq!(
            k_radius_from_diopters(90.0).unwrap_err(),
            "keratometry 90.00 D is outside 25.00–75.00 D"
        );
        assert!(((KERATOMETRIC_INDEX - 1.0) * 1000.0 - KERATOMETRIC_CONSTANT).abs() < 1e-9);
    }
}
