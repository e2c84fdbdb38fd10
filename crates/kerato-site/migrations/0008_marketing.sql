-- Marketing contacts and campaigns. Whether a contact may be e-mailed is
-- never stored here: the consent registry (site_consents, purpose
-- marketing_email) is the only source of truth for that.
CREATE TABLE marketing_contacts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    practice TEXT,
    -- How the agreement was first given (a consent source: form, staff, …).
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The last interaction, which starts the 3-year marketing-data clock.
    last_interaction_at BIGINT NOT NULL
);

-- A message written once and sent once: marketing or a software-update
-- announcement.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

-- Who a campaign was queued for, with the SHA-256 of the random token in
-- that message's unsubscribe link (the token itself is only in the e-mail).
CREATE TABLE campaign_sends (
    campaign_id TEXT NOT NULL,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    queued_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, email)
);
