-- The consent registry's history: one row per answer, never changed in
-- place; the current answer is the latest row for the subject and purpose.
-- Rows can be deleted, because retention removes marketing consents with
-- the rest of the marketing data.
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('patient', 'contact')),
    subject_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted BIGINT NOT NULL CHECK (granted IN (0, 1)),
    source TEXT NOT NULL,
    policy_version TEXT,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT
);
CREATE INDEX consents_subject ON consents (subject_kind, subject_id, purpose, recorded_at);

-- Procedures done in a visit: the structured record (the domain's
-- procedure record as JSON) and the note its template wrote. A procedure
-- is never edited in place; a correction is a new note.
CREATE TABLE procedures (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    lesion_id TEXT REFERENCES lesions (id),
    biopsy_id TEXT REFERENCES biopsies (id),
    kind TEXT NOT NULL,
    service_date TEXT NOT NULL,
    data TEXT NOT NULL,
    note TEXT NOT NULL,
    performed_by TEXT NOT NULL,
    performed_at BIGINT NOT NULL
);
CREATE INDEX procedures_patient ON procedures (patient_id, service_date);

-- The coding engine's lines for a patient's service date, structured for
-- the billing capability. They are derived from that day's procedures and
-- rewritten whenever a procedure is added, until billing takes them.
CREATE TABLE charge_proposals (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_date TEXT NOT NULL,
    n BIGINT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL,
    units BIGINT NOT NULL,
    modifiers TEXT NOT NULL,
    rationale TEXT NOT NULL,
    hold TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (patient_id, service_date, n)
);
