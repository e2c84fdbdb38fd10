-- Privacy rights requests: who asked, for what, on which legal clock.
-- `timeline` is the domain's record of each step with its time (JSON),
-- from which the state is derived; `state` repeats it for the dashboard.
-- The patient is linked when the requester's identity is verified.
CREATE TABLE rights_requests (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT REFERENCES patients (id),
    requester_name TEXT NOT NULL,
    -- Date of birth, e-mail and phone as given, as JSON.
    requester_contact TEXT NOT NULL,
    details TEXT NOT NULL,
    channel TEXT NOT NULL,
    gpc BIGINT NOT NULL CHECK (gpc IN (0, 1)),
    request_type TEXT NOT NULL,
    regime TEXT NOT NULL,
    state TEXT NOT NULL,
    timeline TEXT NOT NULL,
    identity_note TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rights_requests_open ON rights_requests (organisation_id, state);

-- Alarms already sent, by key, so each goes out once.
CREATE TABLE rights_request_alarms (
    alarm_key TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests (id),
    kind TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);

-- One-time download links for fulfilled access requests. Only the
-- SHA-256 of the token is kept: the token itself is in the link the
-- requester was given, once. The package is an encrypted attachment named
-- by `file_id`, deleted when downloaded or expired.
CREATE TABLE download_links (
    token_hash TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES rights_requests (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    file_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Versioned policy documents (privacy statement, notice of privacy
-- practices, cookie policy) and who acknowledged which version.
CREATE TABLE policy_versions (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    announced_at BIGINT NOT NULL,
    effective_at BIGINT NOT NULL,
    material BIGINT NOT NULL CHECK (material IN (0, 1)),
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, kind, version)
);

CREATE TABLE policy_acceptances (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('patient', 'contact')),
    subject_id TEXT NOT NULL,
    accepted_at BIGINT NOT NULL,
    recorded_by TEXT,
    PRIMARY KEY (organisation_id, kind, version, subject_kind, subject_id)
);
