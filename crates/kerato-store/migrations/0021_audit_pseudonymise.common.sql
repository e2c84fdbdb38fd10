-- Audit events that retention can pseudonymise. New events carry hash
-- version 2: their hash covers subject_digest, a SHA-256 of patient_id,
-- old_value, new_value and detail, instead of those four fields, so the
-- retention job can null them (and record when in pseudonymised_at) once
-- the event's period has ended, and the chain still verifies. Events
-- written before this migration keep version 1, whose hash covers the
-- plaintext: they cannot be pseudonymised and stay as they are.
ALTER TABLE audit_events ADD COLUMN hash_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN subject_digest TEXT;
ALTER TABLE audit_events ADD COLUMN pseudonymised_at BIGINT;
-- The retention job's listing: a practice's events that could still be
-- pseudonymised, in chain order. Pseudonymised and version 1 events leave
-- the index, so it shrinks as the job does its work.
CREATE INDEX audit_events_pseudonymisable ON audit_events (organisation_id, seq)
WHERE hash_version = 2 AND pseudonymised_at IS NULL;
