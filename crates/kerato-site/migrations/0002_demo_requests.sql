-- Demo requests from the public form, and the pipeline vendor staff move
-- them through.
CREATE TABLE demo_requests (
    id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    practice_name TEXT NOT NULL,
    specialty TEXT NOT NULL,
    message TEXT,
    stage TEXT NOT NULL,
    stage_at BIGINT NOT NULL,
    -- The last interaction, which starts the 3-year marketing-data clock.
    last_interaction_at BIGINT NOT NULL
);
CREATE INDEX demo_requests_stage ON demo_requests (stage, received_at);

-- Outgoing e-mail, delivered by the site's worker. `headers` is JSON
-- (name, value) pairs, e.g. the one-click unsubscribe headers.
CREATE TABLE site_outbox (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    headers TEXT NOT NULL,
    sent_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX site_outbox_due ON site_outbox (sent_at, next_attempt_at);
