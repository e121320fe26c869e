-- An opinion asked of an expert without an account (a médecin traitant, another service's worker): their
-- name and address, and a one-time link (only its SHA-256 is kept) that opens the question and the shared
-- documents until the answer is given or the link expires. `expert_id` is null for them.
ALTER TABLE opinions ALTER COLUMN expert_id DROP NOT NULL;
ALTER TABLE opinions ADD COLUMN expert_name TEXT;
ALTER TABLE opinions ADD COLUMN expert_email TEXT;
ALTER TABLE opinions ADD COLUMN link_hash TEXT;
ALTER TABLE opinions ADD COLUMN link_expires_at TIMESTAMP;
CREATE UNIQUE INDEX opinions_link_idx ON opinions (link_hash);
