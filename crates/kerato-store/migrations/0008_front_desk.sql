-- The rest of the front desk: resources, richer appointment types, provider
-- specialties, breaks and time off, recurring series, the waitlist,
-- recalls, and SMS in the outbox.

-- Rooms, pretest lanes and devices an appointment occupies besides the
-- provider. Each belongs to one location.
CREATE TABLE resources (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Bumped by every booking that takes this resource: the row lock that
    -- keeps two providers from booking the same room at once on PostgreSQL.
    booking_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX resources_location ON resources (location_id, kind);

ALTER TABLE appointment_types ADD COLUMN specialty TEXT;
ALTER TABLE appointment_types ADD COLUMN colour TEXT NOT NULL DEFAULT '#3b6ea5';
ALTER TABLE appointment_types ADD COLUMN new_patient BIGINT NOT NULL DEFAULT 0;

-- The kinds of resource an appointment of a type needs, one of each.
CREATE TABLE appointment_type_resources (
    appointment_type_id TEXT NOT NULL REFERENCES appointment_types (id),
    kind TEXT NOT NULL,
    PRIMARY KEY (appointment_type_id, kind)
);

-- Comma-separated, as for locations.
ALTER TABLE providers ADD COLUMN specialties TEXT NOT NULL DEFAULT '';

-- The resources an appointment holds, with its times copied so that a
-- resource's conflicts are one index range scan.
CREATE TABLE appointment_resources (
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    resource_id TEXT NOT NULL REFERENCES resources (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    PRIMARY KEY (appointment_id, resource_id)
);
CREATE INDEX appointment_resources_busy ON appointment_resources (resource_id, starts_at);

-- Weekly breaks inside a provider's template (lunch, admin time).
CREATE TABLE provider_breaks (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute BIGINT NOT NULL,
    end_minute BIGINT NOT NULL CHECK (end_minute > start_minute),
    label TEXT NOT NULL
);
CREATE INDEX provider_breaks_provider ON provider_breaks (provider_id);

-- Dated closures: a provider's time off (any location when location_id is
-- NULL) or a location's holiday (every provider when provider_id is NULL).
CREATE TABLE time_off (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    provider_id TEXT REFERENCES providers (id),
    location_id TEXT REFERENCES locations (id),
    kind TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL CHECK (ends_at > starts_at),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK (provider_id IS NOT NULL OR location_id IS NOT NULL)
);
CREATE INDEX time_off_provider ON time_off (provider_id, starts_at);
CREATE INDEX time_off_location ON time_off (location_id, starts_at);

-- A recurring series (phototherapy three times a week for eight weeks).
CREATE TABLE appointment_series (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    pattern TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
ALTER TABLE appointments ADD COLUMN series_id TEXT REFERENCES appointment_series (id);

-- Patients who want an earlier appointment than they have, and the offer
-- made to each when a slot frees.
CREATE TABLE waitlist (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    appointment_type_id TEXT NOT NULL REFERENCES appointment_types (id),
    provider_id TEXT REFERENCES providers (id),
    location_id TEXT REFERENCES locations (id),
    -- Local dates, YYYY-MM-DD, inclusive.
    earliest_date TEXT NOT NULL,
    latest_date TEXT NOT NULL,
    note TEXT NOT NULL,
    status TEXT NOT NULL,
    offer_provider_id TEXT REFERENCES providers (id),
    offer_location_id TEXT REFERENCES locations (id),
    offer_starts_at BIGINT,
    offer_expires_at BIGINT,
    appointment_id TEXT REFERENCES appointments (id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX waitlist_open ON waitlist (organisation_id, status, created_at);

-- What a practice recalls patients for, and how often.
CREATE TABLE recall_types (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    interval_months BIGINT NOT NULL CHECK (interval_months > 0),
    specialty TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE recalls (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    recall_type_id TEXT NOT NULL REFERENCES recall_types (id),
    -- A local date, YYYY-MM-DD, which sorts as text.
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    outreach TEXT NOT NULL,
    outreach_attempts BIGINT NOT NULL,
    last_outreach_at BIGINT,
    appointment_id TEXT REFERENCES appointments (id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX recalls_due ON recalls (organisation_id, status, due_date);
CREATE INDEX recalls_patient ON recalls (patient_id);

-- Reminders go by e-mail or SMS; the recipient is an address or a number.
ALTER TABLE email_outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';

-- Who pays a patient's bills, when it is not the patient.
CREATE TABLE patient_guarantors (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    relationship TEXT NOT NULL,
    name TEXT,
    phone TEXT,
    address TEXT,
    updated_at BIGINT NOT NULL
);
