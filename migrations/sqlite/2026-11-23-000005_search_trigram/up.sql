-- Twin of the PostgreSQL trigram index for the search by name: nothing to do for the search on SQLite.
-- At the size an embedded database serves (117 000 dossiers measured), the `LIKE '%…%'` search walks the
-- covering `dossiers_tab_order_idx` in 2-3 ms per page (BENCHMARKS.md).
--
-- But the "traités" tab covers three states, which one ordered range of `dossiers_tab_order_idx` cannot
-- serve: every page sorted all decided dossiers, and the CSV export, page after page, took 5 s for
-- 117 000. PostgreSQL has had this partial index since 000004; SQLite uses it when the query repeats
-- its condition word for word (the queue writes it as a literal).
CREATE INDEX IF NOT EXISTS dossiers_decided_order_idx ON dossiers (
    (due_at IS NULL), due_at, id, service_code, procedure, assigned_to, search_key, complement_demande
) WHERE state IN ('accepte', 'refuse', 'sans_suite');
