-- Expert opinions (avis, issue 14): an instructor asks a member of the équipe pluridisciplinaire or
-- another service (a médecin, an ergothérapeute, the service social) a question about a dossier, with the
-- documents chosen; the expert sees only that (their account has the `expert` role) and answers. Opinions
-- are internal: never shown to the usager (their events are not `visible_to_usager`).
CREATE TABLE opinions (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    expert_id TEXT NOT NULL REFERENCES users (id),
    question TEXT NOT NULL,
    -- the digests of the dossier's files shared with the expert, as a JSON array
    documents TEXT NOT NULL DEFAULT '[]',
    asked_at TIMESTAMP NOT NULL,
    due_on DATE NOT NULL,
    answer TEXT,
    answered_at TIMESTAMP,
    reminded_at TIMESTAMP
);
CREATE INDEX opinions_dossier_idx ON opinions (dossier_id);
CREATE INDEX opinions_expert_idx ON opinions (expert_id, answered_at);
