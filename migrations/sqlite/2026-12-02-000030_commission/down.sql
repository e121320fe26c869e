ALTER TABLE dossier_rights DROP COLUMN proposal_rate;
ALTER TABLE dossier_rights DROP COLUMN proposal_amount_cents;
DROP TABLE commission_dossiers;
DROP TABLE commission_sessions;
