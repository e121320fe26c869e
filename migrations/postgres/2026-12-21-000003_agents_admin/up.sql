-- Agents managed from the web (issue 14): an administrator invites an agent by email (an `invitation`
-- token: a one-time link to choose a first password) and may deactivate an account (login refused,
-- sessions ended; the row and its history stay).
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
ALTER TABLE user_tokens DROP CONSTRAINT IF EXISTS user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'invitation'));
