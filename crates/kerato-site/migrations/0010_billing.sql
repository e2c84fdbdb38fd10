-- Subscriptions, invoices and card payments. Plans live in code
-- (billing::PLANS); a subscription names its plan by ID. No card number,
-- expiry or security code is ever stored: payments keep only the
-- processor's IDs, the status, the amount and, when the processor returns
-- them, the card's brand and last four digits.

-- One subscription per account; changes apply from the next invoice
-- because invoices copy the plan, locations and seats when issued.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
    plan TEXT NOT NULL,
    locations BIGINT NOT NULL,
    seats BIGINT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    cancelled_at BIGINT
);

-- One invoice per subscription per period: the unique key makes issuing
-- twice for the same period a no-op. Periods are civil dates (YYYY-MM-DD),
-- the end excluded. Money is in integer cents.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    status TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    paid_at BIGINT,
    UNIQUE (subscription_id, period_start)
);
CREATE INDEX invoices_account ON invoices (account_id);

CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_cents BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

-- One row per payment attempt; the attempt number is part of the
-- processor's idempotency key, so a form sent twice is one charge.
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    intent_id TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    card_brand TEXT,
    card_last4 TEXT,
    error_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (invoice_id, attempt)
);
