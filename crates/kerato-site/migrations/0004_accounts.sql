-- Customer accounts (one per practice), the people who sign in (customer
-- users and vendor staff), invitations and sessions.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    practice_name TEXT NOT NULL,
    specialty TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- Set when the customer closes the account: the start of the
    -- "1 year after closure" retention clock.
    closed_at BIGINT,
    last_activity_at BIGINT NOT NULL
);

-- Customer users have an account; vendor staff have none.
CREATE TABLE site_users (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    password_hash TEXT,
    totp_secret TEXT,
    totp_last_step BIGINT,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX site_users_account ON site_users (account_id);

CREATE TABLE site_invitations (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES site_users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Server-side sessions: the cookie holds a random token whose SHA-256 is
-- the key here.
CREATE TABLE site_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES site_users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    mfa_pending BIGINT NOT NULL
);
CREATE INDEX site_sessions_user ON site_sessions (user_id);
