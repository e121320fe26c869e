ALTER TABLE user_tokens DROP COLUMN new_email;
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE users DROP COLUMN notify_messages;
