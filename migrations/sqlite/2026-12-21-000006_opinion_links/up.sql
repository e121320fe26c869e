-- An opinion asked of an expert without an account (a médecin traitant, another service's worker): their
-- name and address, and a one-time link (only its SHA-256 is kept) that opens the question and the shared
-- documents until the answer is given or the link expires. `expert_id` is null for them: SQLite cannot drop
-- a NOT NULL, so the table is rebuilt.
CREATE TABLE opinions_new (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    expert_id TEXT REFERENCES users (id),
    question TEXT NOT NULL,
    documents TEXT NOT NULL DEFAULT '[]',
    asked_at TIMESTAMP NOT NULL,
    due_on DATE NOT NULL,
    answer TEXT,
    answered_at TIMESTAMP,
    reminded_at TIMESTAMP,
    expert_name TEXT,
    expert_email TEXT,
    link_hash TEXT,
    link_expires_at TIMESTAMP
);
INSERT INTO opinions_new (id, dossier_id, service_code, asked_by, expert_id, question, documents, asked_at,
    due_on, answer, answered_at, reminded_at)
SELECT id, dossier_id, service_code, asked_by, expert_id, question, documents, asked_at, due_on, answer,
    answered_at, reminded_at FROM opinions;
DROP TABLE opinions;
ALTER TABLE opinions_new RENAME TO opinions;
CREATE INDEX opinions_dossier_idx ON opinions (dossier_id);
CREATE INDEX opinions_expert_idx ON opinions (expert_id, answered_at);
CREATE UNIQUE INDEX opinions_link_idx ON opinions (link_hash);
