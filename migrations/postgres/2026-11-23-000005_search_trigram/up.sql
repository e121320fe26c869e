-- Search by part of a name is `search_key LIKE '%dupont%'`: no B-tree can serve it, and on 1 000 000
-- dossiers the "traités" search was a parallel sequential scan (645-757 ms). A trigram GIN index answers
-- it in about 15 ms.
--
-- pg_trgm is a trusted extension (PostgreSQL ≥ 13): the database owner may create it. It lives in
-- `public` whatever the search path, because an extension belongs to the whole database: created in a
-- per-test schema it would be dropped with that schema, and with it every other schema's index. Two
-- migrations running at once (the tests do) would both try to create it; the advisory lock makes the
-- second wait for the first to commit, then see it. An extension already installed elsewhere is reused.
DO $$
DECLARE
    ext_schema text;
BEGIN
    PERFORM pg_advisory_xact_lock(7405323001);
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    SELECT n.nspname INTO ext_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS dossiers_search_trgm_idx ON dossiers USING gin (search_key %I.gin_trgm_ops)',
        ext_schema
    );
END
$$;
