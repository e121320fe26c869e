-- The département's identity as data (issue 12 « Letters and pages »): name, postal address, phone, email,
-- web site, place of signature and the signatory of each service's letters, edited with
-- `guichet settings` or on /admin. A key absent here falls back to the configuration's value.
CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    -- The administrator who changed it (NULL: the command line).
    updated_by TEXT NULL,
    updated_at TIMESTAMP NOT NULL
);
