DROP TABLE oidc_logins;
DROP TABLE external_identities;
