-- A person identified again by FranceConnect closes their account without a password (issue 15): a
-- one-use `close_account` token, ten minutes. SQLite cannot alter a CHECK constraint: the tokens table
-- (short-lived links, referenced by nothing) is rebuilt.
CREATE TABLE user_tokens_new (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'invitation', 'close_account')),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    new_email TEXT
);
INSERT INTO user_tokens_new (id, user_id, purpose, token_hash, expires_at, used_at, created_at, new_email)
    SELECT id, user_id, purpose, token_hash, expires_at, used_at, created_at, new_email FROM user_tokens;
DROP TABLE user_tokens;
ALTER TABLE user_tokens_new RENAME TO user_tokens;
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id);
