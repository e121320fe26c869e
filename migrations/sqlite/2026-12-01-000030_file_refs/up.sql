-- Which stored files (by SHA-256) each dossier's answers and pending answers name, repeating groups
-- included. Rewritten by the code that writes answers, so the file collector finds the referenced files
-- with an index lookup instead of parsing every dossier's JSON. Message attachments are in `attachments`.
CREATE TABLE file_refs (
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (dossier_id, sha256)
);
CREATE INDEX file_refs_sha256_idx ON file_refs (sha256);
CREATE INDEX attachments_sha256_idx ON attachments (sha256);
