-- One row per right a dossier requests (derived from the answers by the definition's [[rights]], or added
-- by an instructor), each with its own proposal and decision: the CDAPH decides each right separately, and
-- a dossier's outcome is read from its rights, never stored on the dossier (DESIGN.md, Rights and decisions).
CREATE TABLE dossier_rights (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    position INTEGER NOT NULL,
    -- 'demande' (from the answers) or 'instructeur' (added in the back office)
    origin TEXT NOT NULL,
    -- 'cdaph' or 'president_cd'
    authority TEXT NOT NULL,
    -- 'none', 'per_month', 'per_year', 'one_off', 'total'
    unit TEXT NOT NULL DEFAULT 'none',
    added_by TEXT NULL,
    withdrawn_at TIMESTAMP NULL,
    withdrawn_reason TEXT NULL,
    -- the équipe pluridisciplinaire's proposal: same values as outcome
    proposal TEXT NULL,
    proposal_note TEXT NULL,
    proposed_by TEXT NULL,
    proposed_at TIMESTAMP NULL,
    -- 'accord', 'refus', 'sans_objet'; NULL until decided
    outcome TEXT NULL,
    amount_cents BIGINT NULL,
    period_start DATE NULL,
    period_end DATE NULL,
    -- taux d'incapacité band: 'lt50', '50_79', 'ge80'
    rate TEXT NULL,
    motivation TEXT NULL,
    legal_basis TEXT NULL,
    decided_by TEXT NULL,
    decided_at TIMESTAMP NULL,
    session_id TEXT NULL,
    UNIQUE (dossier_id, code)
);
CREATE INDEX dossier_rights_session_idx ON dossier_rights (session_id);
-- Rights ending soon drive renewals.
CREATE INDEX dossier_rights_end_idx ON dossier_rights (period_end);

-- Per-document review of the files received: accepted, or rejected with a reason that prefills the
-- complement request.
CREATE TABLE document_reviews (
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    file_id TEXT NOT NULL,
    field TEXT NOT NULL,
    -- 'accepte' or 'rejete'
    verdict TEXT NOT NULL,
    -- 'illisible', 'perime', 'incomplet', 'mauvais_document'
    reason TEXT NULL,
    comment TEXT NULL,
    reviewed_by TEXT NOT NULL,
    reviewed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dossier_id, file_id)
);

-- The décisions of the past, one per dossier, become one right each (the definitions' own rights apply
-- to dossiers decided from now on).
INSERT INTO dossier_rights (id, dossier_id, code, label, position, origin, authority, unit, outcome,
                            amount_cents, period_start, period_end, motivation, decided_at)
SELECT id || '-demande', id, 'demande', 'La demande', 0, 'demande',
       CASE WHEN procedure IN ('mdph', 'pch') THEN 'cdaph' ELSE 'president_cd' END,
       CASE WHEN decision_amount_cents IS NULL THEN 'none'
            WHEN procedure = 'amethyste' THEN 'per_year' ELSE 'per_month' END,
       CASE state WHEN 'accepte' THEN 'accord' ELSE 'refus' END,
       decision_amount_cents, CAST(decision_period_start AS DATE), CAST(decision_period_end AS DATE),
       decision_motivation, decided_at
FROM dossiers WHERE state IN ('accepte', 'refuse');

-- A complement awaited no longer sends the dossier back to « déposé »: it stays with its instructor.
ALTER TABLE dossiers ADD COLUMN complement_recu BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE dossiers ADD COLUMN stage TEXT NULL;
-- APA: the day the dossier was recorded complete (the 2-month clock starts, CASF L232-14).
ALTER TABLE dossiers ADD COLUMN complete_at TIMESTAMP NULL;
-- The implicit decision recorded at the due date without an explicit one.
ALTER TABLE dossiers ADD COLUMN implicit_at TIMESTAMP NULL;
ALTER TABLE dossiers DROP CONSTRAINT dossiers_state_check;
UPDATE dossiers SET state = 'en_instruction' WHERE state = 'depose' AND complement_demande;
UPDATE dossiers SET state = 'decide' WHERE state IN ('accepte', 'refuse');
UPDATE purged_dossier_stats SET state = 'decide' WHERE state IN ('accepte', 'refuse');
UPDATE dossiers SET decision_motivation = NULL WHERE state = 'decide';
ALTER TABLE dossiers DROP COLUMN decision_amount_cents;
ALTER TABLE dossiers DROP COLUMN decision_period_start;
ALTER TABLE dossiers DROP COLUMN decision_period_end;
ALTER TABLE dossiers RENAME COLUMN decision_motivation TO closing_reason;
ALTER TABLE dossiers ADD CONSTRAINT dossiers_state_check
    CHECK (state IN ('brouillon', 'depose', 'en_instruction', 'decide', 'sans_suite'));

DROP INDEX IF EXISTS dossiers_decided_order_idx;
CREATE INDEX dossiers_decided_order_idx ON dossiers (
    (due_at IS NULL), due_at, id, service_code, procedure, assigned_to, search_key
) WHERE state IN ('decide', 'sans_suite');
