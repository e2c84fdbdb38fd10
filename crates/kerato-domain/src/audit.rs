//! The audit trail's content (ASTM E2147-18 fields) and its hash chain.
//!
//! Each event stores the hash of the one before it, and its own hash over
//! all of its fields and that previous hash. Changing, deleting, inserting or
//! reordering any event breaks the chain at that event, and
//! [`verify_chain`] names the first one that does not fit.

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

/// An event as stored: its place and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub event: NewAuditEvent,
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

/// The hash of an event at position `seq` following `prev_hash`.
pub fn event_hash(seq: i64, e: &NewAuditEvent, prev_hash: &str) -> String {
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

/// Places an event after `(prev_seq, prev_hash)`.
pub fn chain(prev_seq: i64, prev_hash: &str, event: NewAuditEvent) -> AuditEvent {
    let seq = prev_seq + 1;
    let hash = event_hash(seq, &event, prev_hash);
    AuditEvent {
        seq,
        event,
        prev_hash: prev_hash.to_string(),
        hash,
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
        if event_hash(e.seq, &e.event, &e.prev_hash) != e.hash {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
