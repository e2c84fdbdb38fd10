-- Providers, appointment types, weekly windows and appointments.
CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    -- Bumped by every booking for this provider: the row lock that makes
    -- check-then-insert atomic on PostgreSQL (SQLite writers are serial).
    booking_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE provider_locations (
    provider_id TEXT NOT NULL REFERENCES providers (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    PRIMARY KEY (provider_id, location_id)
);

CREATE TABLE appointment_types (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE provider_windows (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL CHECK (end_minute > start_minute),
    overbook BIGINT NOT NULL
);
CREATE INDEX provider_windows_provider ON provider_windows (provider_id, location_id);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    appointment_type_id TEXT NOT NULL REFERENCES appointment_types (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL CHECK (ends_at > starts_at),
    status TEXT NOT NULL,
    cancel_reason TEXT,
    overbooked BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX appointments_provider_time ON appointments (provider_id, starts_at);
CREATE INDEX appointments_patient_time ON appointments (patient_id, starts_at);
CREATE INDEX appointments_location_time ON appointments (location_id, starts_at);

-- Every status change of an appointment, for the flow board's wait times.
CREATE TABLE appointment_events (
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    status TEXT NOT NULL,
    at BIGINT NOT NULL,
    by_user TEXT NOT NULL
);
CREATE INDEX appointment_events_appointment ON appointment_events (appointment_id, at);
