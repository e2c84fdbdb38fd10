//! Acceptance tests for the procedure templates: the exact note text each
//! template writes, the field each impossible value is refused under, the
//! coding engine's lines for a visit's records, and properties of the
//! phototherapy cumulative dose and its alerts.

// A failed unwrap in a test is a test failure with its location.
#![allow(clippy::unwrap_used)]

use kerato_domain::procedures::coding::*;
use kerato_domain::procedures::note::*;
use proptest::prelude::*;

fn punch(mm: u32, specimen: &str) -> BiopsyRecord {
    BiopsyRecord {
        method: BiopsyMethod::Punch,
        site: "left cheek".into(),
        punch_mm: Some(mm),
        depth: None,
        anesthesia: Anesthesia {
            agent: "1% lidocaine with epinephrine".into(),
            volume_ml: Tenths(10),
        },
        hemostasis: Hemostasis::Sutures {
            count: 2,
            material: "5-0 nylon".into(),
        },
        specimen_id: specimen.into(),
    }
}

fn shave(site: &str, specimen: &str) -> BiopsyRecord {
    BiopsyRecord {
        method: BiopsyMethod::Tangential,
        site: site.into(),
        punch_mm: None,
        depth: Some(TangentialDepth::PapillaryDermis),
        anesthesia: Anesthesia {
            agent: "1% lidocaine with epinephrine".into(),
            volume_ml: Tenths(5),
        },
        hemostasis: Hemostasis::AluminiumChloride,
        specimen_id: specimen.into(),
    }
}

fn cryo(count: u32) -> DestructionRecord {
    DestructionRecord {
        kind: DestructionKind::Premalignant,
        method: DestructionMethod::Cryotherapy,
        site: "scalp and forehead".into(),
        lesion_count: count,
        freeze_thaw_cycles: Some(2),
    }
}

fn excision() -> ExcisionRecord {
    ExcisionRecord {
        behaviour: ExcisionBehaviour::Malignant,
        site_group: ExcisionSite::TrunkArmsLegs,
        site: "left upper back".into(),
        lesion_diameter_mm: 16,
        margin_mm: 5,
        orientation_suture: Some("12 o'clock".into()),
        closure: ExcisionClosure::SeparateRepair,
        specimen_id: "E-000045".into(),
    }
}

fn repair() -> RepairRecord {
    RepairRecord {
        class: RepairClass::Intermediate,
        site_group: RepairSite::Trunk,
        site: "left upper back".into(),
        length_mm: 35,
        layers: vec![SutureSize::FourZero, SutureSize::FiveZero],
    }
}

fn stage(blocks: u32, clear: bool, map: &str) -> MohsStage {
    MohsStage {
        blocks,
        margins_clear: clear,
        map: map.into(),
    }
}

fn mohs(stages: Vec<MohsStage>) -> MohsRecord {
    MohsRecord {
        site_group: MohsSite::HeadNeckHandsFeetGenitalia,
        site: "right nasal ala".into(),
        stages,
        final_defect_mm: 14,
    }
}

fn injection() -> InjectionRecord {
    InjectionRecord {
        drug: "triamcinolone acetonide".into(),
        concentration_mg_ml: Tenths(100),
        volume_ml: Tenths(15),
        lesion_count: 3,
        site: "left earlobe keloid".into(),
    }
}

fn uvb(dose: u32) -> PhototherapyRecord {
    PhototherapyRecord {
        kind: PhototherapyKind::Uvb,
        area_sq_cm: None,
        dose_mj_cm2: dose,
        erythema_since_last: ErythemaGrade::Minimal,
        skin_type: Some(SkinType::TypeIII),
        duration_s: Some(150),
    }
}

// ---------------------------------------------------------------------------
// Note text, one exact string per template
// ---------------------------------------------------------------------------

#[test]
fn punch_biopsy_note() {
    assert_eq!(
        ProcedureRecord::Biopsy(punch(4, "B-000123")).note_text(),
        "Punch biopsy, 4 mm, of left cheek. Anesthesia: 1 mL of 1% lidocaine with \
         epinephrine. Hemostasis and closure: 2 sutures of 5-0 nylon. Specimen B-000123 \
         sent to pathology."
    );
}

#[test]
fn tangential_and_incisional_biopsy_notes() {
    assert_eq!(
        ProcedureRecord::Biopsy(shave("  right forearm ", "B-000124")).note_text(),
        "Tangential (shave) biopsy to the papillary dermis of right forearm. Anesthesia: \
         0.5 mL of 1% lidocaine with epinephrine. Hemostasis: aluminium chloride. Specimen \
         B-000124 sent to pathology."
    );
    let incisional = BiopsyRecord {
        method: BiopsyMethod::Incisional,
        site: "right shin".into(),
        punch_mm: None,
        hemostasis: Hemostasis::Sutures {
            count: 1,
            material: "4-0 nylon".into(),
        },
        ..punch(4, "B-000125")
    };
    assert_eq!(
        ProcedureRecord::Biopsy(incisional).note_text(),
        "Incisional biopsy of right shin. Anesthesia: 1 mL of 1% lidocaine with epinephrine. \
         Hemostasis and closure: 1 suture of 4-0 nylon. Specimen B-000125 sent to pathology."
    );
}

#[test]
fn destruction_notes() {
    assert_eq!(
        ProcedureRecord::Destruction(cryo(6)).note_text(),
        "Destruction of 6 premalignant lesions of scalp and forehead by cryotherapy with \
         liquid nitrogen, 2 freeze-thaw cycles."
    );
    let edc = DestructionRecord {
        kind: DestructionKind::BenignOther,
        method: DestructionMethod::ElectrodesiccationCurettage,
        site: "right temple".into(),
        lesion_count: 1,
        freeze_thaw_cycles: None,
    };
    assert_eq!(
        ProcedureRecord::Destruction(edc).note_text(),
        "Destruction of 1 benign lesion of right temple by electrodesiccation and curettage."
    );
}

#[test]
fn excision_note_shows_the_excised_diameter() {
    assert_eq!(
        ProcedureRecord::Excision(excision()).note_text(),
        "Excision of lesion of left upper back (trunk/arms/legs): lesion 16 mm with 5 mm \
         margins, excised diameter 26 mm. Orientation suture at 12 o'clock. Closure: layered \
         or complex repair, documented in its own repair record. Specimen E-000045 sent to \
         pathology. Pathology: malignant."
    );
    let pending = ExcisionRecord {
        behaviour: ExcisionBehaviour::Pending,
        orientation_suture: None,
        closure: ExcisionClosure::Simple,
        ..excision()
    };
    assert_eq!(
        ProcedureRecord::Excision(pending).note_text(),
        "Excision of lesion of left upper back (trunk/arms/legs): lesion 16 mm with 5 mm \
         margins, excised diameter 26 mm. Closure: simple closure, included in the excision. \
         Specimen E-000045 sent to pathology. Pathology: pending."
    );
}

#[test]
fn repair_note() {
    assert_eq!(
        ProcedureRecord::Repair(repair()).note_text(),
        "Intermediate repair of left upper back, 35 mm long, closed in 2 layers (sutures \
         4-0, 5-0, deepest first)."
    );
    let simple = RepairRecord {
        class: RepairClass::Simple,
        layers: vec![SutureSize::SixZero],
        ..repair()
    };
    assert_eq!(
        ProcedureRecord::Repair(simple).note_text(),
        "Simple repair of left upper back, 35 mm long, closed in 1 layer (sutures 6-0)."
    );
}

#[test]
fn mohs_notes_say_complete_or_incomplete() {
    let complete = mohs(vec![
        stage(
            3,
            false,
            "tumour at 3 o'clock, deep margin; blue ink at 12.",
        ),
        stage(1, true, "clear"),
    ]);
    assert!(complete.complete());
    assert_eq!(
        ProcedureRecord::Mohs(complete).note_text(),
        "Mohs micrographic surgery of right nasal ala (head/neck/hands/feet/genitalia). \
         Stage 1: 3 blocks, margins involved; map: tumour at 3 o'clock, deep margin; blue ink \
         at 12. Stage 2: 1 block, margins clear; map: clear. Final defect 14 mm. Margins clear \
         after stage 2: Mohs complete."
    );
    let stopped = mohs(vec![stage(2, false, "tumour at 6 o'clock")]);
    assert!(!stopped.complete());
    assert_eq!(
        ProcedureRecord::Mohs(stopped).note_text(),
        "Mohs micrographic surgery of right nasal ala (head/neck/hands/feet/genitalia). \
         Stage 1: 2 blocks, margins involved; map: tumour at 6 o'clock. Final defect 14 mm. \
         Margins still involved after stage 1: Mohs incomplete."
    );
}

#[test]
fn injection_note_totals_the_drug() {
    assert_eq!(
        ProcedureRecord::Injection(injection()).note_text(),
        "Intralesional injection of triamcinolone acetonide 10 mg/mL, 1.5 mL in total \
         (15 mg), into 3 lesions of left earlobe keloid."
    );
    let dilute = InjectionRecord {
        concentration_mg_ml: Tenths(25),
        volume_ml: Tenths(3),
        lesion_count: 1,
        site: "alopecia areata patch, vertex".into(),
        ..injection()
    };
    assert_eq!(
        ProcedureRecord::Injection(dilute).note_text(),
        "Intralesional injection of triamcinolone acetonide 2.5 mg/mL, 0.3 mL in total \
         (0.75 mg), into 1 lesion of alopecia areata patch, vertex."
    );
}

#[test]
fn phototherapy_notes() {
    assert_eq!(
        ProcedureRecord::Phototherapy(uvb(500)).note_text(),
        "UVB phototherapy, 500 mJ/cm², 2 min 30 s. Skin type III. Erythema since the previous \
         session: grade 1 (minimal, barely perceptible)."
    );
    let puva = PhototherapyRecord {
        kind: PhototherapyKind::Puva,
        dose_mj_cm2: 2500,
        erythema_since_last: ErythemaGrade::Absent,
        skin_type: None,
        duration_s: None,
        ..uvb(0)
    };
    assert_eq!(
        ProcedureRecord::Phototherapy(puva).note_text(),
        "PUVA photochemotherapy, 2500 mJ/cm² (2.5 J/cm²). Erythema since the previous \
         session: grade 0 (none)."
    );
    let excimer = PhototherapyRecord {
        kind: PhototherapyKind::Excimer { psoriasis: true },
        area_sq_cm: Some(120),
        dose_mj_cm2: 800,
        duration_s: None,
        ..uvb(0)
    };
    assert_eq!(
        ProcedureRecord::Phototherapy(excimer).note_text(),
        "Excimer laser for psoriasis over 120 sq cm, 800 mJ/cm². Skin type III. Erythema \
         since the previous session: grade 1 (minimal, barely perceptible)."
    );
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

/// The fields a record is refused under, in the order reported.
fn refused(record: ProcedureRecord) -> Vec<String> {
    record
        .validate()
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn every_template_accepts_its_example() {
    for record in [
        ProcedureRecord::Biopsy(punch(4, "B-1")),
        ProcedureRecord::Biopsy(shave("nose", "B-2")),
        ProcedureRecord::Destruction(cryo(14)),
        ProcedureRecord::Excision(excision()),
        ProcedureRecord::Repair(repair()),
        ProcedureRecord::Mohs(mohs(vec![stage(2, false, "x"), stage(1, true, "y")])),
        ProcedureRecord::Injection(injection()),
        ProcedureRecord::Phototherapy(uvb(500)),
    ] {
        assert_eq!(record.validate(), Ok(()), "{record:?}");
    }
}

#[test]
fn biopsy_fields_are_checked() {
    for mm in [1, 9, 0] {
        let message = ProcedureRecord::Biopsy(punch(mm, "B-1"))
            .validate()
            .unwrap_err()
            .for_field("punch_mm")
            .unwrap()
            .to_string();
        assert!(message.contains("2 to 8 mm"), "{message}");
    }
    for mm in [2, 8] {
        assert_eq!(
            ProcedureRecord::Biopsy(punch(mm, "B-1")).validate(),
            Ok(()),
            "{mm} mm is a real punch size"
        );
    }
    let missing_size = BiopsyRecord {
        punch_mm: None,
        ..punch(4, "B-1")
    };
    assert_eq!(
        refused(ProcedureRecord::Biopsy(missing_size)),
        vec!["punch_mm"]
    );
    // A shave with a punch size, no depth and sutures, and empty text.
    let confused = BiopsyRecord {
        punch_mm: Some(4),
        depth: None,
        site: "  ".into(),
        hemostasis: Hemostasis::Sutures {
            count: 0,
            material: String::new(),
        },
        anesthesia: Anesthesia {
            agent: String::new(),
            volume_ml: Tenths(0),
        },
        specimen_id: String::new(),
        ..shave("nose", "B-1")
    };
    assert_eq!(
        refused(ProcedureRecord::Biopsy(confused)),
        vec![
            "site",
            "punch_mm",
            "depth",
            "anesthesia.agent",
            "anesthesia.volume_ml",
            "hemostasis",
            "hemostasis.count",
            "hemostasis.material",
            "specimen_id",
        ]
    );
    let deep_punch = BiopsyRecord {
        depth: Some(TangentialDepth::ReticularDermis),
        ..punch(4, "B-1")
    };
    assert!(
        ProcedureRecord::Biopsy(deep_punch)
            .validate()
            .unwrap_err()
            .for_field("depth")
            .unwrap()
            .contains("full thickness")
    );
    let drowned = BiopsyRecord {
        anesthesia: Anesthesia {
            agent: "1% lidocaine".into(),
            volume_ml: Tenths(501),
        },
        ..punch(4, "B-1")
    };
    assert!(
        ProcedureRecord::Biopsy(drowned)
            .validate()
            .unwrap_err()
            .for_field("anesthesia.volume_ml")
            .unwrap()
            .contains("0.1 to 50")
    );
}

#[test]
fn destruction_fields_are_checked() {
    for n in [0, 101] {
        let message = ProcedureRecord::Destruction(cryo(n))
            .validate()
            .unwrap_err()
            .for_field("lesion_count")
            .unwrap()
            .to_string();
        assert!(message.contains("1 to 100"), "{message}");
    }
    let no_cycles = DestructionRecord {
        freeze_thaw_cycles: None,
        ..cryo(3)
    };
    assert_eq!(
        refused(ProcedureRecord::Destruction(no_cycles)),
        vec!["freeze_thaw_cycles"]
    );
    let four = DestructionRecord {
        freeze_thaw_cycles: Some(4),
        ..cryo(3)
    };
    assert_eq!(
        refused(ProcedureRecord::Destruction(four)),
        vec!["freeze_thaw_cycles"]
    );
    let laser_cycles = DestructionRecord {
        method: DestructionMethod::Laser,
        ..cryo(3)
    };
    assert!(
        ProcedureRecord::Destruction(laser_cycles)
            .validate()
            .unwrap_err()
            .for_field("freeze_thaw_cycles")
            .unwrap()
            .contains("only for cryotherapy")
    );
}

#[test]
fn excision_fields_are_checked() {
    let bad = ExcisionRecord {
        lesion_diameter_mm: 0,
        margin_mm: 31,
        orientation_suture: Some(" ".into()),
        specimen_id: String::new(),
        site: "x".repeat(201),
        ..excision()
    };
    assert_eq!(
        refused(ProcedureRecord::Excision(bad)),
        vec![
            "site",
            "lesion_diameter_mm",
            "margin_mm",
            "orientation_suture",
            "specimen_id"
        ]
    );
    let no_margin = ExcisionRecord {
        margin_mm: 0,
        ..excision()
    };
    assert_eq!(ProcedureRecord::Excision(no_margin).validate(), Ok(()));
}

#[test]
fn repair_fields_are_checked() {
    let bad = RepairRecord {
        length_mm: 0,
        layers: vec![],
        ..repair()
    };
    assert_eq!(
        refused(ProcedureRecord::Repair(bad)),
        vec!["length_mm", "layers"]
    );
    let layered_simple = RepairRecord {
        class: RepairClass::Simple,
        ..repair()
    };
    assert!(
        ProcedureRecord::Repair(layered_simple)
            .validate()
            .unwrap_err()
            .for_field("layers")
            .unwrap()
            .contains("intermediate")
    );
}

#[test]
fn only_the_last_mohs_stage_may_be_clear() {
    let record = mohs(vec![
        stage(2, true, "clear"),
        stage(0, false, ""),
        stage(1, true, "clear"),
    ]);
    let errors = ProcedureRecord::Mohs(record).validate().unwrap_err();
    let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "stages[0].margins_clear",
            "stages[1].blocks",
            "stages[1].map"
        ]
    );
    assert!(
        errors
            .for_field("stages[0].margins_clear")
            .unwrap()
            .contains("Stage 1 is marked clear but stage 2 follows it")
    );
    let empty = MohsRecord {
        final_defect_mm: 0,
        ..mohs(vec![])
    };
    assert_eq!(
        refused(ProcedureRecord::Mohs(empty)),
        vec!["stages", "final_defect_mm"]
    );
}

#[test]
fn injection_fields_are_checked() {
    let bad = InjectionRecord {
        drug: String::new(),
        concentration_mg_ml: Tenths(0),
        volume_ml: Tenths(101),
        lesion_count: 0,
        ..injection()
    };
    let errors = ProcedureRecord::Injection(bad).validate().unwrap_err();
    let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["drug", "concentration_mg_ml", "volume_ml", "lesion_count"]
    );
    assert!(errors.for_field("volume_ml").unwrap().contains("0.1 to 10"));
}

#[test]
fn phototherapy_fields_are_checked() {
    let too_much = uvb(5001);
    let message = ProcedureRecord::Phototherapy(too_much)
        .validate()
        .unwrap_err()
        .for_field("dose_mj_cm2")
        .unwrap()
        .to_string();
    assert!(message.contains("from 1 to 5000"), "{message}");
    assert_eq!(
        refused(ProcedureRecord::Phototherapy(uvb(0))),
        vec!["dose_mj_cm2"]
    );
    // PUVA's 20 J/cm² is within range where UVB's would not be.
    let puva = PhototherapyRecord {
        kind: PhototherapyKind::Puva,
        ..uvb(20_000)
    };
    assert_eq!(ProcedureRecord::Phototherapy(puva).validate(), Ok(()));
    let excimer = PhototherapyRecord {
        kind: PhototherapyKind::Excimer { psoriasis: false },
        duration_s: Some(0),
        ..uvb(600)
    };
    assert_eq!(
        refused(ProcedureRecord::Phototherapy(excimer)),
        vec!["area_sq_cm", "duration_s"]
    );
    let huge = PhototherapyRecord {
        area_sq_cm: Some(20_001),
        ..uvb(600)
    };
    assert_eq!(
        refused(ProcedureRecord::Phototherapy(huge)),
        vec!["area_sq_cm"]
    );
}

// ---------------------------------------------------------------------------
// Coding from records
// ---------------------------------------------------------------------------

fn code(records: &[ProcedureRecord], em: Option<EmCode>) -> Vec<(&'static str, u32)> {
    let session = session_from_records(records, em).unwrap();
    code_session(&session, &PayerCodingSettings::default())
        .unwrap()
        .into_iter()
        .map(|l| (l.code, l.units))
        .collect()
}

#[test]
fn a_punch_and_two_shaves_code_as_11104_and_11103_twice() {
    let records = [
        ProcedureRecord::Biopsy(shave("right forearm", "B-2")),
        ProcedureRecord::Biopsy(punch(4, "B-1")),
        ProcedureRecord::Biopsy(shave("left shoulder", "B-3")),
    ];
    assert_eq!(code(&records, None), vec![("11104", 1), ("11103", 2)]);
}

#[test]
fn every_template_reaches_the_engine() {
    let records = [
        ProcedureRecord::Destruction(cryo(3)),
        ProcedureRecord::Excision(excision()),
        ProcedureRecord::Repair(repair()),
        ProcedureRecord::Mohs(mohs(vec![stage(6, false, "x"), stage(2, true, "y")])),
        ProcedureRecord::Injection(injection()),
        ProcedureRecord::Phototherapy(uvb(400)),
    ];
    assert_eq!(
        code(&records, Some(EmCode::Established99213)),
        vec![
            ("99213", 1),
            ("17000", 1),
            ("17003", 2),
            ("11900", 1),
            ("11603", 1),
            ("12032", 1),
            ("17311", 1),
            ("17312", 1),
            ("17315", 1),
            ("96900", 1),
        ]
    );
}

#[test]
fn a_pending_excision_is_held_and_a_vitiligo_excimer_is_96999() {
    let records = [
        ProcedureRecord::Excision(ExcisionRecord {
            behaviour: ExcisionBehaviour::Pending,
            ..excision()
        }),
        ProcedureRecord::Phototherapy(PhototherapyRecord {
            kind: PhototherapyKind::Excimer { psoriasis: false },
            area_sq_cm: Some(90),
            ..uvb(300)
        }),
    ];
    assert_eq!(code(&records, None), vec![(HELD_CODE, 1), ("96999", 1)]);
}

#[test]
fn invalid_records_are_named_by_index() {
    let records = [
        ProcedureRecord::Biopsy(punch(4, "B-1")),
        ProcedureRecord::Biopsy(punch(12, "B-2")),
        ProcedureRecord::Injection(InjectionRecord {
            lesion_count: 0,
            ..injection()
        }),
    ];
    let errors = session_from_records(&records, None).unwrap_err();
    let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["records[1].punch_mm", "records[2].lesion_count"]
    );
}

// ---------------------------------------------------------------------------
// Cumulative dose
// ---------------------------------------------------------------------------

const LIMITS: PhototherapyLimits = PhototherapyLimits {
    max_cumulative_mj_cm2: 100_000,
    warn_at_percent: 80,
    max_increase_percent: 20,
};

#[test]
fn dose_alerts_at_the_edges() {
    let none = ErythemaGrade::Absent;
    // 79,999 is under 80 %; 80,000 is exactly the warning share.
    assert!(check_dose(&[79_000], 999, none, &LIMITS).alerts.is_empty());
    assert_eq!(
        check_dose(&[79_000], 1000, none, &LIMITS).alerts,
        vec![DoseAlert::NearMaximum {
            cumulative_mj_cm2: 80_000,
            max_mj_cm2: 100_000,
            percent: 80
        }]
    );
    let at_max = check_dose(&[99_000], 1000, none, &LIMITS);
    assert_eq!(
        at_max.alerts,
        vec![DoseAlert::MaximumReached {
            cumulative_mj_cm2: 100_000,
            max_mj_cm2: 100_000
        }]
    );
    assert!(at_max.alerts[0].blocks());
    assert!(at_max.alerts[0].message().contains("do not treat"));
    // 20 % up is allowed, 20.1 % is not, and the shown rise rounds up.
    assert!(check_dose(&[1000], 1200, none, &LIMITS).alerts.is_empty());
    let step = check_dose(&[1000], 1201, none, &LIMITS);
    assert_eq!(
        step.alerts,
        vec![DoseAlert::IncreaseTooLarge {
            previous_mj_cm2: 1000,
            new_mj_cm2: 1201,
            increase_percent: 21,
            allowed_percent: 20
        }]
    );
    assert!(!step.alerts[0].blocks());
    assert!(step.alerts[0].message().contains("21% from 1000 to 1201"));
}

#[test]
fn erythema_of_grade_two_or_more_alerts() {
    assert!(
        check_dose(&[500], 500, ErythemaGrade::Minimal, &LIMITS)
            .alerts
            .is_empty()
    );
    let defined = check_dose(&[500], 500, ErythemaGrade::Defined, &LIMITS);
    assert_eq!(
        defined.alerts,
        vec![DoseAlert::Erythema {
            grade: ErythemaGrade::Defined
        }]
    );
    assert!(!defined.alerts[0].blocks());
    assert!(
        defined.alerts[0]
            .message()
            .contains("hold the dose or reduce it")
    );
    let severe = check_dose(&[500], 400, ErythemaGrade::Severe, &LIMITS);
    assert!(severe.alerts[0].blocks());
    assert!(severe.alerts[0].message().contains("withhold treatment"));
}

fn any_grade() -> impl Strategy<Value = ErythemaGrade> {
    prop::sample::select(ErythemaGrade::ALL.to_vec())
}

fn any_limits() -> impl Strategy<Value = PhototherapyLimits> {
    (1u64..200_000, 1u32..=100, 0u32..100).prop_map(|(max, warn, step)| PhototherapyLimits {
        max_cumulative_mj_cm2: max,
        warn_at_percent: warn,
        max_increase_percent: step,
    })
}

proptest! {
    #[test]
    fn cumulative_is_the_sum_of_every_session(
        prior in prop::collection::vec(0u32..20_000, 0..60),
        new in 0u32..20_000,
        grade in any_grade(),
        limits in any_limits(),
    ) {
        let check = check_dose(&prior, new, grade, &limits);
        let sum: u64 = prior.iter().map(|d| u64::from(*d)).sum::<u64>() + u64::from(new);
        prop_assert_eq!(check.cumulative_mj_cm2, sum);
    }

    #[test]
    fn maximum_alerts_fire_exactly_at_their_thresholds(
        prior in prop::collection::vec(0u32..20_000, 0..30),
        new in 0u32..20_000,
        limits in any_limits(),
    ) {
        let check = check_dose(&prior, new, ErythemaGrade::Absent, &limits);
        let total = check.cumulative_mj_cm2;
        let max = limits.max_cumulative_mj_cm2;
        let reached = check.alerts.iter().any(|a| matches!(a, DoseAlert::MaximumReached { .. }));
        let near = check.alerts.iter().any(|a| matches!(a, DoseAlert::NearMaximum { .. }));
        prop_assert_eq!(reached, total >= max);
        prop_assert_eq!(near, total < max && total * 100 >= max * u64::from(limits.warn_at_percent));
        prop_assert_eq!(reached, check.alerts.iter().any(DoseAlert::blocks));
    }

    #[test]
    fn the_course_total_only_rises_and_a_reached_maximum_stays_reached(
        doses in prop::collection::vec(0u32..20_000, 1..40),
        limits in any_limits(),
    ) {
        let mut previous_total = 0;
        let mut was_reached = false;
        for i in 0..doses.len() {
            let check = check_dose(&doses[..i], doses[i], ErythemaGrade::Absent, &limits);
            prop_assert!(check.cumulative_mj_cm2 >= previous_total);
            let reached = check.alerts.iter().any(|a| matches!(a, DoseAlert::MaximumReached { .. }));
            prop_assert!(reached || !was_reached, "the maximum alert stopped at session {}", i);
            previous_total = check.cumulative_mj_cm2;
            was_reached = reached;
        }
    }

    #[test]
    fn the_step_alert_fires_exactly_above_the_allowed_increase(
        previous in 1u32..10_000,
        new in 0u32..20_000,
        limits in any_limits(),
    ) {
        let check = check_dose(&[previous], new, ErythemaGrade::Absent, &limits);
        let step = check.alerts.iter().find_map(|a| match a {
            DoseAlert::IncreaseTooLarge { increase_percent, .. } => Some(*increase_percent),
            _ => None,
        });
        let (p, n) = (u64::from(previous), u64::from(new));
        let too_large = n > p && (n - p) * 100 > p * u64::from(limits.max_increase_percent);
        prop_assert_eq!(step.is_some(), too_large);
        if let Some(percent) = step {
            prop_assert!(percent > u64::from(limits.max_increase_percent));
        }
    }
}
