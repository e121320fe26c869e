-- The extension stays: other schemas of the database may use it.
DROP INDEX IF EXISTS dossiers_search_trgm_idx;
