-- Long exports run in the background (issue 14: Démarche Numérique needed this past 24 000 dossiers): the
-- agent is sent to « Mes exports », the file is written under `<data_dir>/exports/<id>.<ext>` and offered
-- for download to that agent alone until it expires.
CREATE TABLE export_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    -- the queue view's query string (tab, filters, sort)
    query TEXT NOT NULL,
    -- en_cours, pret, echec
    status TEXT NOT NULL,
    row_count BIGINT,
    error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX export_jobs_user_idx ON export_jobs (user_id, created_at);
