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
       decision_amount_cents, date(decision_period_start), date(decision_period_end),
       decision_motivation, decided_at
FROM dossiers WHERE state IN ('accepte', 'refuse');

UPDATE purged_dossier_stats SET state = 'decide' WHERE state IN ('accepte', 'refuse');

-- The dossiers table is rebuilt (SQLite cannot change a CHECK constraint in place): the states change,
-- the decision columns go (decisions are per right), `decision_motivation` becomes `closing_reason`, and
-- new columns arrive. Migrations run with foreign keys off (guichet_db::pool), so dropping the old table
-- cascades nothing; `foreign_key_check` runs after them.
CREATE TABLE dossiers_new (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT UNIQUE,
    procedure TEXT NOT NULL,
    service_code TEXT NOT NULL,
    form_version_id TEXT NOT NULL REFERENCES form_versions (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL CHECK (state IN ('brouillon', 'depose', 'en_instruction', 'decide', 'sans_suite')),
    complement_demande BOOLEAN NOT NULL DEFAULT FALSE,
    answers TEXT NOT NULL,
    pending_answers TEXT,
    current_step TEXT,
    applicant_name TEXT NOT NULL DEFAULT '',
    deposited_at TIMESTAMP,
    due_at TIMESTAMP,
    clock_paused_at TIMESTAMP,
    assigned_to TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    closing_reason TEXT,
    lock_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    search_key TEXT NOT NULL DEFAULT '',
    -- The usager answered a complement; cleared by the instructor's next action.
    complement_recu BOOLEAN NOT NULL DEFAULT FALSE,
    -- Where the instruction stands within en_instruction (APA complet, evaluation…).
    stage TEXT,
    -- APA: the day the dossier was recorded complete (the 2-month clock starts, CASF L232-14).
    complete_at TIMESTAMP,
    -- The implicit decision recorded at the due date without an explicit one.
    implicit_at TIMESTAMP
);
INSERT INTO dossiers_new (id, number, procedure, service_code, form_version_id, owner_id, state,
                          complement_demande, answers, pending_answers, current_step, applicant_name,
                          deposited_at, due_at, clock_paused_at, assigned_to, decided_at, closing_reason,
                          lock_version, created_at, updated_at, search_key)
SELECT id, number, procedure, service_code, form_version_id, owner_id,
       CASE WHEN state IN ('accepte', 'refuse') THEN 'decide'
            -- A complement awaited no longer sends the dossier back to « déposé ».
            WHEN state = 'depose' AND complement_demande THEN 'en_instruction'
            ELSE state END,
       complement_demande, answers, pending_answers, current_step, applicant_name,
       deposited_at, due_at, clock_paused_at, assigned_to, decided_at,
       CASE WHEN state = 'sans_suite' THEN decision_motivation END,
       lock_version, created_at, updated_at, search_key
FROM dossiers;
DROP TABLE dossiers;
ALTER TABLE dossiers_new RENAME TO dossiers;

CREATE INDEX dossiers_owner_idx ON dossiers (owner_id, updated_at);
CREATE INDEX dossiers_assigned_idx ON dossiers (assigned_to, state);
CREATE INDEX dossiers_applicant_idx ON dossiers (applicant_name);
CREATE INDEX dossiers_tab_order_idx ON dossiers (
    state, (due_at IS NULL), due_at, id, complement_demande, service_code, procedure, assigned_to, search_key
);
CREATE INDEX dossiers_decided_order_idx ON dossiers (
    (due_at IS NULL), due_at, id, service_code, procedure, assigned_to, search_key, complement_demande
) WHERE state IN ('decide', 'sans_suite');

CREATE TRIGGER dossiers_counted_insert AFTER INSERT ON dossiers
WHEN NEW.state <> 'brouillon'
BEGIN
    INSERT INTO queue_counts (service_code, procedure, state, complement_demande, n)
    VALUES (NEW.service_code, NEW.procedure, NEW.state, NEW.complement_demande, 1)
    ON CONFLICT (service_code, procedure, state, complement_demande) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER dossiers_counted_delete AFTER DELETE ON dossiers
WHEN OLD.state <> 'brouillon'
BEGIN
    UPDATE queue_counts SET n = n - 1
    WHERE service_code = OLD.service_code AND procedure = OLD.procedure AND state = OLD.state
      AND complement_demande = OLD.complement_demande;
END;

CREATE TRIGGER dossiers_counted_update AFTER UPDATE OF service_code, procedure, state, complement_demande ON dossiers
WHEN (OLD.service_code, OLD.procedure, OLD.state, OLD.complement_demande)
    IS NOT (NEW.service_code, NEW.procedure, NEW.state, NEW.complement_demande)
BEGIN
    UPDATE queue_counts SET n = n - 1
    WHERE OLD.state <> 'brouillon'
      AND service_code = OLD.service_code AND procedure = OLD.procedure AND state = OLD.state
      AND complement_demande = OLD.complement_demande;
    INSERT INTO queue_counts (service_code, procedure, state, complement_demande, n)
    SELECT NEW.service_code, NEW.procedure, NEW.state, NEW.complement_demande, 1
    WHERE NEW.state <> 'brouillon'
    ON CONFLICT (service_code, procedure, state, complement_demande) DO UPDATE SET n = n + 1;
END;

-- The counters, recounted under the new states.
DELETE FROM queue_counts;
INSERT INTO queue_counts (service_code, procedure, state, complement_demande, n)
SELECT service_code, procedure, state, complement_demande, count(*)
FROM dossiers WHERE state <> 'brouillon'
GROUP BY service_code, procedure, state, complement_demande;
