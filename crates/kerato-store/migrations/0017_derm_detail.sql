-- A lesion's measured distance from an anatomic landmark; a visit's
-- separately identifiable E/M, which the charge proposal codes with the
-- day's procedures; and each payer's choice between modifier 59 and XS.
ALTER TABLE lesions ADD COLUMN landmark TEXT;
ALTER TABLE lesions ADD COLUMN landmark_mm BIGINT;

CREATE TABLE visit_em (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    service_date TEXT NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (patient_id, service_date)
);

CREATE TABLE payer_coding_settings (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    payer TEXT NOT NULL,
    distinct_modifier TEXT NOT NULL CHECK (distinct_modifier IN ('59', 'XS')),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, payer)
);
