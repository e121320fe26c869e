DROP INDEX dossiers_search_idx;
ALTER TABLE dossiers DROP COLUMN search_key;
