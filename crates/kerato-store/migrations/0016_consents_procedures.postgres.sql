-- PostgreSQL: consent answers and procedure notes are never changed in
-- place (kerato_immutable comes from migration 12).
CREATE TRIGGER consents_immutable BEFORE UPDATE ON consents
FOR EACH ROW EXECUTE FUNCTION kerato_immutable();
CREATE TRIGGER procedures_immutable BEFORE UPDATE ON procedures
FOR EACH ROW EXECUTE FUNCTION kerato_immutable();
