-- The vendor site's own database. It holds business contacts, accounts,
-- tickets and preferences, never protected health information:
-- tests/boundary.rs scans every column name for PHI-like ones.

-- The site's audit trail, hash-chained like the clinic's: who did what to
-- which record (redactions, rights requests, account changes). `subject`
-- names a record by kind and ID, never by its content.
CREATE TABLE site_audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX site_audit_subject ON site_audit (subject, at);

-- The end of the chain. Appending updates this one row first, which
-- serialises appends on PostgreSQL (the row lock) as the single writer
-- does on SQLite.
CREATE TABLE site_audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO site_audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Versioned policy documents (privacy statement, cookie policy).
CREATE TABLE site_policies (
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    summary TEXT NOT NULL,
    material BIGINT NOT NULL,
    announced_at BIGINT NOT NULL,
    effective_at BIGINT NOT NULL,
    PRIMARY KEY (kind, version)
);
