-- The closed-loop biopsy log: one row per specimen. `timeline` is the
-- domain's record of each step with its time (JSON), from which the state
-- is derived; `state` repeats it for the work queue's index. Alerts
-- already sent are kept by key, so each fires once.
CREATE TABLE biopsies (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    responsible_user_id TEXT NOT NULL REFERENCES users (id),
    site TEXT NOT NULL,
    method TEXT NOT NULL,
    state TEXT NOT NULL,
    timeline TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX biopsies_open ON biopsies (organisation_id, state);
CREATE INDEX biopsies_patient ON biopsies (patient_id, created_at);

CREATE TABLE biopsy_alerts (
    alert_key TEXT PRIMARY KEY,
    biopsy_id TEXT NOT NULL REFERENCES biopsies (id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE INDEX biopsy_alerts_biopsy ON biopsy_alerts (biopsy_id);
