-- PostgreSQL: compare the ordering columns bytewise ("C"), so prefix ranges
-- use the index and results come in the same order as on SQLite.
ALTER TABLE patient_name_tokens ALTER COLUMN token TYPE TEXT COLLATE "C";
ALTER TABLE patient_name_tokens ALTER COLUMN last_folded TYPE TEXT COLLATE "C";
ALTER TABLE patient_name_tokens ALTER COLUMN first_folded TYPE TEXT COLLATE "C";
ALTER TABLE patient_name_tokens ALTER COLUMN patient_id TYPE TEXT COLLATE "C";

-- The day's schedule names each appointment's patient. A narrow table of
-- names by chart ID keeps the pages that reads few and small, so they stay
-- in shared buffers, instead of a page of the wide patients table per
-- patient.
CREATE TABLE patient_display_names (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    legal_last_name TEXT NOT NULL,
    legal_first_name TEXT NOT NULL
);
INSERT INTO patient_display_names (patient_id, legal_last_name, legal_first_name)
SELECT id, legal_last_name, legal_first_name FROM patients;
