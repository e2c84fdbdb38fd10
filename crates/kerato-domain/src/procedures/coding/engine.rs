//! The engine: one session's facts in, its charge lines out.

use super::*;

/// The charge lines for one session.
///
/// Lines come in a fixed family order (E/M, biopsies, destructions,
/// injections, excisions, repairs, Mohs, phototherapy) so the same session always reads the same; the
/// claim builder orders lines by value when it writes the claim.
///
/// Fails when a row cannot describe a real procedure (a count, diameter,
/// length or block count of zero, a Mohs case without stages, or an excimer
/// session without its area), naming the row so the form can point at it.
pub fn code_session(
    session: &Session,
    payer: &PayerCodingSettings,
) -> Result<Vec<ChargeLine>, ValidationErrors> {
    validate(session)?;

    let mut biopsies: BTreeMap<BiopsyMethod, Vec<&str>> = BTreeMap::new();
    let mut destructions: BTreeMap<DestructionKind, u32> = BTreeMap::new();
    let mut excisions = Vec::new();
    let mut repairs: BTreeMap<RepairGroup, Vec<u32>> = BTreeMap::new();
    let mut ungrouped_repairs = Vec::new();
    let mut mohs = Vec::new();
    let mut injected_lesions: Option<u32> = None;
    // Areas are summed per kind because the excimer codes are chosen by the
    // total area treated in the session; the other kinds ignore them.
    let mut phototherapy: BTreeMap<PhototherapyKind, u32> = BTreeMap::new();
    for procedure in &session.procedures {
        match procedure {
            Procedure::Biopsy { method, site } => {
                biopsies.entry(*method).or_default().push(site.as_str());
            }
            Procedure::Destruction { kind, count } => {
                let total = destructions.entry(*kind).or_insert(0);
                *total = total.saturating_add(*count);
            }
            Procedure::Excision {
                malignant,
                site,
                lesion_diameter_mm,
                margin_mm,
            } => excisions.push((*malignant, *site, *lesion_diameter_mm, *margin_mm)),
            Procedure::Repair {
                class,
                site,
                length_mm,
            } => match repair_group(*class, *site) {
                Some(group) => repairs.entry(group).or_default().push(*length_mm),
                None => ungrouped_repairs.push((*class, *site, *length_mm)),
            },
            Procedure::Mohs { site, stages } => mohs.push((*site, stages.as_slice())),
            Procedure::IntralesionalInjection { lesions } => {
                injected_lesions = Some(injected_lesions.unwrap_or(0).saturating_add(*lesions));
            }
            Procedure::Phototherapy { kind, area_sq_cm } => {
                let total = phototherapy.entry(*kind).or_insert(0);
                *total = total.saturating_add(area_sq_cm.unwrap_or(0));
            }
        }
    }

    let distinct = payer.distinct_modifier.code();
    let present = |family: Family| match family {
        Family::Biopsy => !biopsies.is_empty(),
        Family::DestructionPremalignant => {
            destructions.contains_key(&DestructionKind::Premalignant)
        }
        Family::Excision => !excisions.is_empty(),
        Family::Mohs => !mohs.is_empty(),
    };
    // The column-one family each column-two family bundles into this session,
    // so the modifier's rationale can say what it separates the line from.
    let bundles_into = |family: Family| {
        BUNDLED_PAIRS
            .iter()
            .find(|(one, two)| *two == family && present(*one))
            .map(|(one, _)| *one)
    };

    let mut procedure_lines = Vec::new();
    procedure_lines.extend(biopsy_lines(
        &biopsies,
        bundles_into(Family::Biopsy),
        distinct,
    ));
    procedure_lines.extend(destruction_lines(
        &destructions,
        bundles_into(Family::DestructionPremalignant),
        distinct,
    ));
    procedure_lines.extend(injected_lesions.map(injection_line));
    procedure_lines.extend(excisions.iter().map(|e| excision_line(*e)));
    procedure_lines.extend(repair_lines(&repairs));
    procedure_lines.extend(ungrouped_repairs.iter().map(|(class, site, length)| {
        let mut line = ChargeLine::new(
            HELD_CODE,
            1,
            format!("{} repair of {} at {site:?}", class.label(), cm(*length)),
        );
        line.hold = Some(format!(
            "CPT has no {} repair group for {site:?}; a coder must choose the code",
            class.label()
        ));
        line
    }));
    for (index, (site, stages)) in mohs.iter().enumerate() {
        procedure_lines.extend(mohs_lines(*site, stages, index, distinct));
    }
    procedure_lines.extend(
        phototherapy
            .iter()
            .map(|(kind, area)| phototherapy_line(*kind, *area)),
    );

    let mut lines = Vec::new();
    if let Some(em) = session.separate_em {
        let mut line = ChargeLine::new(em.code(), 1, String::new());
        if procedure_lines.is_empty() {
            line.rationale = "Office visit with no procedure billed the same day".to_string();
        } else {
            line.modifiers.push("25");
            line.rationale = "Separately identifiable office visit on the day of a procedure: \
                              -25 goes on the E/M only"
                .to_string();
        }
        lines.push(line);
    }
    lines.extend(procedure_lines);
    Ok(lines)
}

pub(super) fn validate(session: &Session) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for (i, procedure) in session.procedures.iter().enumerate() {
        let field = |name: &str| format!("procedures[{i}].{name}");
        match procedure {
            Procedure::Biopsy { .. } => {}
            Procedure::Destruction { count, .. } => {
                if *count == 0 {
                    errors.add(
                        field("count"),
                        "Enter how many lesions were destroyed (at least 1)",
                    );
                }
            }
            Procedure::Excision {
                lesion_diameter_mm, ..
            } => {
                if *lesion_diameter_mm == 0 {
                    errors.add(
                        field("lesion_diameter_mm"),
                        "Enter the lesion's greatest diameter in millimetres, measured before excision",
                    );
                }
            }
            Procedure::Repair { length_mm, .. } => {
                if *length_mm == 0 {
                    errors.add(
                        field("length_mm"),
                        "Enter the repair length in millimetres (at least 1)",
                    );
                }
            }
            Procedure::Mohs { stages, .. } => {
                if stages.is_empty() {
                    errors.add(
                        field("stages"),
                        "Enter at least one Mohs stage with its block count",
                    );
                } else if stages.contains(&0) {
                    errors.add(
                        field("stages"),
                        "Every Mohs stage has at least one tissue block",
                    );
                }
            }
            Procedure::IntralesionalInjection { lesions } => {
                if *lesions == 0 {
                    errors.add(
                        field("lesions"),
                        "Enter how many lesions were injected (at least 1)",
                    );
                }
            }
            Procedure::Phototherapy {
                kind: PhototherapyKind::Excimer { .. },
                area_sq_cm,
            } => {
                if area_sq_cm.is_none_or(|area| area == 0) {
                    errors.add(
                        field("area_sq_cm"),
                        "Enter the total area the excimer laser treated in square centimetres \
                         (at least 1); the code depends on it",
                    );
                }
            }
            Procedure::Phototherapy { .. } => {}
        }
    }
    errors.into_result(())
}

pub(super) fn with_distinct(
    mut line: ChargeLine,
    bundles_into: Option<Family>,
    distinct: &'static str,
) -> ChargeLine {
    if let Some(family) = bundles_into {
        line.modifiers.push(distinct);
        line.rationale.push_str(&format!(
            "; -{distinct}: a separate lesion from the {} billed today, which would otherwise bundle it",
            family_name(family)
        ));
    }
    line
}

pub(super) fn family_name(family: Family) -> &'static str {
    match family {
        Family::Biopsy => "biopsy",
        Family::DestructionPremalignant => "premalignant destruction",
        Family::Excision => "excision",
        Family::Mohs => "Mohs surgery",
    }
}

pub(super) fn biopsy_lines(
    biopsies: &BTreeMap<BiopsyMethod, Vec<&str>>,
    bundles_into: Option<Family>,
    distinct: &'static str,
) -> Vec<ChargeLine> {
    // The highest method present takes the one primary code of the session.
    let Some(primary_method) = biopsies.keys().next_back().copied() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (method, primary, add_on) in BIOPSY.iter().rev() {
        let Some(sites) = biopsies.get(method) else {
            continue;
        };
        let count = u32::try_from(sites.len()).unwrap_or(u32::MAX);
        let mut add_on_units = count;
        if *method == primary_method {
            add_on_units = count.saturating_sub(1);
            lines.push(ChargeLine::new(
                primary.code,
                1,
                format!(
                    "Primary: {} biopsy ({}); one primary biopsy code per session, for the \
                     highest technique performed (incisional > punch > tangential)",
                    method.label(),
                    sites.first().copied().unwrap_or_default()
                ),
            ));
        }
        if add_on_units > 0 {
            let skip = usize::from(*method == primary_method);
            let listed: Vec<&str> = sites.iter().skip(skip).copied().collect();
            lines.push(ChargeLine::new(
                add_on.code,
                add_on_units,
                format!(
                    "{add_on_units} further {} biopsy(ies) ({}) as the {} \
                     add-on, one unit each",
                    method.label(),
                    listed.join(", "),
                    method.label()
                ),
            ));
        }
    }
    lines
        .into_iter()
        .map(|line| with_distinct(line, bundles_into, distinct))
        .collect()
}

pub(super) fn destruction_lines(
    destructions: &BTreeMap<DestructionKind, u32>,
    premalignant_bundles_into: Option<Family>,
    distinct: &'static str,
) -> Vec<ChargeLine> {
    let mut lines = Vec::new();
    if let Some(&n) = destructions.get(&DestructionKind::Premalignant) {
        let mut premalignant = Vec::new();
        if n >= DESTRUCTION_MANY {
            premalignant.push(ChargeLine::new(
                DESTRUCTION_PREMALIGNANT_15.code,
                1,
                format!(
                    "{n} premalignant lesions destroyed: 15 or more replaces 17000 + 17003 \
                     with one unit of 17004"
                ),
            ));
        } else {
            premalignant.push(ChargeLine::new(
                DESTRUCTION_PREMALIGNANT_FIRST.code,
                1,
                format!("{n} premalignant lesion(s) destroyed: 17000 for the first"),
            ));
            if n > 1 {
                premalignant.push(ChargeLine::new(
                    DESTRUCTION_PREMALIGNANT_EACH.code,
                    n - 1,
                    format!("Premalignant lesions 2 to {n}: one 17003 unit per lesion"),
                ));
            }
        }
        lines.extend(
            premalignant
                .into_iter()
                .map(|line| with_distinct(line, premalignant_bundles_into, distinct)),
        );
    }
    if let Some(&n) = destructions.get(&DestructionKind::BenignOther) {
        let (row, rule) = if n >= DESTRUCTION_MANY {
            (DESTRUCTION_BENIGN_15, "15 or more")
        } else {
            (DESTRUCTION_BENIGN_UP_TO_14, "up to 14")
        };
        lines.push(ChargeLine::new(
            row.code,
            1,
            format!(
                "{n} benign lesion(s) destroyed: {} covers {rule}, one unit per session",
                row.code
            ),
        ));
    }
    lines
}

pub(super) fn excision_line(
    (malignant, site, lesion_mm, margin_mm): (Option<bool>, ExcisionSite, u32, u32),
) -> ChargeLine {
    let excised = excised_diameter_mm(lesion_mm, margin_mm);
    let arithmetic = format!(
        "excised diameter {} = {} lesion + 2 × {} margin; {}",
        cm(excised),
        cm(lesion_mm),
        cm(margin_mm),
        site.label()
    );
    match malignant {
        Some(malignant) => {
            let behaviour = if malignant { "malignant" } else { "benign" };
            ChargeLine::new(
                excision_code(malignant, site, excised),
                1,
                format!("{arithmetic}; {behaviour} per pathology"),
            )
        }
        None => {
            let mut line = ChargeLine::new(
                HELD_CODE,
                1,
                format!(
                    "{arithmetic}; {} if benign, {} if malignant",
                    excision_code(false, site, excised),
                    excision_code(true, site, excised)
                ),
            );
            line.hold = Some(
                "Pathology pending: excision behaviour comes from the path report, not suspicion"
                    .to_string(),
            );
            line
        }
    }
}

pub(super) fn repair_lines(repairs: &BTreeMap<RepairGroup, Vec<u32>>) -> Vec<ChargeLine> {
    let mut lines = Vec::new();
    for (group, lengths) in repairs {
        let total = lengths.iter().fold(0u32, |sum, l| sum.saturating_add(*l));
        let parts: Vec<String> = lengths.iter().map(|l| cm(*l)).collect();
        let summed = if lengths.len() > 1 {
            format!(
                "{} = {} summed within {}",
                cm(total),
                parts.join(" + "),
                group.label()
            )
        } else {
            format!("{} in {}", cm(total), group.label())
        };
        let coding = repair_coding(*group, total);
        match coding.primary {
            Some(code) => {
                lines.push(ChargeLine::new(code, 1, format!("Repair {summed}")));
                if let Some((add_on, units)) = coding.add_on {
                    lines.push(ChargeLine::new(
                        add_on,
                        units,
                        format!(
                            "Repair {summed}: {} beyond 7.5 cm, one add-on unit per 5 cm or part",
                            cm(total.saturating_sub(COMPLEX_LARGE_MAX_MM))
                        ),
                    ));
                }
            }
            None => {
                let mut line = ChargeLine::new(HELD_CODE, 1, format!("Complex repair {summed}"));
                line.hold = Some(
                    "A complex repair of 1.0 cm or less has no complex code; code it as a \
                     simple or intermediate repair"
                        .to_string(),
                );
                lines.push(line);
            }
        }
    }
    lines
}

pub(super) fn mohs_lines(
    site: MohsSite,
    stages: &[u32],
    case: usize,
    distinct: &'static str,
) -> Vec<ChargeLine> {
    let (first, stage) = match site {
        MohsSite::HeadNeckHandsFeetGenitalia => (MOHS_HEAD_FIRST, MOHS_HEAD_STAGE),
        MohsSite::TrunkArmsLegs => (MOHS_TRUNK_FIRST, MOHS_TRUNK_STAGE),
    };
    let mut lines = Vec::new();
    let mut first_line = ChargeLine::new(
        first.code,
        1,
        format!(
            "Mohs case {} at {}: first stage, up to {MOHS_BLOCKS_PER_STAGE} blocks",
            case + 1,
            site.label()
        ),
    );
    // A second Mohs lesion the same day would bundle into the first without
    // the distinct-procedure modifier (§2.5).
    if case > 0 {
        first_line.modifiers.push(distinct);
        first_line.rationale.push_str(&format!(
            "; -{distinct}: a separate lesion from the first Mohs case"
        ));
    }
    lines.push(first_line);
    let further = u32::try_from(stages.len().saturating_sub(1)).unwrap_or(u32::MAX);
    if further > 0 {
        lines.push(ChargeLine::new(
            stage.code,
            further,
            format!("Mohs case {}: {further} stage(s) after the first", case + 1),
        ));
    }
    let extra: Vec<u32> = stages
        .iter()
        .map(|b| b.saturating_sub(MOHS_BLOCKS_PER_STAGE))
        .collect();
    let extra_blocks = extra.iter().fold(0u32, |sum, b| sum.saturating_add(*b));
    if extra_blocks > 0 {
        let per_stage: Vec<String> = stages.iter().map(u32::to_string).collect();
        lines.push(ChargeLine::new(
            MOHS_BLOCK.code,
            extra_blocks,
            format!(
                "Mohs case {}: blocks per stage {}; {extra_blocks} block(s) beyond \
                 {MOHS_BLOCKS_PER_STAGE} in a stage, summed across stages",
                case + 1,
                per_stage.join(", ")
            ),
        ));
    }
    lines
}

pub(super) fn injection_line(lesions: u32) -> ChargeLine {
    let (row, rule) = if lesions > INJECTION_SMALL_MAX {
        (INJECTION_OVER_7, "more than 7")
    } else {
        (INJECTION_UP_TO_7, "up to and including 7")
    };
    ChargeLine::new(
        row.code,
        1,
        format!(
            "{lesions} lesion(s) injected intralesionally: {} covers {rule}, one unit per session",
            row.code
        ),
    )
}

pub(super) fn phototherapy_line(kind: PhototherapyKind, area_sq_cm: u32) -> ChargeLine {
    let once = "billed once per session";
    match kind {
        PhototherapyKind::Uvb => ChargeLine::new(
            PHOTO_UVB.code,
            1,
            format!("UVB actinotherapy: 96900, {once}"),
        ),
        PhototherapyKind::Goeckerman => ChargeLine::new(
            PHOTO_GOECKERMAN.code,
            1,
            format!("Tar or petrolatum with UVB: 96910, {once}"),
        ),
        PhototherapyKind::Puva => ChargeLine::new(
            PHOTO_PUVA.code,
            1,
            format!("Psoralen with UVA: 96912, {once}"),
        ),
        PhototherapyKind::Excimer { psoriasis: true } => {
            let code = excimer_code(area_sq_cm);
            ChargeLine::new(
                code,
                1,
                format!(
                    "Excimer laser for psoriasis over {area_sq_cm} sq cm in total: {code} \
                     (under 250, 250 to 500, over 500 sq cm), {once}"
                ),
            )
        }
        PhototherapyKind::Excimer { psoriasis: false } => ChargeLine::new(
            PHOTO_UNLISTED.code,
            1,
            format!(
                "Excimer laser over {area_sq_cm} sq cm for a condition other than psoriasis: \
                 96920 to 96922 are psoriasis-only since 2024, so the unlisted 96999 is used; \
                 check the payer's policy, since some (Aetna for vitiligo) require 96999 and \
                 others may not cover it"
            ),
        ),
    }
}
