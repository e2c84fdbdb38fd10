-- Each run of the site's retention job, with what it did per data class.
CREATE TABLE site_retention_runs (
    id TEXT PRIMARY KEY,
    ran_at BIGINT NOT NULL,
    run_date TEXT NOT NULL,
    dry_run BIGINT NOT NULL,
    report TEXT NOT NULL
);
