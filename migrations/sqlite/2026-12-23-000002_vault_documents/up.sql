-- A person's documents kept across requests (issue 15, « Document vault »): each file of a known kind
-- (identity, proof of address, tax notice, RIB, judgment, medical certificate) sent with a request, with
-- its date, for whom it was given, and the request it came from. The bytes are the file store's,
-- addressed by content: deleting an entry here never removes the copy attached to a dossier.
CREATE TABLE vault_documents (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    document_date DATE,
    beneficiary TEXT NOT NULL,
    source_dossier_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX vault_documents_user_idx ON vault_documents (user_id, kind);
CREATE UNIQUE INDEX vault_documents_file_idx ON vault_documents (user_id, file_id);
-- Renewals: the granted rights whose end comes within the reminder's months (issue 15, « Renewals »).
CREATE INDEX dossier_rights_period_end_idx ON dossier_rights (period_end);
