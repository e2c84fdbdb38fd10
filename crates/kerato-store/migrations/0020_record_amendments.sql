-- Amendments of a patient's record asked for under HIPAA's right to amend
-- (45 CFR 164.526): an accepted amendment is appended to the record and
-- the original is kept; a denial is kept with its reason, and the
-- patient's statement of disagreement is attached to the record as its
-- own row. Rows are only ever added.
CREATE TABLE record_amendments (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    request_id TEXT REFERENCES rights_requests (id),
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'denied', 'disagreement')),
    body TEXT NOT NULL,
    reason TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX record_amendments_patient ON record_amendments (patient_id, recorded_at);
