-- The queue sorted by a header (issue 14): for each sortable column an index in that column's order within
-- a state (the tabs « à traiter », « en instruction », « complément demandé »), and one over the decided
-- states (« traités », the same literal predicate as the queries, so that SQLite uses it too), so a page
-- reads its rows in order instead of sorting the tab (295 ms → 0.2 ms for the newest deposits of 61 000
-- « à traiter » at 1 000 000 dossiers on PostgreSQL). The filter columns follow, for index-only filtering.
CREATE INDEX IF NOT EXISTS dossiers_sort_deposit_idx ON dossiers (
    state, deposited_at, id, complement_demande, service_code, procedure, assigned_to
);
CREATE INDEX IF NOT EXISTS dossiers_sort_number_idx ON dossiers (
    state, number, id, complement_demande, service_code, procedure, assigned_to
);
CREATE INDEX IF NOT EXISTS dossiers_sort_name_idx ON dossiers (
    state, search_key, id, complement_demande, service_code, procedure, assigned_to
);
CREATE INDEX IF NOT EXISTS dossiers_decided_deposit_idx ON dossiers (
    deposited_at, id, service_code, procedure, assigned_to
) WHERE state IN ('decide', 'sans_suite');
CREATE INDEX IF NOT EXISTS dossiers_decided_number_idx ON dossiers (
    number, id, service_code, procedure, assigned_to
) WHERE state IN ('decide', 'sans_suite');
CREATE INDEX IF NOT EXISTS dossiers_decided_name_idx ON dossiers (
    search_key, id, service_code, procedure, assigned_to
) WHERE state IN ('decide', 'sans_suite');
-- The assignee filter (« moi », « personne », several agents): an agent's dossiers of a tab in page order.
CREATE INDEX IF NOT EXISTS dossiers_assignee_order_idx ON dossiers (
    assigned_to, state, (due_at IS NULL), due_at, id, complement_demande, service_code, procedure
);
