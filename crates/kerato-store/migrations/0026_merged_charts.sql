-- Retention and the rights workspace ask, for every chart, whether another
-- chart was merged into it. Without this index each answer scanned the whole
-- registry (a sweep of 20,000 charts took seconds of a core per page of 500);
-- merged charts are few, so the index holds only them.
CREATE INDEX patients_merged_into ON patients (merged_into) WHERE merged_into IS NOT NULL;
