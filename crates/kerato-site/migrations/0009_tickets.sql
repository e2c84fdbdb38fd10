-- Support tickets from the portal and from e-mail, and their threads.
-- Subjects and bodies are stored only after the PHI guard has redacted
-- them; `redaction_note` keeps the count by kind (never the text) so the
-- author can be told what was removed.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    -- Empty for e-mail from a sender who matches no customer user.
    account_id TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    author_user_id TEXT REFERENCES site_users (id) ON DELETE SET NULL,
    from_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_to TEXT REFERENCES site_users (id) ON DELETE SET NULL,
    -- Set by staff when the writer is a child under 13: the retention job
    -- deletes such tickets at its next run.
    under_13 BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL
);
CREATE INDEX tickets_account ON tickets (account_id, last_activity_at);
CREATE INDEX tickets_status ON tickets (status, last_activity_at);

CREATE TABLE ticket_messages (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    -- customer, staff or email
    author_kind TEXT NOT NULL,
    author_id TEXT,
    body TEXT NOT NULL,
    redaction_note TEXT,
    created_at BIGINT NOT NULL,
    -- The RFC 5322 Message-ID of an imported e-mail (so a re-import skips
    -- it) or of the e-mail a staff reply was sent as (so an answer to it
    -- threads).
    message_id TEXT UNIQUE
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, created_at);
