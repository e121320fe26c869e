-- People with access to a dossier besides the account that filed it (issue 15): the beneficiary, a
-- parent of a child, a legal representative (the judgment checked by the instructor), a France Services
-- agent under an Aidants Connect mandate (its reference and end), or a relative kept informed. Invited by
-- email (the link's digest kept, never the link), joined to an account when the person accepts, revoked
-- by the beneficiary or the filer; each step is also a dossier event.
CREATE TABLE dossier_access (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    -- beneficiaire, parent, representant_legal, aidant, proche
    role TEXT NOT NULL,
    email TEXT NOT NULL,
    -- the account, once the invitation is accepted
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT,
    invited_by TEXT NOT NULL,
    invited_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    revoked_at TIMESTAMP,
    revoked_by TEXT,
    -- an Aidants Connect mandate: its reference and last day
    mandate_reference TEXT,
    mandate_until DATE,
    -- a legal representative's judgment, checked by the instructor
    judgment_checked_at TIMESTAMP,
    judgment_checked_by TEXT
);
CREATE INDEX dossier_access_dossier_idx ON dossier_access (dossier_id);
CREATE INDEX dossier_access_user_idx ON dossier_access (user_id);
CREATE UNIQUE INDEX dossier_access_token_idx ON dossier_access (token_hash);
