-- Imports from another system: each row of another system's export that
-- became a Kerato record, written in the same transaction as the record,
-- so that the same file imported twice, or again after a crash, creates
-- nothing new. Appointments find their patients here by the other
-- system's patient ID.
CREATE TABLE import_rows (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    -- 'patient' or 'appointment'.
    record_kind TEXT NOT NULL,
    -- The other system, as the mapping names it (openemr, generic, ...).
    source TEXT NOT NULL,
    -- The row's ID in that system, or 'sha256:' and a hash of its values.
    source_key TEXT NOT NULL,
    -- The chart or appointment the row became.
    record_id TEXT NOT NULL,
    -- The chart it is about (the record itself for a patient row).
    patient_id TEXT NOT NULL REFERENCES patients (id),
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (organisation_id, record_kind, source, source_key)
);
CREATE INDEX import_rows_patient ON import_rows (patient_id);
