-- « Mon compte »: the optional emails a person may turn off (mandatory ones, such as receipts and
-- decisions, have no column: they are always sent), the address waiting for its confirmation link on a
-- change of address (`change_email` tokens), and the date an account was closed by its owner (the row
-- stays: deposited dossiers refer to it and are kept as the law requires).
ALTER TABLE users ADD COLUMN notify_messages BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
ALTER TABLE user_tokens ADD COLUMN new_email TEXT;
ALTER TABLE user_tokens DROP CONSTRAINT IF EXISTS user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'));
