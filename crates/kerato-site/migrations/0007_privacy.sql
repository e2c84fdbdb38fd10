-- Cookie choices, first-party analytics, the usage log and the privacy
-- center's rights requests.

-- Page views per day and path, counted only for visitors who agreed to
-- analytics and sent no Global Privacy Control signal. No visitor
-- identifier is kept: a row is a day, a path and a count.
CREATE TABLE page_views_daily (
    day TEXT NOT NULL,
    path TEXT NOT NULL,
    views BIGINT NOT NULL,
    PRIMARY KEY (day, path)
);

-- The usage log of the privacy statement ("usage data"): one row per page
-- request, for troubleshooting and security, kept `usage_log_days`. The IP
-- address is stored truncated (IPv4 /24, IPv6 /48), the browser and device
-- as coarse families, the path without its query string.
CREATE TABLE usage_log (
    at BIGINT NOT NULL,
    ip_prefix TEXT,
    browser TEXT NOT NULL,
    device TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL
);
CREATE INDEX usage_log_at ON usage_log (at);

-- Rights requests from the privacy center. `timeline` is the shared
-- engine's history (kerato_core::rights_request::RequestTimeline as JSON):
-- the state is derived from its steps, never stored beside it.
CREATE TABLE site_rights_requests (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    details TEXT,
    received_at BIGINT NOT NULL,
    timeline TEXT NOT NULL
);
CREATE INDEX site_rights_requests_received ON site_rights_requests (received_at);

-- The links e-mailed for a request: only the SHA-256 of each random token
-- is kept. `purpose` is `verify` (single use, expires) or `status`.
CREATE TABLE site_rights_tokens (
    token_hash TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES site_rights_requests (id),
    purpose TEXT NOT NULL,
    expires_at BIGINT,
    used_at BIGINT
);
CREATE INDEX site_rights_tokens_request ON site_rights_tokens (request_id);
