-- The set-up version moves with every column a booking reads of a provider
-- (still not with the booking lock), and with the new set-up tables.
DROP TRIGGER providers_update_version;
CREATE TRIGGER providers_update_version AFTER UPDATE OF id, organisation_id, name, specialties, user_id, credentials, npi, taxonomy_code, status, visit_types_limited ON providers
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_visit_types_insert_version AFTER INSERT ON provider_visit_types
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_visit_types_update_version AFTER UPDATE ON provider_visit_types
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_visit_types_delete_version AFTER DELETE ON provider_visit_types
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_hours_insert_version AFTER INSERT ON provider_hours
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_hours_update_version AFTER UPDATE ON provider_hours
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_hours_delete_version AFTER DELETE ON provider_hours
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
