-- PostgreSQL: one statement-level trigger per table moves the set-up
-- version. A provider's update moves it only when a column other than the
-- booking lock (booking_seq) changes; that lock moves with every booking.
CREATE FUNCTION kerato_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER providers_version AFTER INSERT OR UPDATE OF id, organisation_id, name, specialties OR DELETE ON providers
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER provider_locations_version AFTER INSERT OR UPDATE OR DELETE ON provider_locations
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER provider_windows_version AFTER INSERT OR UPDATE OR DELETE ON provider_windows
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER provider_breaks_version AFTER INSERT OR UPDATE OR DELETE ON provider_breaks
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER locations_version AFTER INSERT OR UPDATE OR DELETE ON locations
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER appointment_types_version AFTER INSERT OR UPDATE OR DELETE ON appointment_types
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER appointment_type_resources_version AFTER INSERT OR UPDATE OR DELETE ON appointment_type_resources
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
