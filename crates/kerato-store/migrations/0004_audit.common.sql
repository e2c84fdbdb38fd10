-- The audit trail: one row per event, hash-chained; audit_head holds the
-- position and hash of the last event so a truncated chain shows.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    id TEXT NOT NULL,
    at BIGINT NOT NULL,
    organisation_id TEXT,
    user_id TEXT,
    patient_id TEXT,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    resource_id TEXT,
    category TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    source_ip TEXT,
    outcome TEXT NOT NULL,
    emergency BIGINT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (organisation_id, at);
CREATE INDEX audit_events_patient ON audit_events (organisation_id, patient_id, at);
CREATE INDEX audit_events_user ON audit_events (organisation_id, user_id, at);
CREATE INDEX audit_events_action ON audit_events (organisation_id, action, at);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
