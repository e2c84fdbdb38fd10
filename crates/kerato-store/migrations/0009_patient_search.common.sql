-- Patient search by name at a million charts. Every word of a searchable
-- (not merged) chart's folded last, first and preferred names is a token
-- row that also carries the names the result order needs, so a prefix
-- lookup reads one index range in result order and stops at the page size.
-- Each organisation's dictionary of name words has typo keys: the deletion
-- neighbourhoods of each word's beginnings of 2 to 6 characters
-- (kerato_domain::patients::typo_keys), so the words one typo away from what
-- was typed are found by an index probe instead of a scan.
CREATE TABLE patient_name_tokens (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    kind TEXT NOT NULL CHECK (kind IN ('last', 'first')),
    token TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    last_folded TEXT NOT NULL,
    first_folded TEXT NOT NULL,
    preferred_folded TEXT,
    PRIMARY KEY (patient_id, kind, token)
);
CREATE INDEX patient_name_tokens_search ON patient_name_tokens
    (organisation_id, kind, token, last_folded, first_folded, patient_id, preferred_folded);

CREATE TABLE patient_name_words (
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    word TEXT NOT NULL,
    PRIMARY KEY (organisation_id, word)
);

CREATE TABLE patient_name_typo_keys (
    organisation_id TEXT NOT NULL,
    typo_key TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (organisation_id, typo_key, word)
);

-- Backfill the charts registered before this migration. Names are split on
-- their single spaces one character at a time, which both dialects can say
-- the same way; substr(name, 1, 0) is an empty string that keeps the
-- column's collation, which PostgreSQL's recursive queries insist on.
INSERT INTO patient_name_tokens
    (patient_id, kind, token, organisation_id, last_folded, first_folded, preferred_folded)
WITH RECURSIVE
names (patient_id, kind, name) AS (
    SELECT id, 'last', last_folded FROM patients WHERE merged_into IS NULL
    UNION ALL
    SELECT id, 'first', first_folded FROM patients WHERE merged_into IS NULL
    UNION ALL
    SELECT id, 'first', preferred_folded FROM patients
    WHERE merged_into IS NULL AND preferred_folded IS NOT NULL
),
split (patient_id, kind, word, rest) AS (
    SELECT patient_id, kind, substr(name, 1, 0), name || ' ' FROM names
    UNION ALL
    SELECT patient_id, kind,
        CASE WHEN substr(rest, 1, 1) = ' ' THEN substr(rest, 1, 0) ELSE word || substr(rest, 1, 1) END,
        substr(rest, 2)
    FROM split WHERE rest <> ''
),
words (patient_id, kind, token) AS (
    SELECT DISTINCT patient_id, kind, word FROM split
    WHERE substr(rest, 1, 1) = ' ' AND word <> ''
)
SELECT w.patient_id, w.kind, w.token, p.organisation_id, p.last_folded, p.first_folded, p.preferred_folded
FROM words w JOIN patients p ON p.id = w.patient_id;

INSERT INTO patient_name_words (organisation_id, word)
SELECT DISTINCT organisation_id, token FROM patient_name_tokens;

INSERT INTO patient_name_typo_keys (organisation_id, typo_key, word)
WITH RECURSIVE
n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6),
beginnings (organisation_id, word, b) AS (
    SELECT w.organisation_id, w.word, substr(w.word, 1, n.i)
    FROM patient_name_words w JOIN n ON n.i >= 2 AND n.i <= length(w.word)
)
SELECT organisation_id, b, word FROM beginnings
UNION
SELECT organisation_id, substr(b, 1, n.i - 1) || substr(b, n.i + 1), word
FROM beginnings JOIN n ON n.i <= length(b);

-- Searches by date of birth and e-mail list their matches by last name.
-- With the sort columns in the index, the index that finds the matches
-- also delivers them in order; otherwise SQLite may walk the whole
-- registry in last-name order to avoid sorting a handful of rows.
DROP INDEX patients_dob;
CREATE INDEX patients_dob_ranked ON patients (organisation_id, date_of_birth, last_folded, id);
DROP INDEX patients_email;
CREATE INDEX patients_email_ranked ON patients (organisation_id, email, last_folded, id);
