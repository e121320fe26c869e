-- Lower-cased, accent-free applicant name (and number) for the instructors' search.
ALTER TABLE dossiers ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
CREATE INDEX dossiers_search_idx ON dossiers (service_code, search_key);
