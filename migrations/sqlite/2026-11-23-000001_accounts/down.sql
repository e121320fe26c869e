DROP TABLE outbox;
DROP TABLE login_attempts;
DROP TABLE user_tokens;
DROP TABLE memberships;
DROP TABLE services;
DROP TABLE users;
