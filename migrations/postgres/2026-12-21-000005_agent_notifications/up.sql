-- An agent's notification emails (issue 14): which news of their dossiers and services they want by
-- email (new dossier in their services, message or complement received on a dossier assigned to them,
-- expert opinion received, deadline in 15 or 7 days), sent at once (a short list every quarter of an
-- hour) or as one daily digest. `last_sent_at`: the news since then go into the next email. No row: the
-- defaults (everything about their own dossiers at once, no new-dossier email).
CREATE TABLE agent_notifications (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    new_dossier BOOLEAN NOT NULL DEFAULT FALSE,
    message BOOLEAN NOT NULL DEFAULT TRUE,
    complement BOOLEAN NOT NULL DEFAULT TRUE,
    opinion BOOLEAN NOT NULL DEFAULT TRUE,
    deadline BOOLEAN NOT NULL DEFAULT TRUE,
    digest BOOLEAN NOT NULL DEFAULT FALSE,
    last_sent_at TIMESTAMP
);
