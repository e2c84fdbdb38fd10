-- PostgreSQL: a signed exam's sections, amendments, prescriptions and
-- releases can never be changed in place.
CREATE FUNCTION kerato_signed_exam_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    exam TEXT;
BEGIN
    IF TG_TABLE_NAME = 'eye_exams' THEN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION 'a signed exam cannot be changed; add an amendment';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN exam := NEW.exam_id; ELSE exam := OLD.exam_id; END IF;
    IF (SELECT status FROM eye_exams WHERE id = exam) = 'signed' THEN
        RAISE EXCEPTION 'a signed exam cannot be changed; add an amendment';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER eye_exams_signed_stay_signed BEFORE UPDATE ON eye_exams
FOR EACH ROW EXECUTE FUNCTION kerato_signed_exam_guard();
CREATE TRIGGER eye_exam_sections_signed BEFORE INSERT OR UPDATE OR DELETE ON eye_exam_sections
FOR EACH ROW EXECUTE FUNCTION kerato_signed_exam_guard();

CREATE FUNCTION kerato_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows cannot be changed in place', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER eye_exam_amendments_append_only BEFORE UPDATE OR DELETE ON eye_exam_amendments
FOR EACH ROW EXECUTE FUNCTION kerato_immutable();
CREATE TRIGGER prescriptions_immutable BEFORE UPDATE ON prescriptions
FOR EACH ROW EXECUTE FUNCTION kerato_immutable();
CREATE TRIGGER rx_releases_immutable BEFORE UPDATE ON rx_releases
FOR EACH ROW EXECUTE FUNCTION kerato_immutable();
CREATE TRIGGER rx_confirmations_immutable BEFORE UPDATE ON rx_confirmations
FOR EACH ROW EXECUTE FUNCTION kerato_immutable();
