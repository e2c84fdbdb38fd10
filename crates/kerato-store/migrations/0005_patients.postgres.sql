-- PostgreSQL: compare folded names bytewise ("C"), so the prefix ranges
-- (name >= 'smi' AND name < 'smi' || U+10FFFF) use the indexes and mean the
-- same as on SQLite whatever the database's locale.
ALTER TABLE patients ALTER COLUMN last_folded TYPE TEXT COLLATE "C";
ALTER TABLE patients ALTER COLUMN first_folded TYPE TEXT COLLATE "C";
ALTER TABLE patients ALTER COLUMN preferred_folded TYPE TEXT COLLATE "C";
