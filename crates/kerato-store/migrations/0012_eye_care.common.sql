-- Eye exams, their sections and amendments; prescriptions and the FTC
-- release, confirmation and verification records.

-- One exam per visit. Draft until the doctor signs it; after that its
-- sections never change (triggers below) and corrections are amendments.
CREATE TABLE eye_exams (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    appointment_id TEXT REFERENCES appointments (id),
    template TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    signed_at BIGINT,
    signed_by TEXT
);
CREATE INDEX eye_exams_patient ON eye_exams (patient_id, created_at);

-- A section's values as canonical JSON (field key -> text).
CREATE TABLE eye_exam_sections (
    exam_id TEXT NOT NULL REFERENCES eye_exams (id),
    section TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (exam_id, section)
);

-- Changes after signing: append-only, numbered per exam; the section as
-- signed stays in eye_exam_sections.
CREATE TABLE eye_exam_amendments (
    exam_id TEXT NOT NULL REFERENCES eye_exams (id),
    n BIGINT NOT NULL,
    section TEXT NOT NULL,
    data TEXT NOT NULL,
    reason TEXT NOT NULL,
    amended_at BIGINT NOT NULL,
    amended_by TEXT NOT NULL,
    PRIMARY KEY (exam_id, n)
);

-- An issued prescription: immutable (triggers below). `body` is the
-- prescription's values as canonical JSON; the prescriber's name, licence
-- and NPI are copied as they were on the day of issue.
CREATE TABLE prescriptions (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    exam_id TEXT NOT NULL REFERENCES eye_exams (id),
    kind TEXT NOT NULL CHECK (kind IN ('spectacle', 'contact_lens')),
    state TEXT NOT NULL,
    prescriber_user_id TEXT NOT NULL,
    prescriber_name TEXT NOT NULL,
    prescriber_license TEXT NOT NULL,
    prescriber_npi TEXT NOT NULL,
    body TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    medical_reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX prescriptions_patient ON prescriptions (patient_id, created_at);
CREATE INDEX prescriptions_organisation ON prescriptions (organisation_id, created_at);

-- Each time a prescription was given to the patient: on paper, or
-- digitally (only with the patient's recorded consent).
CREATE TABLE rx_releases (
    prescription_id TEXT NOT NULL REFERENCES prescriptions (id),
    released_at BIGINT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('paper', 'digital')),
    released_by TEXT NOT NULL,
    PRIMARY KEY (prescription_id, released_at)
);

-- The patient's signed confirmation of receipt, or the recorded refusal
-- to sign; kept at least three years (keep_until), deleted only after.
CREATE TABLE rx_confirmations (
    prescription_id TEXT PRIMARY KEY REFERENCES prescriptions (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('signed', 'refused')),
    signer_name TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    keep_until TEXT NOT NULL
);
CREATE INDEX rx_confirmations_keep ON rx_confirmations (keep_until);

-- A patient's recorded consent to digital delivery of prescriptions.
CREATE TABLE rx_digital_consents (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    channel TEXT NOT NULL,
    given_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);

-- Contact lens sellers' verification requests (8 business hours, then
-- passive verification) and agents' requests for a copy (40 business
-- hours). due_at is fixed when the request arrives.
CREATE TABLE rx_requests (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('verification', 'agent_copy')),
    requester TEXT NOT NULL,
    requester_contact TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    patient_id TEXT REFERENCES patients (id),
    prescription_id TEXT REFERENCES prescriptions (id),
    details TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    answer TEXT,
    answer_note TEXT,
    answered_at BIGINT,
    answered_by TEXT
);
CREATE INDEX rx_requests_open ON rx_requests (organisation_id, answered_at, due_at);

-- A prescriber's credentials, printed on every prescription they issue.
CREATE TABLE prescriber_credentials (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    license_number TEXT NOT NULL,
    npi TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
