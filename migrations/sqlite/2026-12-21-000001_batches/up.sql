-- Batch actions of the back office (issue 14): an agent selects dossiers (a page or a whole filtered
-- view) and takes, assigns, writes, asks a complement, notes or closes them alike. A batch is not atomic:
-- each item is done or refused on its own, in its own transaction, with its reason, and the report reads
-- these rows while the batch runs in the background.
CREATE TABLE batches (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- usecases::batch::Action::code
    action TEXT NOT NULL,
    -- the action's parameters as JSON (assignee, text)
    params TEXT NOT NULL DEFAULT '{}',
    total INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NULL
);
CREATE INDEX batches_user_idx ON batches (user_id, created_at);

CREATE TABLE batch_items (
    batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    dossier_id TEXT NOT NULL,
    -- the number as it was when selected: the report names the dossier even if it is gone since
    dossier_number TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'en_attente' CHECK (status IN ('en_attente', 'fait', 'refuse')),
    reason TEXT NOT NULL DEFAULT '',
    done_at TIMESTAMP NULL,
    PRIMARY KEY (batch_id, position)
);
