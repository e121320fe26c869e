-- A person identified again by FranceConnect closes their account without a password (issue 15): a
-- one-use `close_account` token, ten minutes.
ALTER TABLE user_tokens DROP CONSTRAINT IF EXISTS user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'invitation', 'close_account'));
