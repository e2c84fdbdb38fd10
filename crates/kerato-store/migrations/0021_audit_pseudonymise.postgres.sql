-- PostgreSQL: deletions stay refused, and an update is refused unless it
-- is retention's pseudonymisation of a version 2 event not yet
-- pseudonymised, which nulls the four patient-bearing columns, sets
-- pseudonymised_at and changes nothing else. The rest of the row is
-- compared whole, so a column added later is guarded without naming it.
CREATE FUNCTION kerato_audit_pseudonymise_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.hash_version = 2 AND OLD.pseudonymised_at IS NULL
        AND NEW.pseudonymised_at IS NOT NULL
        AND NEW.patient_id IS NULL AND NEW.old_value IS NULL
        AND NEW.new_value IS NULL AND NEW.detail IS NULL
        AND to_jsonb(NEW) - ARRAY['patient_id', 'old_value', 'new_value', 'detail', 'pseudonymised_at']
            = to_jsonb(OLD) - ARRAY['patient_id', 'old_value', 'new_value', 'detail', 'pseudonymised_at']
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: only the retention job may pseudonymise a version 2 event, once';
END;
$$;
DROP TRIGGER audit_events_no_update ON audit_events;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION kerato_audit_pseudonymise_only();
