-- Providers as a practice sets them up: a staff account for those who sign
-- in (none for a locum), the identifiers claims and prescriptions carry, the
-- visit types they take, whether they take bookings, and a version for
-- concurrent edits.
ALTER TABLE providers ADD COLUMN user_id TEXT REFERENCES users (id);
ALTER TABLE providers ADD COLUMN credentials TEXT NOT NULL DEFAULT '';
ALTER TABLE providers ADD COLUMN npi TEXT;
ALTER TABLE providers ADD COLUMN taxonomy_code TEXT;
ALTER TABLE providers ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
-- 1 when the provider takes only the visit types in provider_visit_types.
ALTER TABLE providers ADD COLUMN visit_types_limited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE providers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE providers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX providers_user ON providers (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE provider_visit_types (
    provider_id TEXT NOT NULL REFERENCES providers (id),
    appointment_type_id TEXT NOT NULL REFERENCES appointment_types (id),
    PRIMARY KEY (provider_id, appointment_type_id)
);

-- Weekly working-hours templates: one location each, in force from one
-- local date (until another, or for good), every week or every other week
-- counted from the first. Their windows are the provider_windows rows that
-- name them.
CREATE TABLE provider_hours (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    effective_from TEXT NOT NULL,
    effective_until TEXT,
    repeats TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX provider_hours_provider ON provider_hours (provider_id, location_id);

-- The windows made before templates existed become one template per
-- provider and location, every week since 2000, named by the ID of its
-- first window (a UUID, as every ID is).
INSERT INTO provider_hours (id, provider_id, location_id, effective_from, effective_until, repeats, created_at)
SELECT MIN(id), provider_id, location_id, '2000-01-01', NULL, 'every_week', 0
FROM provider_windows GROUP BY provider_id, location_id;
ALTER TABLE provider_windows ADD COLUMN template_id TEXT REFERENCES provider_hours (id);
UPDATE provider_windows SET template_id = (
    SELECT h.id FROM provider_hours h
    WHERE h.provider_id = provider_windows.provider_id AND h.location_id = provider_windows.location_id
);
CREATE INDEX provider_windows_template ON provider_windows (template_id);
