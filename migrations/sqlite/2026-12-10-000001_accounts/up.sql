-- « Mon compte »: the optional emails a person may turn off (mandatory ones, such as receipts and
-- decisions, have no column: they are always sent), and the date an account was closed by its owner
-- (the row stays: deposited dossiers refer to it and are kept as the law requires).
ALTER TABLE users ADD COLUMN notify_messages BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;

-- A change of address is confirmed by a link sent to the new address, which travels with its token
-- (`change_email`). SQLite cannot alter a CHECK constraint: the table (short-lived links, referenced by
-- nothing) is rebuilt.
CREATE TABLE user_tokens_new (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    new_email TEXT
);
INSERT INTO user_tokens_new (id, user_id, purpose, token_hash, expires_at, used_at, created_at)
    SELECT id, user_id, purpose, token_hash, expires_at, used_at, created_at FROM user_tokens;
DROP TABLE user_tokens;
ALTER TABLE user_tokens_new RENAME TO user_tokens;
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id);
