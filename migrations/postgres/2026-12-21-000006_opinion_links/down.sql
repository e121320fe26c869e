DROP INDEX opinions_link_idx;
DELETE FROM opinions WHERE expert_id IS NULL;
ALTER TABLE opinions DROP COLUMN link_expires_at;
ALTER TABLE opinions DROP COLUMN link_hash;
ALTER TABLE opinions DROP COLUMN expert_email;
ALTER TABLE opinions DROP COLUMN expert_name;
ALTER TABLE opinions ALTER COLUMN expert_id SET NOT NULL;
