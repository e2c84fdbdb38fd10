-- The set-up version moves with every column a booking reads of a provider
-- (still not with the booking lock), and with the new set-up tables.
DROP TRIGGER providers_version ON providers;
CREATE TRIGGER providers_version AFTER INSERT OR UPDATE OF id, organisation_id, name, specialties, user_id, credentials, npi, taxonomy_code, status, visit_types_limited OR DELETE ON providers
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER provider_visit_types_version AFTER INSERT OR UPDATE OR DELETE ON provider_visit_types
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
CREATE TRIGGER provider_hours_version AFTER INSERT OR UPDATE OR DELETE ON provider_hours
FOR EACH STATEMENT EXECUTE FUNCTION kerato_reference_changed();
