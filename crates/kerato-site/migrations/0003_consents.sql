-- The consent and preference registry of the vendor site: append-only
-- answers per subject and purpose; the current state is derived. A subject
-- is a contact (an e-mail address: marketing, sale/share) or a visitor (a
-- random ID kept in the consent cookie: analytics and preference cookies).
CREATE TABLE site_consents (
    id TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted BIGINT NOT NULL,
    source TEXT NOT NULL,
    policy_version TEXT,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX site_consents_subject ON site_consents (subject_kind, subject, recorded_at);
