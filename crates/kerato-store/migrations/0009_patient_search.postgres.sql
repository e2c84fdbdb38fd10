-- PostgreSQL: compare the ordering columns bytewise ("C"), so prefix ranges
-- use the index and results come in the same order as on SQLite.
ALTER TABLE patient_name_tokens ALTER COLUMN token TYPE TEXT COLLATE "C";
ALTER TABLE patient_name_tokens ALTER COLUMN last_folded TYPE TEXT COLLATE "C";
ALTER TABLE patient_name_tokens ALTER COLUMN first_folded TYPE TEXT COLLATE "C";
ALTER TABLE patient_name_tokens ALTER COLUMN patient_id TYPE TEXT COLLATE "C";
