-- The patient registry. Folded name columns (accents removed, lower case)
-- back the prefix search; the MRN counter hands out one number per
-- organisation at a time.
CREATE TABLE mrn_counters (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations (id),
    next_mrn BIGINT NOT NULL
);

CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    mrn TEXT NOT NULL,
    legal_first_name TEXT NOT NULL,
    legal_middle_name TEXT,
    legal_last_name TEXT NOT NULL,
    preferred_name TEXT,
    last_folded TEXT NOT NULL,
    first_folded TEXT NOT NULL,
    preferred_folded TEXT,
    date_of_birth TEXT NOT NULL,
    sex_at_birth TEXT,
    gender_identity TEXT,
    mobile_phone TEXT,
    home_phone TEXT,
    email TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    city TEXT,
    state TEXT,
    zip TEXT,
    preferred_language TEXT NOT NULL,
    emergency_contact_name TEXT,
    emergency_contact_phone TEXT,
    reminder_channel TEXT NOT NULL,
    results_channel TEXT NOT NULL,
    statement_channel TEXT NOT NULL,
    marketing_consent BIGINT NOT NULL,
    -- A duplicate chart merged into another keeps its row (and its audit
    -- trail) and points at the chart that lives on.
    merged_into TEXT REFERENCES patients (id),
    merged_at BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX patients_mrn ON patients (organisation_id, mrn);
CREATE INDEX patients_last ON patients (organisation_id, last_folded);
CREATE INDEX patients_first ON patients (organisation_id, first_folded);
CREATE INDEX patients_preferred ON patients (organisation_id, preferred_folded);
CREATE INDEX patients_dob ON patients (organisation_id, date_of_birth);
CREATE INDEX patients_mobile ON patients (organisation_id, mobile_phone);
CREATE INDEX patients_home ON patients (organisation_id, home_phone);
CREATE INDEX patients_email ON patients (organisation_id, email);
