-- Per-right decisions cannot be folded back into one decision per dossier: restore the columns only.
DROP INDEX IF EXISTS dossiers_decided_order_idx;
ALTER TABLE dossiers RENAME COLUMN closing_reason TO decision_motivation;
ALTER TABLE dossiers ADD COLUMN decision_amount_cents BIGINT NULL;
ALTER TABLE dossiers ADD COLUMN decision_period_start TIMESTAMP NULL;
ALTER TABLE dossiers ADD COLUMN decision_period_end TIMESTAMP NULL;
ALTER TABLE dossiers DROP CONSTRAINT dossiers_state_check;
UPDATE dossiers SET state = CASE WHEN EXISTS (SELECT 1 FROM dossier_rights r WHERE r.dossier_id = dossiers.id AND r.outcome = 'accord') THEN 'accepte' ELSE 'refuse' END WHERE state = 'decide';
UPDATE dossiers SET state = 'depose' WHERE state = 'en_instruction' AND complement_demande;
ALTER TABLE dossiers ADD CONSTRAINT dossiers_state_check
    CHECK (state IN ('brouillon', 'depose', 'en_instruction', 'accepte', 'refuse', 'sans_suite'));
UPDATE purged_dossier_stats SET state = 'accepte' WHERE state = 'decide';
ALTER TABLE dossiers DROP COLUMN implicit_at;
ALTER TABLE dossiers DROP COLUMN complete_at;
ALTER TABLE dossiers DROP COLUMN stage;
ALTER TABLE dossiers DROP COLUMN complement_recu;
CREATE INDEX dossiers_decided_order_idx ON dossiers (
    (due_at IS NULL), due_at, id, service_code, procedure, assigned_to, search_key
) WHERE state IN ('accepte', 'refuse', 'sans_suite');
DROP TABLE document_reviews;
DROP TABLE dossier_rights;
