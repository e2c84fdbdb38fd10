-- A counter that moves whenever the practice's set-up changes: providers,
-- their locations, specialties, weekly windows and breaks, locations,
-- appointment types and the resources they need. A booking reads it
-- (one row) to know whether the set-up it has in memory is still current,
-- instead of reading all of that again for every booking. Triggers move
-- it, so no write path can forget to.
CREATE TABLE reference_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO reference_version (id, n) VALUES (1, 0);
