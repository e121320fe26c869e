DROP INDEX IF EXISTS dossiers_decided_order_idx;
DROP INDEX IF EXISTS dossiers_tab_order_idx;
CREATE INDEX IF NOT EXISTS dossiers_queue_idx ON dossiers (service_code, state, due_at, id);
CREATE INDEX IF NOT EXISTS dossiers_search_idx ON dossiers (service_code, search_key);
