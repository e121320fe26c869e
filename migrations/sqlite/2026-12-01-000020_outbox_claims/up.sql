-- Which process holds a claim (so a restarted process frees its own claims at once instead of waiting for
-- the lease), and when the last send began (a row with sending_at set and sent_at unset may have reached
-- the recipient: its re-send carries the same Message-ID).
ALTER TABLE outbox ADD COLUMN locked_by TEXT;
ALTER TABLE outbox ADD COLUMN sending_at TIMESTAMP;
