//! Versioned policy documents (privacy statement, notice of privacy
//! practices, cookie policy): the rules for publishing a new version and
//! which version is in force at a given instant.
//!
//! The privacy statement announces a change that matters "at least 30 days
//! before it takes effect", while "small corrections ... may take effect at
//! once" (§9); a material change is
//! therefore refused unless it takes effect 30 days or more after it is
//! announced, while a minor one may take effect at once. A day here is 24
//! hours of instants, so the check needs no time zone; across a daylight
//! saving change the notice may be an hour off a local calendar day, which
//! is far below the day the message reports in.
//!
//! Versions of one kind are numbered upwards and take effect in the order
//! of their numbers. A new version may not take effect before any version
//! already published, the one in force or one still scheduled: leapfrogging
//! a scheduled version would bring it back into force later, so a scheduled
//! version that should not happen is withdrawn rather than overtaken.
//! Version history is kept six years (45 CFR 164.316(b)(2)(i)), which the
//! retention module's HIPAA documentation class covers.

use crate::error::ValidationErrors;
use crate::time::Timestamp;

/// Days of notice a material change needs (privacy statement §9).
pub const MATERIAL_NOTICE_DAYS: i64 = 30;

const MICROS_PER_DAY: i64 = 86_400_000_000;

string_enum!(
    /// Which document a version belongs to.
    PolicyKind {
        PrivacyStatement = "privacy_statement", "Privacy statement";
        NoticeOfPrivacyPractices = "notice_of_privacy_practices", "Notice of privacy practices";
        CookiePolicy = "cookie_policy", "Cookie policy";
    }
);

/// One version of a policy document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyVersion {
    pub version: u32,
    pub kind: PolicyKind,
    /// When users were (or will be) told of this version.
    pub announced_at: Timestamp,
    pub effective_at: Timestamp,
    /// Whether the change is material; a material change needs
    /// [`MATERIAL_NOTICE_DAYS`] days of notice.
    pub material: bool,
    /// What changed, as the notice to users says it.
    pub summary: String,
}

/// Whether `new` may be published at `now` after the `existing` versions
/// (of any kind; only those of `new`'s kind count). Every problem is
/// reported at once, by field.
pub fn check_publication(
    new: &PolicyVersion,
    existing: &[PolicyVersion],
    now: Timestamp,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let same_kind: Vec<&PolicyVersion> = existing.iter().filter(|v| v.kind == new.kind).collect();

    if new.summary.trim().is_empty() {
        errors.add(
            "summary",
            "describe what changed in a sentence or two; the notice to users shows it",
        );
    }
    if let Some(latest) = same_kind.iter().map(|v| v.version).max()
        && new.version <= latest
    {
        errors.add(
            "version",
            format!(
                "version {} is not after the latest published {} version ({latest}); number it {} or higher",
                new.version,
                new.kind.label().to_lowercase(),
                latest.saturating_add(1)
            ),
        );
    }
    if new.announced_at < now {
        errors.add(
            "announced_at",
            format!(
                "the announcement time ({}) is in the past; a notice cannot be backdated, so announce it now ({now}) or later",
                new.announced_at
            ),
        );
    }
    if new.effective_at < new.announced_at {
        errors.add(
            "effective_at",
            format!(
                "the version would take effect ({}) before it is announced ({}); set effective_at to the announcement time or later",
                new.effective_at, new.announced_at
            ),
        );
    } else if new.material {
        let needed = new
            .announced_at
            .plus_micros(MATERIAL_NOTICE_DAYS.saturating_mul(MICROS_PER_DAY));
        if new.effective_at < needed {
            let gap = new.effective_at.as_micros() - new.announced_at.as_micros();
            let short = needed.as_micros() - new.effective_at.as_micros();
            errors.add(
                "effective_at",
                format!(
                    "a material change needs at least {MATERIAL_NOTICE_DAYS} days' notice before it takes effect (privacy statement §9); this one takes effect {} after it is announced, {} short: set effective_at to {needed} or later, or mark the change as not material if it is a minor update",
                    days(gap / MICROS_PER_DAY),
                    days((short + MICROS_PER_DAY - 1) / MICROS_PER_DAY),
                ),
            );
        }
    }
    if let Some(latest) = same_kind.iter().max_by_key(|v| (v.effective_at, v.version))
        && new.effective_at < latest.effective_at
    {
        errors.add(
            "effective_at",
            format!(
                "version {} already takes effect at {}; a new version cannot take effect before it, so set effective_at to {} or later (withdraw version {} first if it should not happen)",
                latest.version, latest.effective_at, latest.effective_at, latest.version
            ),
        );
    }
    errors.into_result(())
}

/// The version of `kind` in force at `at`: the one that took effect last
/// at or before `at`, or `None` before the first one.
pub fn in_force(
    versions: &[PolicyVersion],
    kind: PolicyKind,
    at: Timestamp,
) -> Option<&PolicyVersion> {
    versions
        .iter()
        .filter(|v| v.kind == kind && v.effective_at <= at)
        .max_by_key(|v| (v.effective_at, v.version))
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = MICROS_PER_DAY;
    /// 1 March 2025, 12:00 UTC.
    const NOW: i64 = 1_740_830_400_000_000;

    fn at(offset_days: i64) -> Timestamp {
        Timestamp::from_micros(NOW + offset_days * DAY)
    }

    fn version(version: u32, announced: i64, effective: i64, material: bool) -> PolicyVersion {
        PolicyVersion {
            version,
            kind: PolicyKind::PrivacyStatement,
            announced_at: Timestamp::from_micros(announced),
            effective_at: Timestamp::from_micros(effective),
            material,
            summary: "We now keep usage logs for 30 days".into(),
        }
    }

    fn published() -> Vec<PolicyVersion> {
        vec![version(1, NOW - 400 * DAY, NOW - 365 * DAY, true)]
    }

    #[test]
    fn ten_days_notice_is_refused_and_says_how_short_it_is() {
        let new = version(2, NOW, NOW + 10 * DAY, true);
        let err = check_publication(&new, &published(), at(0)).unwrap_err();
        let msg = err.for_field("effective_at").unwrap();
        assert!(
            msg.contains("takes effect 10 days after it is announced, 20 days short"),
            "{msg}"
        );
        assert!(msg.contains(&at(30).to_string()), "{msg}");
    }

    #[test]
    fn thirty_days_notice_is_accepted() {
        let new = version(2, NOW, NOW + 30 * DAY, true);
        assert_eq!(check_publication(&new, &published(), at(0)), Ok(()));
        let later = version(2, NOW + DAY, NOW + 45 * DAY, true);
        assert_eq!(check_publication(&later, &published(), at(0)), Ok(()));
    }

    #[test]
    fn the_boundary_is_exact() {
        let exact = version(2, NOW, NOW + 30 * DAY, true);
        assert!(check_publication(&exact, &published(), at(0)).is_ok());
        let a_moment_short = version(2, NOW, NOW + 30 * DAY - 1, true);
        let err = check_publication(&a_moment_short, &published(), at(0)).unwrap_err();
        let msg = err.for_field("effective_at").unwrap();
        assert!(
            msg.contains("29 days after it is announced, 1 day short"),
            "{msg}"
        );
    }

    #[test]
    fn a_minor_change_may_take_effect_at_once() {
        let new = version(2, NOW, NOW, false);
        assert_eq!(check_publication(&new, &published(), at(0)), Ok(()));
    }

    #[test]
    fn publication_refuses_backdating_reuse_and_going_back() {
        let now = at(0);
        let existing = vec![
            version(1, NOW - 400 * DAY, NOW - 365 * DAY, true),
            // Version 2 is announced and scheduled 20 days from now.
            version(2, NOW - 10 * DAY, NOW + 20 * DAY, true),
        ];
        let backdated = version(3, NOW - DAY, NOW + 40 * DAY, true);
        let err = check_publication(&backdated, &existing, now).unwrap_err();
        assert!(
            err.for_field("announced_at")
                .unwrap()
                .contains("cannot be backdated"),
            "{err}"
        );

        let reused = version(2, NOW, NOW + 40 * DAY, true);
        let err = check_publication(&reused, &existing, now).unwrap_err();
        assert!(
            err.for_field("version")
                .unwrap()
                .contains("number it 3 or higher"),
            "{err}"
        );

        let overtakes = version(3, NOW, NOW + 10 * DAY, false);
        let err = check_publication(&overtakes, &existing, now).unwrap_err();
        assert!(
            err.for_field("effective_at")
                .unwrap()
                .contains("version 2 already takes effect"),
            "{err}"
        );

        let before_announcement = version(3, NOW + 5 * DAY, NOW + 4 * DAY, false);
        let err = check_publication(&before_announcement, &[], now).unwrap_err();
        assert!(
            err.for_field("effective_at")
                .unwrap()
                .contains("before it is announced"),
            "{err}"
        );

        let blank = PolicyVersion {
            summary: "  ".into(),
            ..version(3, NOW, NOW + 30 * DAY, true)
        };
        let err = check_publication(&blank, &existing, now).unwrap_err();
        assert_eq!(err.errors.len(), 1, "{err}");
        assert!(err.for_field("summary").is_some(), "{err}");

        // Versions of another document do not count.
        let cookies = PolicyVersion {
            kind: PolicyKind::CookiePolicy,
            ..version(1, NOW, NOW, false)
        };
        assert_eq!(check_publication(&cookies, &existing, now), Ok(()));
    }

    #[test]
    fn in_force_is_the_latest_version_already_effective() {
        let versions = vec![
            version(1, NOW - 400 * DAY, NOW - 365 * DAY, true),
            version(2, NOW - 10 * DAY, NOW + 20 * DAY, true),
            PolicyVersion {
                kind: PolicyKind::CookiePolicy,
                ..version(7, NOW, NOW, false)
            },
        ];
        let kind = PolicyKind::PrivacyStatement;
        assert_eq!(in_force(&versions, kind, at(-366)), None);
        assert_eq!(
            in_force(&versions, kind, at(-365)).map(|v| v.version),
            Some(1)
        );
        assert_eq!(
            in_force(&versions, kind, at(19)).map(|v| v.version),
            Some(1)
        );
        assert_eq!(
            in_force(&versions, kind, at(20)).map(|v| v.version),
            Some(2)
        );
        assert_eq!(
            in_force(&versions, PolicyKind::CookiePolicy, at(0)).map(|v| v.version),
            Some(7)
        );
        assert_eq!(
            in_force(&versions, PolicyKind::NoticeOfPrivacyPractices, at(0)),
            None
        );
    }

    proptest! {
        /// A material change is accepted exactly when its notice is at
        /// least 30 days; a minor one whenever it is not before its
        /// announcement.
        #[test]
        fn notice_rule(notice in 0i64..(60 * DAY), material in any::<bool>()) {
            let new = version(2, NOW, NOW + notice, material);
            let ok = check_publication(&new, &published(), at(0)).is_ok();
            prop_assert_eq!(ok, !material || notice >= MATERIAL_NOTICE_DAYS * DAY);
        }
    }
}
