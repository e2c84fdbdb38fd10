-- The first-run set-up: each location's opening hours, the steps an
-- administrator chose to skip for now, and the e-mail and text-message
-- settings made from the set-up (the configuration file's, when set, win).
CREATE TABLE location_hours (
    location_id TEXT NOT NULL REFERENCES locations (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute BIGINT NOT NULL,
    closes_minute BIGINT NOT NULL CHECK (closes_minute > opens_minute),
    PRIMARY KEY (location_id, weekday)
);

CREATE TABLE setup_skips (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    step TEXT NOT NULL,
    by_user TEXT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, step)
);

-- One row for the installation: the mail worker is the server's.
CREATE TABLE messaging_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    smtp_url TEXT,
    from_address TEXT NOT NULL,
    sms_gateway_url TEXT,
    sms_token TEXT,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- The last test message: when, through which channel, and whether it
    -- went (the error's text when not, never a secret).
    tested_at BIGINT,
    tested_channel TEXT,
    test_error TEXT,
    test_passed BIGINT NOT NULL DEFAULT 0
);
