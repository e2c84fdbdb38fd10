-- Password recovery and the forced change at first sign-in.
--
-- A user whose password someone else chose (the first administrator, whose
-- password `kerato init` printed, or a user given a temporary password by
-- an administrator) must choose their own before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- Every request for a reset link, and the links sent. A request is counted
-- for the rate limits under keys derived from the address typed and the
-- client's address (never the address itself), whether or not an account
-- uses the address; a link is stored only as the SHA-256 of its token.
-- Rows older than a day are deleted as new requests arrive.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    requested_at BIGINT NOT NULL,
    address_key TEXT NOT NULL,
    client_key TEXT NOT NULL,
    -- The account the address belongs to; NULL when none does.
    user_id TEXT REFERENCES users (id),
    -- The administrator who sent the link; NULL for a self-service request.
    issued_by TEXT REFERENCES users (id),
    -- NULL when no link was sent (unknown address, deactivated account).
    token_hash TEXT UNIQUE,
    expires_at BIGINT,
    used_at BIGINT
);
CREATE INDEX password_resets_address ON password_resets (address_key, requested_at);
CREATE INDEX password_resets_client ON password_resets (client_key, requested_at);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_requested ON password_resets (requested_at);
