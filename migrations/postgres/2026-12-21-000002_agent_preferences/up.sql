-- An agent's own ways of working (issue 14): queue views saved under a name (the query string of the
-- queue: tab, procedures, assignees, deadline, search, sort), and the columns chosen for the exports of
-- a procedure (an export template: the keys of `usecases::exports::columns`, as a JSON array).
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE export_templates (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    procedure TEXT NOT NULL,
    column_keys TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, procedure)
);
