DELETE FROM opinions WHERE expert_id IS NULL;
CREATE TABLE opinions_old (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    expert_id TEXT NOT NULL REFERENCES users (id),
    question TEXT NOT NULL,
    documents TEXT NOT NULL DEFAULT '[]',
    asked_at TIMESTAMP NOT NULL,
    due_on DATE NOT NULL,
    answer TEXT,
    answered_at TIMESTAMP,
    reminded_at TIMESTAMP
);
INSERT INTO opinions_old SELECT id, dossier_id, service_code, asked_by, expert_id, question, documents,
    asked_at, due_on, answer, answered_at, reminded_at FROM opinions;
DROP TABLE opinions;
ALTER TABLE opinions_old RENAME TO opinions;
CREATE INDEX opinions_dossier_idx ON opinions (dossier_id);
CREATE INDEX opinions_expert_idx ON opinions (expert_id, answered_at);
