-- SQLite compares TEXT bytewise already, which the prefix ranges and the
-- result order rely on.

-- The day's schedule names each appointment's patient. A narrow table of
-- names by chart ID answers that from one small page per patient instead
-- of the ID index and a page of the wide patients table, and is small
-- enough to stay in the page cache. Without a rowid, SQLite keeps the rows
-- in the primary key's own tree.
CREATE TABLE patient_display_names (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    legal_last_name TEXT NOT NULL,
    legal_first_name TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO patient_display_names (patient_id, legal_last_name, legal_first_name)
SELECT id, legal_last_name, legal_first_name FROM patients;
