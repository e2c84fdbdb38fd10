-- Opt-in usage telemetry from clinics: one row per installation and day,
-- counts only. The only text columns are a random installation ID, a date
-- and a version of digits and dots, all checked before they are stored.
CREATE TABLE telemetry_reports (
    installation TEXT NOT NULL,
    day TEXT NOT NULL,
    version TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    appointments_booked BIGINT NOT NULL,
    patients_registered BIGINT NOT NULL,
    eye_exams_signed BIGINT NOT NULL,
    biopsies_logged BIGINT NOT NULL,
    prescriptions_issued BIGINT NOT NULL,
    active_users BIGINT NOT NULL,
    PRIMARY KEY (installation, day)
);
