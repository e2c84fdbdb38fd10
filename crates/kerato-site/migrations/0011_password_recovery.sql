-- Password reset requests and the links sent, for customers and vendor
-- staff alike. A request is counted for the rate limits under keys derived
-- from the address typed and the client's address (never the address
-- itself), whether or not a user has the address; a link is stored only as
-- the SHA-256 of its token. Rows older than a day are deleted as new
-- requests arrive.
CREATE TABLE site_password_resets (
    id TEXT PRIMARY KEY,
    requested_at BIGINT NOT NULL,
    address_key TEXT NOT NULL,
    client_key TEXT NOT NULL,
    -- The user the address belongs to; NULL when none does.
    user_id TEXT REFERENCES site_users (id) ON DELETE CASCADE,
    -- NULL when no link was sent (unknown address, inactive user).
    token_hash TEXT UNIQUE,
    expires_at BIGINT,
    used_at BIGINT
);
CREATE INDEX site_password_resets_address ON site_password_resets (address_key, requested_at);
CREATE INDEX site_password_resets_client ON site_password_resets (client_key, requested_at);
CREATE INDEX site_password_resets_user ON site_password_resets (user_id);
CREATE INDEX site_password_resets_requested ON site_password_resets (requested_at);
