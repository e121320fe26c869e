DROP INDEX attachments_sha256_idx;
DROP TABLE file_refs;
