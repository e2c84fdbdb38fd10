-- SQLite: one trigger per table and kind of change moves the set-up version.
-- A provider's update moves it only when a column other than the booking
-- lock (booking_seq) changes; that lock moves with every booking.

CREATE TRIGGER providers_insert_version AFTER INSERT ON providers
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER providers_update_version AFTER UPDATE OF id, organisation_id, name, specialties ON providers
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER providers_delete_version AFTER DELETE ON providers
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_locations_insert_version AFTER INSERT ON provider_locations
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_locations_update_version AFTER UPDATE ON provider_locations
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_locations_delete_version AFTER DELETE ON provider_locations
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_windows_insert_version AFTER INSERT ON provider_windows
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_windows_update_version AFTER UPDATE ON provider_windows
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_windows_delete_version AFTER DELETE ON provider_windows
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_breaks_insert_version AFTER INSERT ON provider_breaks
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_breaks_update_version AFTER UPDATE ON provider_breaks
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER provider_breaks_delete_version AFTER DELETE ON provider_breaks
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER locations_insert_version AFTER INSERT ON locations
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER locations_update_version AFTER UPDATE ON locations
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER locations_delete_version AFTER DELETE ON locations
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER appointment_types_insert_version AFTER INSERT ON appointment_types
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER appointment_types_update_version AFTER UPDATE ON appointment_types
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER appointment_types_delete_version AFTER DELETE ON appointment_types
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER appointment_type_resources_insert_version AFTER INSERT ON appointment_type_resources
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER appointment_type_resources_update_version AFTER UPDATE ON appointment_type_resources
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER appointment_type_resources_delete_version AFTER DELETE ON appointment_type_resources
BEGIN UPDATE reference_version SET n = n + 1 WHERE id = 1; END;
