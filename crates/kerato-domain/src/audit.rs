//! The audit trail's content (ASTM E2147-18 fields) and its hash chain.
//!
//! Each event stores the hash of the one before it, and its own hash over
//! its fields and that previous hash. Changing, deleting, inserting or
//! reordering any event breaks the chain at that event, and
//! [`verify_chain`] names the first one that does not fit.
//!
//! Two hash versions exist. Version 1 (events written before migration 21)
//! hashes every field. Version 2 hashes a [`subject_digest`] of the four
//! fields that can name or describe a patient (patient ID, old and new
//! values, detail) in their place, so that retention can pseudonymise an
//! event by nulling those four fields while the chain still verifies: an
//! event that still has its plaintext must match its digest, and one that
//! was pseudonymised verifies through the digest alone. A version 1 event
//! cannot be pseudonymised, because its hash needs the plaintext.

use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// The hash that precedes the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. The first seven are E2147's action types on data; the
/// rest are the security events ONC (d)(2) adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    View,
    Create,
    Update,
    Delete,
    Print,
    Export,
    Query,
    Login,
    LoginFailed,
    Logout,
    EmergencyAccess,
    PrivilegeChange,
}

impl AuditAction {
    pub const ALL: [AuditAction; 12] = [
        Self::View,
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Print,
        Self::Export,
        Self::Query,
        Self::Login,
        Self::LoginFailed,
        Self::Logout,
        Self::EmergencyAccess,
        Self::PrivilegeChange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Print => "print",
            Self::Export => "export",
            Self::Query => "query",
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::Logout => "logout",
            Self::EmergencyAccess => "emergency_access",
            Self::PrivilegeChange => "privilege_change",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl From<crate::identity::Action> for AuditAction {
    fn from(a: crate::identity::Action) -> Self {
        use crate::identity::Action as A;
        match a {
            A::View => Self::View,
            A::Create => Self::Create,
            A::Update => Self::Update,
            A::Delete => Self::Delete,
            A::Print => Self::Print,
            A::Export => Self::Export,
            A::Query => Self::Query,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// An event before it takes its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub id: String,
    pub at: Timestamp,
    pub organisation_id: Option<String>,
    pub user_id: Option<String>,
    pub patient_id: Option<String>,
    pub action: AuditAction,
    /// The resource kind (`location`, `patient`, `user`, …).
    pub resource: String,
    pub resource_id: Option<String>,
    /// The category of data touched (E2147 7.1.9), such as `demographics`.
    pub category: String,
    /// JSON of the values before a change or deletion (E2147 7.1.8).
    pub old_value: Option<String>,
    /// JSON of the values after a creation or change.
    pub new_value: Option<String>,
    pub source_ip: Option<String>,
    pub outcome: Outcome,
    /// True when only a break-glass grant allowed the action.
    pub emergency: bool,
    /// Why: the denial reason, or the break-glass justification.
    pub detail: Option<String>,
}

/// The hash version of events written before migration 21, whose hash
/// covers every field.
pub const HASH_V1: i64 = 1;

/// The hash version new events are written with: the hash covers the
/// [`subject_digest`] instead of the patient-bearing fields.
pub const HASH_V2: i64 = 2;

/// An event as stored: its place, its hashes, and whether retention has
/// pseudonymised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub event: NewAuditEvent,
    /// [`HASH_V1`] or [`HASH_V2`]; any other value fails verification.
    pub hash_version: i64,
    /// The [`subject_digest`] of a version 2 event, kept when the event is
    /// pseudonymised; `None` on a version 1 event.
    pub subject_digest: Option<String>,
    /// When retention nulled the patient-bearing fields, if it has.
    pub pseudonymised_at: Option<Timestamp>,
    pub prev_hash: String,
    pub hash: String,
}

fn put(h: &mut Sha256, field: Option<&str>) {
    // Length-prefixed, with absence distinct from the empty string, so no
    // two different events serialise to the same bytes.
    match field {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// The hex SHA-256 of the fields that can name or describe a patient:
/// the patient ID, the old and new values and the detail. A version 2
/// event's hash covers this digest instead of those fields, so nulling
/// them later leaves the chain intact.
pub fn subject_digest(e: &NewAuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(b"kerato-audit-subject-v2");
    put(&mut h, e.patient_id.as_deref());
    put(&mut h, e.old_value.as_deref());
    put(&mut h, e.new_value.as_deref());
    put(&mut h, e.detail.as_deref());
    hex::encode(h.finalize())
}

/// Whether the patient-bearing fields are all gone, as pseudonymising
/// leaves them.
fn subject_is_erased(e: &NewAuditEvent) -> bool {
    e.patient_id.is_none() && e.old_value.is_none() && e.new_value.is_none() && e.detail.is_none()
}

/// The version 1 hash of an event at position `seq` following
/// `prev_hash`: every field, plaintext included. Only events written
/// before migration 21 carry it; it is public so tests can plant them.
pub fn event_hash_v1(seq: i64, e: &NewAuditEvent, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"kerato-audit-v1");
    h.update(seq.to_be_bytes());
    put(&mut h, Some(prev_hash));
    put(&mut h, Some(&e.id));
    h.update(e.at.as_micros().to_be_bytes());
    put(&mut h, e.organisation_id.as_deref());
    put(&mut h, e.user_id.as_deref());
    put(&mut h, e.patient_id.as_deref());
    put(&mut h, Some(e.action.as_str()));
    put(&mut h, Some(&e.resource));
    put(&mut h, e.resource_id.as_deref());
    put(&mut h, Some(&e.category));
    put(&mut h, e.old_value.as_deref());
    put(&mut h, e.new_value.as_deref());
    put(&mut h, e.source_ip.as_deref());
    put(&mut h, Some(e.outcome.as_str()));
    h.update([u8::from(e.emergency)]);
    put(&mut h, e.detail.as_deref());
    hex::encode(h.finalize())
}

/// The version 2 hash: the fields of version 1 except the four that
/// `subject_digest` stands for, then that digest. The version is covered
/// by the leading tag, which differs from version 1's, so an event cannot
/// be passed off as the other version.
fn event_hash_v2(seq: i64, e: &NewAuditEvent, prev_hash: &str, subject_digest: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"kerato-audit-v2");
    h.update(seq.to_be_bytes());
    put(&mut h, Some(prev_hash));
    put(&mut h, Some(&e.id));
    h.update(e.at.as_micros().to_be_bytes());
    put(&mut h, e.organisation_id.as_deref());
    put(&mut h, e.user_id.as_deref());
    put(&mut h, Some(e.action.as_str()));
    put(&mut h, Some(&e.resource));
    put(&mut h, e.resource_id.as_deref());
    put(&mut h, Some(&e.category));
    put(&mut h, e.source_ip.as_deref());
    put(&mut h, Some(e.outcome.as_str()));
    h.update([u8::from(e.emergency)]);
    put(&mut h, Some(subject_digest));
    hex::encode(h.finalize())
}

/// Places an event after `(prev_seq, prev_hash)`, with the current hash
/// version.
pub fn chain(prev_seq: i64, prev_hash: &str, event: NewAuditEvent) -> AuditEvent {
    let seq = prev_seq + 1;
    let digest = subject_digest(&event);
    let hash = event_hash_v2(seq, &event, prev_hash, &digest);
    AuditEvent {
        seq,
        event,
        hash_version: HASH_V2,
        subject_digest: Some(digest),
        pseudonymised_at: None,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

impl AuditEvent {
    /// The hash this event's content calls for, or `None` when the content
    /// cannot be right whatever the hash: an unknown version, a version 1
    /// event with a digest or marked pseudonymised, a version 2 event
    /// without a digest, plaintext that no longer matches its digest, or a
    /// pseudonymised event that still has plaintext.
    fn expected_hash(&self) -> Option<String> {
        let e = &self.event;
        match self.hash_version {
            HASH_V1 if self.subject_digest.is_none() && self.pseudonymised_at.is_none() => {
                Some(event_hash_v1(self.seq, e, &self.prev_hash))
            }
            HASH_V2 => {
                let digest = self.subject_digest.as_deref()?;
                let subject_fits = match self.pseudonymised_at {
                    None => subject_digest(e) == digest,
                    Some(_) => subject_is_erased(e),
                };
                subject_fits.then(|| event_hash_v2(self.seq, e, &self.prev_hash, digest))
            }
            _ => None,
        }
    }
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq} (id {id}): its content does not match its hash: the event was changed")]
    Altered { seq: i64, id: String },
    #[error(
        "event {seq} (id {id}): expected position {expected}: an event before it was deleted or events were inserted or reordered"
    )]
    Gap { seq: i64, id: String, expected: i64 },
    #[error(
        "event {seq} (id {id}): it does not follow the event before it: events were deleted, inserted or reordered"
    )]
    Broken { seq: i64, id: String },
    #[error(
        "the chain ends at event {last} but the recorded head is event {head}: events at the end were deleted"
    )]
    Truncated { last: i64, head: i64 },
    #[error(
        "the chain ends with hash {last} but the recorded head hash is {head}: the last events were replaced"
    )]
    HeadMismatch { last: String, head: String },
}

/// Checks events one at a time, in `seq` order, so millions of them can be
/// streamed through without holding them all.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn next(&mut self, e: &AuditEvent) -> Result<(), ChainError> {
        let id = e.event.id.clone();
        if e.seq != self.expected_seq {
            return Err(ChainError::Gap {
                seq: e.seq,
                id,
                expected: self.expected_seq,
            });
        }
        if e.expected_hash().as_deref() != Some(e.hash.as_str()) {
            return Err(ChainError::Altered { seq: e.seq, id });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainError::Broken { seq: e.seq, id });
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// Compares the end of the chain with the head the store recorded.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainError> {
        let last = self.expected_seq - 1;
        if last != head_seq {
            return Err(ChainError::Truncated {
                last,
                head: head_seq,
            });
        }
        if self.prev_hash != head_hash {
            return Err(ChainError::HeadMismatch {
                last: self.prev_hash.clone(),
                head: head_hash.to_string(),
            });
        }
        Ok(last)
    }
}

/// Verifies a whole chain held in memory.
pub fn verify_chain(
    events: &[AuditEvent],
    head_seq: i64,
    head_hash: &str,
) -> Result<i64, ChainError> {
    let mut v = ChainVerifier::default();
    for e in events {
        v.next(e)?;
    }
    v.finish(head_seq, head_hash)
}

/// The columns an audit report may be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Time,
    User,
    Patient,
    Action,
    Outcome,
}

/// Filters of the audit report; `None` means any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub organisation: crate::ids::OrganisationId,
    pub patient_id: Option<String>,
    pub user_id: Option<String>,
    pub action: Option<AuditAction>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub sort: SortBy,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl AuditEvent {
        /// Pseudonymises the event as the store's retention update does:
        /// nulls the fields the subject digest covers and records when.
        /// Only a version 2 event not pseudonymised yet changes; for any
        /// other, `false` is returned, as the store's update matches no row.
        fn pseudonymise(&mut self, at: Timestamp) -> bool {
            if self.hash_version != HASH_V2 || self.pseudonymised_at.is_some() {
                return false;
            }
            let e = &mut self.event;
            e.patient_id = None;
            e.old_value = None;
            e.new_value = None;
            e.detail = None;
            self.pseudonymised_at = Some(at);
            true
        }
    }

    fn event(n: i64) -> NewAuditEvent {
        NewAuditEvent {
            id: format!("ev-{n}"),
            at: Timestamp::from_micros(n * 1000),
            organisation_id: Some("org".into()),
            user_id: Some(format!("user-{}", n % 3)),
            patient_id: (n % 2 == 0).then(|| format!("pt-{n}")),
            action: AuditAction::ALL[(n as usize) % 12],
            resource: "patient".into(),
            resource_id: Some(format!("r{n}")),
            category: "demographics".into(),
            old_value: None,
            new_value: Some(format!("{{\"n\":{n}}}")),
            source_ip: Some("127.0.0.1".into()),
            outcome: if n % 5 == 0 {
                Outcome::Denied
            } else {
                Outcome::Allowed
            },
            emergency: n % 7 == 0,
            detail: None,
        }
    }

    fn build(n: i64) -> Vec<AuditEvent> {
        let mut out: Vec<AuditEvent> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS_HASH.to_string()), |e| (e.seq, e.hash.clone()));
            out.push(chain(seq, &hash, event(i)));
        }
        out
    }

    fn head(events: &[AuditEvent]) -> (i64, String) {
        events
            .last()
            .map_or((0, GENESIS_HASH.into()), |e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = build(20);
        let (s, h) = head(&events);
        assert_eq!(verify_chain(&events, s, &h), Ok(20));
        assert_eq!(verify_chain(&[], 0, GENESIS_HASH), Ok(0));
    }

    proptest! {
        #[test]
        fn any_change_is_found_at_that_event(n in 2i64..30, victim in 0usize..30, byte in 0usize..12) {
            let mut events = build(n);
            let (s, h) = head(&events);
            let victim = victim % events.len();
            let v = &mut events[victim].event;
            let mut chars: Vec<char> = v.category.chars().collect();
            let i = byte % chars.len();
            chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
            v.category = chars.into_iter().collect();
            let err = verify_chain(&events, s, &h).unwrap_err();
            prop_assert_eq!(err, ChainError::Altered { seq: victim as i64 + 1, id: format!("ev-{victim}") });
        }

        #[test]
        fn deleting_an_event_is_found(n in 2i64..30, victim in 0usize..30) {
            let mut events = build(n);
            let (s, h) = head(&events);
            let victim = victim % events.len();
            events.remove(victim);
            let err = verify_chain(&events, s, &h).unwrap_err();
            if victim == events.len() {
                let truncated = matches!(err, ChainError::Truncated { .. });
                prop_assert!(truncated, "{:?}", err);
            } else {
                let is_gap = matches!(err, ChainError::Gap { seq, .. } if seq == victim as i64 + 2);
                prop_assert!(is_gap, "{:?}", err);
            }
        }

        #[test]
        fn swapping_two_events_is_found(n in 3i64..30, a in 0usize..30, b in 0usize..30) {
            let mut events = build(n);
            let (s, h) = head(&events);
            let (a, b) = (a % events.len(), b % events.len());
            prop_assume!(a != b);
            // Swap contents but keep the positions, as an attacker who
            // reorders rows and renumbers them would.
            let (lo, hi) = (a.min(b), a.max(b));
            let tmp = events[lo].clone();
            events[lo] = AuditEvent { seq: events[lo].seq, ..events[hi].clone() };
            events[hi] = AuditEvent { seq: events[hi].seq, ..tmp };
            let err = verify_chain(&events, s, &h).unwrap_err();
            let at_lo = matches!(err, ChainError::Altered { seq, .. } if seq == lo as i64 + 1);
            prop_assert!(at_lo, "{:?}", err);
        }
    }

    /// Every way of changing one stored field of an event, by index, so a
    /// property can pick one: the content, the version and the digest.
    const FIELD_CHANGES: usize = 17;

    fn change_field(e: &mut AuditEvent, which: usize) {
        let flip = |v: &mut Option<String>| {
            *v = match v.take() {
                Some(s) => Some(format!("{s}x")),
                None => Some(String::new()),
            }
        };
        let v = &mut e.event;
        match which {
            0 => v.id.push('x'),
            1 => v.at = Timestamp::from_micros(v.at.as_micros() + 1),
            2 => flip(&mut v.organisation_id),
            3 => flip(&mut v.user_id),
            4 => flip(&mut v.patient_id),
            5 => {
                v.action = if v.action == AuditAction::View {
                    AuditAction::Export
                } else {
                    AuditAction::View
                }
            }
            6 => v.resource.push('x'),
            7 => flip(&mut v.resource_id),
            8 => v.category.push('x'),
            9 => flip(&mut v.old_value),
            10 => flip(&mut v.new_value),
            11 => flip(&mut v.source_ip),
            12 => {
                v.outcome = match v.outcome {
                    Outcome::Allowed => Outcome::Denied,
                    Outcome::Denied => Outcome::Allowed,
                }
            }
            13 => v.emergency = !v.emergency,
            14 => flip(&mut v.detail),
            15 => {
                e.hash_version = if e.hash_version == HASH_V1 {
                    HASH_V2
                } else {
                    HASH_V1
                }
            }
            _ => flip(&mut e.subject_digest),
        }
    }

    /// A chain whose first `v1` events carry the version 1 hash, as a
    /// trail started before migration 21 does.
    fn build_mixed(n: i64, v1: i64) -> Vec<AuditEvent> {
        let mut out = build(n);
        let mut prev = GENESIS_HASH.to_string();
        for e in &mut out {
            if e.seq <= v1 {
                e.hash_version = HASH_V1;
                e.subject_digest = None;
            }
            e.prev_hash = prev.clone();
            e.hash = match e.hash_version {
                HASH_V1 => event_hash_v1(e.seq, &e.event, &prev),
                _ => event_hash_v2(e.seq, &e.event, &prev, &subject_digest(&e.event)),
            };
            prev = e.hash.clone();
        }
        out
    }

    #[test]
    fn a_pseudonymised_event_verifies_and_a_version_1_event_cannot_be() {
        let mut events = build_mixed(10, 4);
        let (s, h) = head(&events);
        assert_eq!(verify_chain(&events, s, &h), Ok(10));
        for e in &mut events {
            let v2 = e.hash_version == HASH_V2;
            assert_eq!(e.pseudonymise(Timestamp::from_micros(7)), v2);
            // Twice is the same as once: the first time is kept.
            assert!(!e.pseudonymise(Timestamp::from_micros(8)));
        }
        assert_eq!(verify_chain(&events, s, &h), Ok(10));
        assert!(events[4..].iter().all(|e| e.event.patient_id.is_none()
            && e.event.new_value.is_none()
            && e.pseudonymised_at == Some(Timestamp::from_micros(7))));
        assert!(events[..4].iter().all(|e| e.pseudonymised_at.is_none()));
        assert!(
            events[2].event.patient_id.is_some(),
            "version 1 keeps its plaintext"
        );

        // Nulling a version 1 event's patient, the way retention nulls a
        // version 2 one, breaks it.
        let mut forged = events.clone();
        forged[2].event.patient_id = None;
        forged[2].pseudonymised_at = Some(Timestamp::from_micros(7));
        assert_eq!(
            verify_chain(&forged, s, &h),
            Err(ChainError::Altered {
                seq: 3,
                id: "ev-2".into()
            })
        );
        // Plaintext put back after pseudonymisation is found, and so is a
        // pseudonymised event passed off as never pseudonymised.
        let mut forged = events.clone();
        forged[6].event.patient_id = Some("pt-6".into());
        assert_eq!(
            verify_chain(&forged, s, &h),
            Err(ChainError::Altered {
                seq: 7,
                id: "ev-6".into()
            })
        );
        let mut forged = events.clone();
        forged[6].pseudonymised_at = None;
        assert_eq!(
            verify_chain(&forged, s, &h),
            Err(ChainError::Altered {
                seq: 7,
                id: "ev-6".into()
            })
        );
        // An unknown version fits no hash.
        let mut forged = events;
        forged[8].hash_version = 3;
        assert_eq!(
            verify_chain(&forged, s, &h),
            Err(ChainError::Altered {
                seq: 9,
                id: "ev-8".into()
            })
        );
    }

    proptest! {
        /// Any field of any event, version 1 or 2, pseudonymised or not,
        /// changed in any way, is found at that event; the time it was
        /// pseudonymised is the one field outside the hash.
        #[test]
        fn a_change_to_any_field_is_found(
            n in 2i64..20,
            v1 in 0i64..20,
            victim in 0usize..20,
            field in 0usize..FIELD_CHANGES,
            pseudonymised in proptest::collection::vec(any::<bool>(), 20),
        ) {
            let mut events = build_mixed(n, v1 % n);
            for (e, p) in events.iter_mut().zip(&pseudonymised) {
                if *p {
                    e.pseudonymise(Timestamp::from_micros(1));
                }
            }
            let (s, h) = head(&events);
            prop_assert_eq!(verify_chain(&events, s, &h), Ok(n));
            let victim = victim % events.len();
            change_field(&mut events[victim], field);
            let err = verify_chain(&events, s, &h).unwrap_err();
            prop_assert_eq!(err, ChainError::Altered { seq: victim as i64 + 1, id: events[victim].event.id.clone() });
        }
    }

    #[test]
    fn the_digest_covers_each_patient_field_and_absence() {
        let base = event(2);
        let mut seen = std::collections::BTreeSet::new();
        seen.insert(subject_digest(&base));
        for which in [4, 9, 10, 14] {
            let mut e = chain(0, GENESIS_HASH, base.clone());
            change_field(&mut e, which);
            assert!(seen.insert(subject_digest(&e.event)), "field {which}");
        }
        // Absent and empty differ.
        let empty = NewAuditEvent {
            detail: Some(String::new()),
            ..base.clone()
        };
        assert_ne!(subject_digest(&empty), subject_digest(&base));
    }

    #[test]
    fn an_inserted_event_is_found() {
        let mut events = build(5);
        let (s, h) = head(&events);
        let forged = chain(2, &events[1].hash, event(99));
        events.insert(2, forged);
        for e in events.iter_mut().skip(3) {
            e.seq += 1;
        }
        let err = verify_chain(&events, s, &h).unwrap_err();
        assert!(matches!(err, ChainError::Altered { seq: 4, .. }), "{err:?}");
    }
}
