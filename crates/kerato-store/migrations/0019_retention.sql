-- Legal holds: while one stands, the retention job deletes nothing it
-- covers. A null patient_id holds the whole practice, a null data_class
-- every class. patient_id has no foreign key on purpose: a released hold
-- stays as the practice's record of the matter, and it must not stop the
-- chart from going once the chart falls due.
CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT,
    data_class TEXT,
    reason TEXT NOT NULL,
    placed_on TEXT NOT NULL,
    released_on TEXT,
    placed_by TEXT NOT NULL REFERENCES users (id)
);
CREATE INDEX legal_holds_organisation ON legal_holds (organisation_id, placed_on);

-- One row per run of the retention job and practice: the counts per
-- class as JSON, never what was deleted.
CREATE TABLE retention_runs (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    ran_at BIGINT NOT NULL,
    dry_run BIGINT NOT NULL CHECK (dry_run IN (0, 1)),
    report TEXT NOT NULL
);
CREATE INDEX retention_runs_organisation ON retention_runs (organisation_id, ran_at);
