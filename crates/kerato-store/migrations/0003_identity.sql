-- Staff accounts, their locations, sign-in state, sessions, invitations,
-- break-glass grants, the in-app inbox and the e-mail outbox.
ALTER TABLE organisations ADD COLUMN mfa_required_for_all BIGINT NOT NULL DEFAULT 1;
ALTER TABLE organisations ADD COLUMN session_idle_minutes BIGINT NOT NULL DEFAULT 15;

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    all_locations BIGINT NOT NULL,
    password_hash TEXT,
    mfa_secret TEXT,
    mfa_last_step BIGINT,
    failed_logins BIGINT NOT NULL,
    locked_until BIGINT,
    active BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE user_locations (
    user_id TEXT NOT NULL REFERENCES users (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    PRIMARY KEY (user_id, location_id)
);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    stage TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    source_ip TEXT,
    -- A TOTP secret shown for enrolment, kept until the user confirms a code.
    mfa_pending_secret TEXT,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE emergency_grants (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    reason TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX emergency_grants_user ON emergency_grants (user_id, expires_at);

CREATE TABLE inbox_messages (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX inbox_messages_user ON inbox_messages (user_id, created_at);

CREATE TABLE email_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts BIGINT NOT NULL,
    -- Set for messages that must be queued at most once (a reminder per
    -- appointment); NULL for one-off messages.
    idempotency_key TEXT UNIQUE,
    -- When the next delivery attempt is due (retries back off).
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    -- A worker that claimed the message holds it until then.
    claimed_until BIGINT,
    last_error TEXT
);

CREATE TABLE disclosures (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL,
    disclosed_at BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    purpose TEXT NOT NULL,
    description TEXT NOT NULL,
    disclosed_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX disclosures_patient ON disclosures (organisation_id, patient_id, disclosed_at);
