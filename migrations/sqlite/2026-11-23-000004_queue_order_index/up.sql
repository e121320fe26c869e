-- The instructors' queue in index order: for one state the rows come already sorted as the page asks
-- (dossiers without a deadline last, then due date, then id), so a page reads about 51 index entries
-- instead of sorting the whole tab. The other filter columns (complement flag, service, procedure,
-- assignee, search key) follow, so filters and the four tab counts are answered from the index alone,
-- without reading the large rows (answers JSON).
CREATE INDEX IF NOT EXISTS dossiers_tab_order_idx ON dossiers (
    state, (due_at IS NULL), due_at, id, complement_demande, service_code, procedure, assigned_to, search_key
);
-- Superseded by the index above. The old queue index lacked the complement flag (the "à traiter" counts
-- read every row), and the search index, led by the service, drew the planner away from the covering
-- index for service-scoped counts while a `LIKE '%…%'` search cannot use its key order anyway.
DROP INDEX IF EXISTS dossiers_queue_idx;
DROP INDEX IF EXISTS dossiers_search_idx;
