-- SQLite: an update is refused unless it is retention's pseudonymisation
-- of a version 2 event not yet pseudonymised, which nulls the four
-- patient-bearing columns, sets pseudonymised_at and changes nothing else.
-- Every other column is named here, so a column added to audit_events
-- later must be added to this list by the migration that adds it.
-- Deletions stay refused by migration 4's trigger.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (
    OLD.hash_version = 2 AND OLD.pseudonymised_at IS NULL
    AND NEW.pseudonymised_at IS NOT NULL
    AND NEW.patient_id IS NULL AND NEW.old_value IS NULL
    AND NEW.new_value IS NULL AND NEW.detail IS NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.at IS OLD.at
    AND NEW.organisation_id IS OLD.organisation_id AND NEW.user_id IS OLD.user_id
    AND NEW.action IS OLD.action AND NEW.resource IS OLD.resource
    AND NEW.resource_id IS OLD.resource_id AND NEW.category IS OLD.category
    AND NEW.source_ip IS OLD.source_ip AND NEW.outcome IS OLD.outcome
    AND NEW.emergency IS OLD.emergency AND NEW.prev_hash IS OLD.prev_hash
    AND NEW.hash IS OLD.hash AND NEW.hash_version IS OLD.hash_version
    AND NEW.subject_digest IS OLD.subject_digest
)
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: only the retention job may pseudonymise a version 2 event, once'); END;
