-- FranceConnect and the agents' OpenID Connect provider (issue 15). An account is joined to an external
-- identity by the provider's `sub`, never by the email alone (FranceConnect's rule): a person whose email
-- already has an account joins it only after logging in to it with its password.
CREATE TABLE external_identities (
    id TEXT PRIMARY KEY NOT NULL,
    -- franceconnect, agents
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the identity last received (names, birth date and place, gender, amr), as JSON
    claims TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX external_identities_subject_idx ON external_identities (provider, subject);
CREATE INDEX external_identities_user_idx ON external_identities (user_id);
-- A login under way, keyed by the digest of the browser's cookie: what the callback checks (state, nonce,
-- PKCE verifier), then, for an email that already has an account, the identity verified until the person
-- logs in to that account. Fifteen minutes at most.
CREATE TABLE oidc_logins (
    id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    pending TEXT NOT NULL,
    next TEXT,
    identity TEXT,
    created_at TIMESTAMP NOT NULL
);
