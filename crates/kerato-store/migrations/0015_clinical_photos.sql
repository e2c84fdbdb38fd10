-- Clinical photos: the row says whose photo it is and what it shows; the
-- image itself, stripped of metadata, is an encrypted attachment file named
-- by the photo's ID.
CREATE TABLE clinical_photos (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    lesion_id TEXT REFERENCES lesions (id),
    media_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL
);
CREATE INDEX clinical_photos_patient ON clinical_photos (patient_id, taken_at);
CREATE INDEX clinical_photos_lesion ON clinical_photos (lesion_id, taken_at);
