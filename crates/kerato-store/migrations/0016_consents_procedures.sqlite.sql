-- SQLite: consent answers and procedure notes are never changed in place.
CREATE TRIGGER consents_immutable BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consents rows cannot be changed in place'); END;
CREATE TRIGGER procedures_immutable BEFORE UPDATE ON procedures
BEGIN SELECT RAISE(ABORT, 'procedures rows cannot be changed in place'); END;
