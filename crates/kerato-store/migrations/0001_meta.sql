-- Facts about this installation (its ID, when it was made, whether demo data was seeded).
CREATE TABLE kerato_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
