-- Skin lesions followed across visits, and each visit's observation
-- (the domain's Observation as JSON), numbered per lesion, append-only in
-- use: a new visit adds an observation, it never rewrites an old one.
CREATE TABLE lesions (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    region TEXT NOT NULL,
    laterality TEXT NOT NULL,
    map_view TEXT NOT NULL,
    x BIGINT NOT NULL,
    y BIGINT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX lesions_patient ON lesions (patient_id, created_at);

CREATE TABLE lesion_observations (
    lesion_id TEXT NOT NULL REFERENCES lesions (id),
    n BIGINT NOT NULL,
    data TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    observed_by TEXT NOT NULL,
    PRIMARY KEY (lesion_id, n)
);
