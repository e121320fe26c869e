ALTER TABLE outbox DROP COLUMN sending_at;
ALTER TABLE outbox DROP COLUMN locked_by;
