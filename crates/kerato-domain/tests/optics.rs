//! Acceptance tests for the optics module: what clinicians type (accepted
//! and refused, with the exact message), and properties of the calculators
//! and of every value's parse/format round trip.

// A failed unwrap in a test helper or strategy is a test failure with its
// location; that is the point.
#![allow(clippy::unwrap_used)]

use kerato_domain::eye::optics::*;
use proptest::prelude::*;

/// Which parser a table row exercises.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Sphere,
    /// A sphere for a lab that takes eighth steps.
    Sphere8,
    Cylinder,
    Add,
    /// An add asked for in eighths, which adds never allow.
    Add8,
    Axis,
    Refraction,
    Prism,
    Pd,
    MonocularPd,
    Vertex,
    Acuity,
}

/// Parses `text` as `kind` and returns the canonical form.
fn canonical(kind: Kind, text: &str) -> Result<String, String> {
    match kind {
        Kind::Sphere => Sphere::parse(text).map(|v| v.to_string()),
        Kind::Sphere8 => Sphere::parse_with(text, Step::Eighth).map(|v| v.to_string()),
        Kind::Cylinder => Cylinder::parse(text).map(|v| v.to_string()),
        Kind::Add => Add::parse(text).map(|v| v.to_string()),
        Kind::Add8 => Add::parse_with(text, Step::Eighth).map(|v| v.to_string()),
        Kind::Axis => Axis::parse(text).map(|v| v.to_string()),
        Kind::Refraction => Refraction::parse(text).map(|v| v.to_string()),
        Kind::Prism => Prism::parse(text).map(|v| v.to_string()),
        Kind::Pd => PdSpec::parse(text).map(|v| v.to_string()),
        Kind::MonocularPd => MonocularPd::parse(text).map(|v| v.to_string()),
        Kind::Vertex => VertexDistance::parse(text).map(|v| v.to_string()),
        Kind::Acuity => VisualAcuity::parse(text).map(|v| v.to_string()),
    }
}

const VALID: &[(Kind, &str, &str)] = &[
    (Kind::Sphere, "-2.25", "-2.25"),
    (Kind::Sphere, "-225", "-2.25"),
    (Kind::Sphere, "+150", "+1.50"),
    (Kind::Sphere, "pl", "plano"),
    (Kind::Sphere, "plano", "plano"),
    (Kind::Sphere, "PL", "plano"),
    (Kind::Sphere, "0", "plano"),
    (Kind::Sphere, "0.00", "plano"),
    (Kind::Sphere, "-0.00", "plano"),
    (Kind::Sphere, "+1.5", "+1.50"),
    (Kind::Sphere, ".25", "+0.25"),
    (Kind::Sphere, "-.75", "-0.75"),
    (Kind::Sphere, "+2", "+2.00"),
    (Kind::Sphere, "12", "+12.00"),
    (Kind::Sphere, "  -2.25  ", "-2.25"),
    (Kind::Sphere, "\u{2212}2.25", "-2.25"),
    (Kind::Sphere, "- 4.50", "-4.50"),
    (Kind::Sphere, "-1000", "-10.00"),
    (Kind::Sphere, "-2.00 DS", "-2.00"),
    (Kind::Sphere, "+3.25D", "+3.25"),
    (Kind::Sphere, "-2,50", "-2.50"),
    (Kind::Sphere, "+30.00", "+30.00"),
    (Kind::Sphere8, "-2.12", "-2.125"),
    (Kind::Sphere8, "-2.125", "-2.125"),
    (Kind::Sphere8, "+0.37", "+0.375"),
    (Kind::Sphere8, "-212", "-2.125"),
    (Kind::Sphere8, "+5.87", "+5.875"),
    (Kind::Sphere8, "-2.25", "-2.25"),
    (Kind::Cylinder, "-0.75", "-0.75"),
    (Kind::Cylinder, "+1.25", "+1.25"),
    (Kind::Cylinder, "DS", "plano"),
    (Kind::Cylinder, "-075", "-0.75"),
    (Kind::Cylinder, "-1.50 DC", "-1.50"),
    (Kind::Cylinder, "0", "plano"),
    (Kind::Add, "+2.00", "+2.00"),
    (Kind::Add, "2.5", "+2.50"),
    (Kind::Add, "add +1.75", "+1.75"),
    (Kind::Add, "+250", "+2.50"),
    (Kind::Add, "+.75", "+0.75"),
    (Kind::Axis, "180", "180"),
    (Kind::Axis, "0", "180"),
    (Kind::Axis, "x90", "090"),
    (Kind::Axis, "\u{00D7} 013", "013"),
    (Kind::Axis, "45\u{00B0}", "045"),
    (Kind::Axis, "@5", "005"),
    (Kind::Refraction, "-2.00 -0.75 x 180", "-2.00 -0.75 x 180"),
    (Kind::Refraction, "-2.00/-0.75x180", "-2.00 -0.75 x 180"),
    (Kind::Refraction, "-2.00-0.75x180", "-2.00 -0.75 x 180"),
    (
        Kind::Refraction,
        "pl -0.50 \u{00D7} 90",
        "plano -0.50 x 090",
    ),
    (Kind::Refraction, "-2.00 -0.75 180", "-2.00 -0.75 x 180"),
    (Kind::Refraction, "+1.50 sph", "+1.50 DS"),
    (Kind::Refraction, "-4.25 DS", "-4.25 DS"),
    (Kind::Refraction, "plano", "plano DS"),
    (
        Kind::Refraction,
        "\u{2212}3.25 \u{2212}1.25 x 5",
        "-3.25 -1.25 x 005",
    ),
    (Kind::Refraction, "-200 -075 x 90", "-2.00 -0.75 x 090"),
    (Kind::Refraction, "+2 +1 x 0", "+2.00 +1.00 x 180"),
    (Kind::Refraction, "-1.00D -0.50D @ 45", "-1.00 -0.50 x 045"),
    (Kind::Prism, "2 BI", "2.00 BI"),
    (Kind::Prism, "1.5\u{0394} BU", "1.50 BU"),
    (Kind::Prism, "0.5^bd", "0.50 BD"),
    (Kind::Prism, "3 base out", "3.00 BO"),
    (Kind::Prism, "2 pd BO", "2.00 BO"),
    (Kind::Prism, "2.5 @ 37", "2.50 @ 037"),
    (Kind::Prism, "3 base 360", "3.00 @ 000"),
    (Kind::Prism, "1.25 B 225\u{00B0}", "1.25 @ 225"),
    (Kind::Pd, "63.5", "63.5"),
    (Kind::Pd, "32/31.5", "32.0/31.5"),
    (Kind::Pd, "62 mm", "62.0"),
    (Kind::MonocularPd, "30,5", "30.5"),
    (Kind::Vertex, "12", "12.0"),
    (Kind::Vertex, "13.75mm", "13.75"),
    (Kind::Acuity, "20/20", "20/20"),
    (Kind::Acuity, "20/25-2", "20/25-2"),
    (Kind::Acuity, "20/40+1", "20/40+1"),
    (Kind::Acuity, "20/25 -2", "20/25-2"),
    (Kind::Acuity, "6/6", "6/6"),
    (Kind::Acuity, "6/7.5", "6/7.5"),
    (Kind::Acuity, "10/200", "10/200"),
    (Kind::Acuity, "5/200 ft", "5/200 ft"),
    (Kind::Acuity, "1.0", "1.0"),
    (Kind::Acuity, "0,5", "0.5"),
    (Kind::Acuity, ".63", "0.63"),
    (Kind::Acuity, "85 letters", "85 letters"),
    (Kind::Acuity, "ETDRS 70", "70 letters"),
    (Kind::Acuity, "55L", "55 letters"),
    (Kind::Acuity, "CF", "CF"),
    (Kind::Acuity, "CF 3ft", "CF 3ft"),
    (Kind::Acuity, "count fingers at 1 m", "CF 1m"),
    (Kind::Acuity, "CF @ 2'", "CF 2ft"),
    (Kind::Acuity, "HM", "HM"),
    (Kind::Acuity, "hand motion 50 cm", "HM 50cm"),
    (Kind::Acuity, "LP", "LP"),
    (Kind::Acuity, "light perception", "LP"),
    (Kind::Acuity, "PL", "LP"),
    (Kind::Acuity, "NLP", "NLP"),
    (Kind::Acuity, "cc 20/25-2", "cc 20/25-2"),
    (Kind::Acuity, "20/40 sc", "sc 20/40"),
    (Kind::Acuity, "PH: 20/30", "ph 20/30"),
    (Kind::Acuity, "CL 6/9", "cl 6/9"),
];

const INVALID: &[(Kind, &str, &str)] = &[
    (Kind::Sphere, "-2.13", "sphere -2.13 is not in 0.25 D steps"),
    (Kind::Sphere, "-213", "sphere -2.13 is not in 0.25 D steps"),
    (Kind::Sphere, "-2.12", "sphere -2.12 is not in 0.25 D steps"),
    (
        Kind::Sphere,
        "-2.1234",
        "sphere -2.1234 is not in 0.25 D steps",
    ),
    (
        Kind::Sphere,
        "abc",
        "abc is not a power; type e.g. -2.25, +1.50 or pl",
    ),
    (
        Kind::Sphere,
        "1e3",
        "1e3 is not a power; type e.g. -2.25, +1.50 or pl",
    ),
    (
        Kind::Sphere,
        "--2",
        "--2 is not a power; type e.g. -2.25, +1.50 or pl",
    ),
    (
        Kind::Sphere,
        "-2.5.0",
        "-2.5.0 is not a power; type e.g. -2.25, +1.50 or pl",
    ),
    (
        Kind::Sphere,
        "",
        "enter the sphere, e.g. -2.25, +1.50 or pl",
    ),
    (
        Kind::Sphere,
        "+35.00",
        "sphere +35.00 is outside -30.00 to +30.00 D",
    ),
    (
        Kind::Sphere,
        "-30.25",
        "sphere -30.25 is outside -30.00 to +30.00 D",
    ),
    (
        Kind::Sphere,
        "99999",
        "sphere 999.99 is outside -30.00 to +30.00 D",
    ),
    (
        Kind::Sphere8,
        "-2.13",
        "sphere -2.13 is not in 0.125 D steps",
    ),
    (
        Kind::Cylinder,
        "0.75",
        "cylinder 0.75 needs a sign: type -0.75 or +0.75",
    ),
    (
        Kind::Cylinder,
        "-16",
        "cylinder -16.00 is outside -15.00 to +15.00 D",
    ),
    (
        Kind::Cylinder,
        "-0.80",
        "cylinder -0.80 is not in 0.25 D steps",
    ),
    (
        Kind::Cylinder,
        "xyz",
        "xyz is not a power; type e.g. -0.75, +1.25 or DS",
    ),
    (
        Kind::Add,
        "-1.00",
        "add -1.00 is not a plus power; an add is +0.25 to +6.00 D",
    ),
    (
        Kind::Add,
        "pl",
        "an add of plano is no add; leave it empty for single-vision lenses",
    ),
    (Kind::Add, "+7.00", "add +7.00 is outside +0.25 to +6.00 D"),
    (Kind::Add, "+2.12", "add +2.12 is not in 0.25 D steps"),
    (Kind::Add8, "+2.12", "add +2.12 is not in 0.25 D steps"),
    (Kind::Axis, "181", "axis 181 is outside 1–180"),
    (Kind::Axis, "-5", "axis -5 is outside 1–180"),
    (
        Kind::Axis,
        "12.5",
        "axis 12.5 is not a whole number of degrees",
    ),
    (
        Kind::Axis,
        "abc",
        "abc is not an axis; type whole degrees, 1–180",
    ),
    (Kind::Axis, "", "enter the axis, 1–180 degrees"),
    (
        Kind::Refraction,
        "-2.00 -1.25",
        "axis is required when cylinder is -1.25",
    ),
    (
        Kind::Refraction,
        "-2.00 DS x 90",
        "axis given without cylinder",
    ),
    (
        Kind::Refraction,
        "-2.00 x 90",
        "axis given without cylinder",
    ),
    (
        Kind::Refraction,
        "-29.00 -2.00 x 180",
        "sphere -29.00 with cylinder -2.00 makes -31.00 in the other meridian, outside -30.00 to +30.00 D",
    ),
    (
        Kind::Refraction,
        "-2.00 -0.75 x 181",
        "axis 181 is outside 1–180",
    ),
    (
        Kind::Refraction,
        "-2.00 -0.75 x 90 x 90",
        "write a refraction as sphere, cylinder and axis, e.g. -2.00 -0.75 x 180",
    ),
    (
        Kind::Refraction,
        "-2.13 -0.80 x 90",
        "sphere -2.13 is not in 0.25 D steps; cylinder -0.80 is not in 0.25 D steps",
    ),
    (
        Kind::Refraction,
        "-2.00 0.75 x 90",
        "cylinder 0.75 needs a sign: type -0.75 or +0.75",
    ),
    (
        Kind::Prism,
        "2",
        "prism 2.00 needs a base: BI, BO, BU, BD or a direction such as @ 045",
    ),
    (Kind::Prism, "0.3 BI", "prism 0.30 is not in 0.25 Δ steps"),
    (
        Kind::Prism,
        "45 BO",
        "prism 45.00 is outside 0.25 to 40.00 Δ",
    ),
    (
        Kind::Prism,
        "2 BX",
        "bx is not a prism base; use BI, BO, BU, BD or a direction such as @ 045",
    ),
    (Kind::Prism, "2 @ 400", "prism base 400 is outside 0–360°"),
    (
        Kind::Prism,
        "0 BI",
        "a prism of 0 is no prism; leave the prism empty",
    ),
    (
        Kind::Prism,
        "BI",
        "BI is not a prism; type an amount and base, e.g. 2 BI, 1.5 BU or 2.5 @ 037",
    ),
    (Kind::Pd, "90", "PD 90.0 is outside 40.0–80.0 mm"),
    (Kind::Pd, "63.3", "PD 63.3 is not in 0.5 mm steps"),
    (
        Kind::Pd,
        "32/45",
        "left monocular PD 45.0 is outside 20.0–40.0 mm",
    ),
    (
        Kind::Pd,
        "sixty",
        "sixty is not a PD; type millimetres, e.g. 63.5, or 32/31.5 for right/left",
    ),
    (
        Kind::MonocularPd,
        "45",
        "monocular PD 45.0 is outside 20.0–40.0 mm",
    ),
    (
        Kind::Vertex,
        "30",
        "vertex distance 30.0 is outside 5–25 mm",
    ),
    (
        Kind::Vertex,
        "12.3",
        "vertex distance 12.3 is not in 0.25 mm steps",
    ),
    (
        Kind::Acuity,
        "20/25-7",
        "partial-line modifier -7 is outside 1–5 letters",
    ),
    (
        Kind::Acuity,
        "20/25-",
        "write how many letters after -, e.g. 20/25-2 or 20/40+1",
    ),
    (
        Kind::Acuity,
        "101 letters",
        "ETDRS score 101 is outside 0–100 letters",
    ),
    (
        Kind::Acuity,
        "85",
        "85 is ambiguous: write 85 letters for an ETDRS score, a fraction such as 20/40, or a decimal with a point such as 1.0",
    ),
    (
        Kind::Acuity,
        "3.0",
        "decimal acuity 3.0 is outside 0.01–2.5",
    ),
    (
        Kind::Acuity,
        "0.1234",
        "decimal acuity 0.1234 has more than 3 decimals",
    ),
    (
        Kind::Acuity,
        "CF 30ft",
        "test distance 30ft is outside 0.5–20ft",
    ),
    (
        Kind::Acuity,
        "CF 3",
        "give the test distance 3 a unit, e.g. 3ft, 1m or 50cm",
    ),
    (
        Kind::Acuity,
        "20/5000",
        "Snellen denominator 5000 is outside 1–2000 ft",
    ),
    (
        Kind::Acuity,
        "50/20",
        "Snellen test distance 50 ft is outside 1–40 ft",
    ),
    (
        Kind::Acuity,
        "blurry",
        "blurry is not a visual acuity; type e.g. 20/40, 6/12, 0.5, 85 letters, CF, HM, LP or NLP",
    ),
];

#[test]
fn clinician_spellings_are_accepted() {
    assert!(VALID.len() >= 40, "{} valid rows", VALID.len());
    let mut failures = Vec::new();
    for (kind, input, expected) in VALID {
        match canonical(*kind, input) {
            Ok(got) if got == *expected => {
                // The canonical form must itself read back to itself.
                let again = canonical(*kind, &got);
                if again.as_deref() != Ok(expected) {
                    failures.push(format!("{kind:?} {got:?} reparsed as {again:?}"));
                }
            }
            other => failures.push(format!(
                "{kind:?} {input:?}: expected {expected:?}, got {other:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn impossible_values_are_refused_with_a_reason() {
    assert!(INVALID.len() >= 40, "{} invalid rows", INVALID.len());
    let mut failures = Vec::new();
    for (kind, input, expected) in INVALID {
        match canonical(*kind, input) {
            Err(message) if message == *expected => {}
            other => failures.push(format!(
                "{kind:?} {input:?}: expected Err({expected:?}), got {other:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn form_fields_name_the_field_at_fault() {
    let input = RefractionInput {
        sphere: "-2.00".into(),
        cylinder: "-1.25".into(),
        axis: String::new(),
    };
    let err = input.validate(Step::Quarter).unwrap_err();
    assert_eq!(
        err.for_field("axis"),
        Some("axis is required when cylinder is -1.25")
    );
    let input = RefractionInput {
        sphere: "-2.00".into(),
        cylinder: String::new(),
        axis: "90".into(),
    };
    let err = input.validate(Step::Quarter).unwrap_err();
    assert_eq!(err.for_field("axis"), Some("axis given without cylinder"));
    let input = RefractionInput {
        sphere: "abc".into(),
        cylinder: "-16".into(),
        axis: "200".into(),
    };
    let err = input.validate(Step::Quarter).unwrap_err();
    let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["sphere", "cylinder", "axis"]);
}

#[test]
fn serde_uses_the_canonical_strings() {
    let rx = Refraction::parse("-2.00 -0.75 x 5").unwrap();
    assert_eq!(serde_json::to_string(&rx).unwrap(), "\"-2.00 -0.75 x 005\"");
    assert_eq!(serde_json::to_string(&rx.axis()).unwrap(), "5");
    let pd = PupillaryDistance {
        distance: PdSpec::parse("32/31.5").unwrap(),
        near: Some(PdSpec::parse("60").unwrap()),
    };
    assert_eq!(
        serde_json::to_string(&pd).unwrap(),
        r#"{"distance":"32.0/31.5","near":"60.0"}"#
    );
    // An eighth-step lab value saved earlier loads again.
    let stored: Sphere = serde_json::from_str("\"-2.125\"").unwrap();
    assert_eq!(stored.power(), Diopters::from_eighths(-17));
    let err = serde_json::from_str::<Axis>("181").unwrap_err();
    assert!(
        err.to_string().contains("axis 181 is outside 1–180"),
        "{err}"
    );
    assert!(serde_json::from_str::<Sphere>("\"-31.00\"").is_err());
    assert_eq!(serde_json::to_string(&Eye::Left).unwrap(), "\"os\"");
}

#[test]
fn transposition_handles_every_axis_quadrant() {
    // One online calculator uses 180 − axis; the correct rule is ±90.
    for (from, to) in [
        (1, 91),
        (45, 135),
        (89, 179),
        (90, 180),
        (91, 1),
        (135, 45),
        (179, 89),
        (180, 90),
    ] {
        let rx = Refraction::parse(&format!("-1.00 -1.00 x {from}")).unwrap();
        assert_eq!(
            rx.transposed().axis().map(Axis::degrees),
            Some(to),
            "axis {from}"
        );
    }
}

fn sphere_quarters() -> impl Strategy<Value = i32> {
    -120i32..=120
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![Just(Step::Quarter), Just(Step::Eighth)]
}

/// Any valid refraction in the given step.
fn refraction(step: Step) -> impl Strategy<Value = Refraction> {
    let unit = step.sixteenths();
    let per_diopter = 16 / unit;
    let (s, c) = (30 * per_diopter, 15 * per_diopter);
    ((-s..=s), (-c..=c), 1u16..=180).prop_filter_map("meridian out of range", move |(s, c, a)| {
        let sphere = Sphere::new(Diopters::from_sixteenths(s * unit), step).ok()?;
        let cylinder = Cylinder::new(Diopters::from_sixteenths(c * unit), step).ok()?;
        let axis = if c == 0 {
            None
        } else {
            Some(Axis::new(a).ok()?)
        };
        Refraction::new(sphere, cylinder, axis).ok()
    })
}

fn any_refraction() -> impl Strategy<Value = (Refraction, Step)> {
    prop_oneof![
        refraction(Step::Quarter).prop_map(|r| (r, Step::Quarter)),
        refraction(Step::Eighth).prop_map(|r| (r, Step::Eighth)),
    ]
}

fn prism() -> impl Strategy<Value = Prism> {
    let base = prop_oneof![
        Just(PrismBase::In),
        Just(PrismBase::Out),
        Just(PrismBase::Up),
        Just(PrismBase::Down),
        (0u16..360).prop_map(|d| PrismBase::Angle(BaseAngle::new(d).unwrap())),
    ];
    (1u16..=160, base)
        .prop_map(|(q, base)| Prism::new(PrismAmount::from_quarters(q).unwrap(), base))
}

fn distance() -> impl Strategy<Value = Option<TestDistance>> {
    let unit = prop_oneof![
        Just(DistanceUnit::Feet),
        Just(DistanceUnit::Metres),
        Just(DistanceUnit::Centimetres),
    ];
    proptest::option::of(
        (unit, 0u16..=6000).prop_filter_map("out of range", |(u, n)| TestDistance::new(n, u).ok()),
    )
}

fn acuity() -> impl Strategy<Value = Acuity> {
    let unit = prop_oneof![Just(SnellenUnit::Feet), Just(SnellenUnit::Metres)];
    prop_oneof![
        (unit, 0u16..=400, 0u16..=20000, -5i8..=5)
            .prop_filter_map("out of range", |(u, n, d, l)| Snellen::new(u, n, d, l)
                .ok()
                .map(Acuity::Snellen)),
        (10u16..=2500).prop_map(|n| Acuity::Decimal(DecimalAcuity::from_thousandths(n).unwrap())),
        (0u16..=100).prop_map(|n| Acuity::Letters(EtdrsLetters::new(n).unwrap())),
        distance().prop_map(Acuity::CountFingers),
        distance().prop_map(Acuity::HandMotion),
        Just(Acuity::LightPerception),
        Just(Acuity::NoLightPerception),
    ]
}

fn visual_acuity() -> impl Strategy<Value = VisualAcuity> {
    let correction = proptest::option::of(proptest::sample::select(Correction::ALL.to_vec()));
    (correction, acuity()).prop_map(|(correction, acuity)| VisualAcuity { correction, acuity })
}

/// Serialises to JSON and back.
fn json<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn transposing_twice_is_the_identity((rx, _) in any_refraction()) {
        prop_assert_eq!(rx.transposed().transposed(), rx);
        let flipped = rx.transposed();
        prop_assert_eq!(flipped.cylinder().power(), rx.cylinder().power().saturating_neg());
        prop_assert_eq!(rx.to_minus_cylinder().to_minus_cylinder(), rx.to_minus_cylinder());
        prop_assert!(rx.to_minus_cylinder().cylinder().power() <= Diopters::PLANO);
        prop_assert!(rx.to_plus_cylinder().cylinder().power() >= Diopters::PLANO);
    }

    #[test]
    fn spherical_equivalent_survives_transposition((rx, _) in any_refraction()) {
        prop_assert_eq!(rx.spherical_equivalent(), rx.transposed().spherical_equivalent());
        let exact = rx.sphere().power().as_f64() + rx.cylinder().power().as_f64() / 2.0;
        prop_assert_eq!(rx.spherical_equivalent().as_f64(), exact);
    }

    #[test]
    fn meridians_survive_transposition((rx, _) in any_refraction()) {
        let mut a = rx.principal_meridians().map(|m| (m.axis, m.power));
        let mut b = rx.transposed().principal_meridians().map(|m| (m.axis, m.power));
        a.sort();
        b.sort();
        if !rx.cylinder().power().is_plano() {
            prop_assert_eq!(a, b);
        }
        prop_assert_eq!(
            a[0].1.sixteenths() + a[1].1.sixteenths(),
            2 * rx.spherical_equivalent().sixteenths()
        );
    }

    #[test]
    fn vertex_conversion_matches_the_formula(q in sphere_quarters(), mm in 20u16..=100) {
        let power = Diopters::from_quarters(q);
        let distance = VertexDistance::from_quarter_mm(mm).unwrap();
        let f = f64::from(q) / 4.0;
        let d = f64::from(mm) / 4000.0;
        let exact = vertex_convert(power, distance).unwrap();
        prop_assert!((exact - f / (1.0 - d * f)).abs() <= 1e-12 * exact.abs().max(1.0));
        // Moving the contact-lens power back out to the spectacle plane
        // gives the spectacle power.
        prop_assert!((exact / (1.0 + d * exact) - f).abs() < 1e-9);
        let rounded = Diopters::nearest(exact, Step::Quarter).unwrap();
        prop_assert!((rounded.as_f64() - exact).abs() <= 0.125 + 1e-12);
        prop_assert!(rounded.is_on_step(Step::Quarter));
        prop_assert_eq!(needs_vertex_compensation(power), q.abs() >= 16);
        // Minus lenses weaken at the cornea, plus lenses strengthen.
        prop_assert!(exact.abs() >= f.abs() || q < 0);
        prop_assert!(exact.abs() <= f.abs() || q > 0);
    }

    #[test]
    fn refraction_vertex_converts_each_meridian(rx in refraction(Step::Quarter), mm in 20u16..=100) {
        let distance = VertexDistance::from_quarter_mm(mm).unwrap();
        let cornea = rx.at_cornea(distance).unwrap();
        let [m1, m2] = rx.principal_meridians();
        let c1 = vertex_convert(m1.power, distance).unwrap();
        let c2 = vertex_convert(m2.power, distance).unwrap();
        prop_assert!((cornea.sphere - c1).abs() < 1e-9);
        prop_assert!((cornea.sphere + cornea.cylinder - c2).abs() < 1e-9);
        prop_assert_eq!(cornea.axis, rx.axis());
        if let Ok(rounded) = cornea.rounded(Step::Quarter) {
            prop_assert!((rounded.sphere().power().as_f64() - c1).abs() <= 0.125 + 1e-9);
        }
    }

    #[test]
    fn powers_round_trip(q in -240i32..=240, st in step()) {
        let power = Diopters::from_eighths(q);
        prop_assert_eq!(Diopters::parse(&power.to_string()).unwrap(), power);
        prop_assert_eq!(json(&power), power);
        if let Ok(s) = Sphere::new(power, st) {
            prop_assert_eq!(Sphere::parse_with(&s.to_string(), st).unwrap(), s);
            prop_assert_eq!(json(&s), s);
        }
        if let Ok(c) = Cylinder::new(power, st) {
            prop_assert_eq!(Cylinder::parse_with(&c.to_string(), st).unwrap(), c);
            prop_assert_eq!(json(&c), c);
        }
        if let Ok(a) = Add::new(power, st) {
            prop_assert_eq!(Add::parse(&a.to_string()).unwrap(), a);
            prop_assert_eq!(json(&a), a);
        }
    }

    #[test]
    fn quarter_spheres_read_in_every_spelling(q in sphere_quarters()) {
        let expected = Sphere::new(Diopters::from_quarters(q), Step::Quarter).unwrap();
        let hundredths = q.unsigned_abs() * 25;
        let (whole, frac) = (hundredths / 100, hundredths % 100);
        let sign = if q < 0 { "-" } else { "+" };
        let unicode = if q < 0 { "\u{2212}" } else { "" };
        let spellings = [
            format!("{sign}{whole}.{frac:02}"),
            format!("{sign}{whole}{frac:02}"),
            format!(" {unicode}{whole}.{frac:02} D "),
        ];
        for text in spellings {
            prop_assert_eq!(Sphere::parse(&text), Ok(expected), "{:?}", text);
        }
    }

    #[test]
    fn axes_round_trip(d in 0u16..=180) {
        let axis = Axis::new(d).unwrap();
        prop_assert_eq!(Axis::parse(&axis.to_string()).unwrap(), axis);
        prop_assert_eq!(json(&axis), axis);
        prop_assert_eq!(axis.perpendicular().perpendicular(), axis);
        let turn = i16::from(axis.perpendicular().degrees()) - i16::from(axis.degrees());
        prop_assert_eq!(turn.abs(), 90);
    }

    #[test]
    fn refractions_round_trip((rx, st) in any_refraction()) {
        prop_assert_eq!(Refraction::parse_with(&rx.to_string(), st).unwrap(), rx);
        prop_assert_eq!(json(&rx), rx);
    }

    #[test]
    fn prisms_round_trip(p in prism()) {
        prop_assert_eq!(Prism::parse(&p.to_string()).unwrap(), p);
        prop_assert_eq!(json(&p), p);
    }

    #[test]
    fn compound_prism_resolves_and_splits_back(p in prism(), right in any::<bool>()) {
        let eye = if right { Eye::Right } else { Eye::Left };
        let parts = p.components(eye);
        let compound = parts.resultant(eye);
        prop_assert!((compound.amount - p.amount.as_f64()).abs() < 1e-9);
        prop_assert!((0.0..360.0).contains(&compound.base_angle));
        let expected = f64::from(p.base.angle(eye).degrees());
        prop_assert!((compound.base_angle - expected).abs() < 1e-9, "{} vs {}", compound.base_angle, expected);
        let back = compound.components(eye);
        prop_assert!((back.base_in - parts.base_in).abs() < 1e-9);
        prop_assert!((back.base_up - parts.base_up).abs() < 1e-9);
        let rounded = compound.rounded().unwrap();
        prop_assert_eq!(rounded.amount, p.amount);
        prop_assert_eq!(rounded.base.angle(eye), p.base.angle(eye));
    }

    #[test]
    fn pds_and_vertex_round_trip(m in 40u16..=80, b in 80u16..=160, r in 40u16..=80, v in 20u16..=100) {
        let mono = MonocularPd::from_half_mm(m).unwrap();
        prop_assert_eq!(MonocularPd::parse(&mono.to_string()).unwrap(), mono);
        prop_assert_eq!(json(&mono), mono);
        let bino = BinocularPd::from_half_mm(b).unwrap();
        prop_assert_eq!(BinocularPd::parse(&bino.to_string()).unwrap(), bino);
        prop_assert_eq!(json(&bino), bino);
        let pair = PdSpec::Monocular { right: mono, left: MonocularPd::from_half_mm(r).unwrap() };
        prop_assert_eq!(PdSpec::parse(&pair.to_string()).unwrap(), pair);
        prop_assert_eq!(pair.total().half_mm(), m + r);
        let single = PdSpec::Binocular(bino);
        prop_assert_eq!(PdSpec::parse(&single.to_string()).unwrap(), single);
        let pd = PupillaryDistance { distance: pair, near: Some(single) };
        prop_assert_eq!(json(&pd), pd);
        let vertex = VertexDistance::from_quarter_mm(v).unwrap();
        prop_assert_eq!(VertexDistance::parse(&vertex.to_string()).unwrap(), vertex);
        prop_assert_eq!(json(&vertex), vertex);
    }

    #[test]
    fn acuities_round_trip(va in visual_acuity()) {
        prop_assert_eq!(VisualAcuity::parse(&va.to_string()).unwrap(), va);
        prop_assert_eq!(json(&va), va);
        let log_mar = va.log_mar();
        prop_assert!(log_mar.value.is_finite());
        prop_assert!((-0.5..=3.5).contains(&log_mar.value), "{} → {}", va, log_mar.value);
    }

    #[test]
    fn keratometry_round_trips(hundredths in 450u32..=1350) {
        let r = f64::from(hundredths) / 100.0;
        let k = k_diopters_from_radius(r).unwrap();
        prop_assert!((k * r - 337.5).abs() < 1e-9);
        prop_assert!((k_radius_from_diopters(k).unwrap() - r).abs() < 1e-9);
    }
}
