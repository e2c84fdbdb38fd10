-- SQLite: a signed exam's sections, amendments, prescriptions and releases
-- can never be changed in place.
CREATE TRIGGER eye_exams_signed_stay_signed BEFORE UPDATE ON eye_exams
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed exam cannot be changed; add an amendment'); END;
CREATE TRIGGER eye_exam_sections_no_insert_when_signed BEFORE INSERT ON eye_exam_sections
WHEN (SELECT status FROM eye_exams WHERE id = NEW.exam_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed exam cannot be changed; add an amendment'); END;
CREATE TRIGGER eye_exam_sections_no_update_when_signed BEFORE UPDATE ON eye_exam_sections
WHEN (SELECT status FROM eye_exams WHERE id = OLD.exam_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed exam cannot be changed; add an amendment'); END;
CREATE TRIGGER eye_exam_sections_no_delete_when_signed BEFORE DELETE ON eye_exam_sections
WHEN (SELECT status FROM eye_exams WHERE id = OLD.exam_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed exam cannot be changed; add an amendment'); END;
CREATE TRIGGER eye_exam_amendments_append_only BEFORE UPDATE ON eye_exam_amendments
BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END;
CREATE TRIGGER eye_exam_amendments_no_delete BEFORE DELETE ON eye_exam_amendments
BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END;
CREATE TRIGGER prescriptions_immutable BEFORE UPDATE ON prescriptions
BEGIN SELECT RAISE(ABORT, 'an issued prescription cannot be changed; issue a new one'); END;
CREATE TRIGGER rx_releases_immutable BEFORE UPDATE ON rx_releases
BEGIN SELECT RAISE(ABORT, 'a release record cannot be changed'); END;
CREATE TRIGGER rx_confirmations_immutable BEFORE UPDATE ON rx_confirmations
BEGIN SELECT RAISE(ABORT, 'a confirmation cannot be changed'); END;
