-- Patients' medical and vision insurance, in priority order.
CREATE TABLE coverages (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    kind TEXT NOT NULL CHECK (kind IN ('medical', 'vision')),
    priority BIGINT NOT NULL CHECK (priority BETWEEN 1 AND 3),
    payer TEXT NOT NULL,
    member_id TEXT NOT NULL,
    group_number TEXT,
    relationship TEXT NOT NULL,
    subscriber_name TEXT,
    subscriber_date_of_birth TEXT,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX coverages_patient ON coverages (organisation_id, patient_id);
