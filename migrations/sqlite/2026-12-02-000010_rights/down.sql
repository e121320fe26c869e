-- Per-right decisions cannot be folded back into one decision per dossier: a decided dossier becomes
-- « accepte » when one of its rights was granted, « refuse » otherwise; the decision columns come back
-- empty. Migrations run with foreign keys off (guichet_db::pool).
CREATE TABLE dossiers_old (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT UNIQUE,
    procedure TEXT NOT NULL,
    service_code TEXT NOT NULL,
    form_version_id TEXT NOT NULL REFERENCES form_versions (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL CHECK (state IN ('brouillon', 'depose', 'en_instruction', 'accepte', 'refuse', 'sans_suite')),
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
    decision_amount_cents BIGINT,
    decision_period_start TIMESTAMP,
    decision_period_end TIMESTAMP,
    decision_motivation TEXT,
    lock_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    search_key TEXT NOT NULL DEFAULT ''
);
INSERT INTO dossiers_old (id, number, procedure, service_code, form_version_id, owner_id, state,
                          complement_demande, answers, pending_answers, current_step, applicant_name,
                          deposited_at, due_at, clock_paused_at, assigned_to, decided_at, decision_motivation,
                          lock_version, created_at, updated_at, search_key)
SELECT id, number, procedure, service_code, form_version_id, owner_id,
       CASE WHEN state = 'decide' AND EXISTS (SELECT 1 FROM dossier_rights r WHERE r.dossier_id = dossiers.id AND r.outcome = 'accord') THEN 'accepte'
            WHEN state = 'decide' THEN 'refuse'
            WHEN state = 'en_instruction' AND complement_demande THEN 'depose'
            ELSE state END,
       complement_demande, answers, pending_answers, current_step, applicant_name,
       deposited_at, due_at, clock_paused_at, assigned_to, decided_at, closing_reason,
       lock_version, created_at, updated_at, search_key
FROM dossiers;
DROP TABLE dossiers;
ALTER TABLE dossiers_old RENAME TO dossiers;

CREATE INDEX dossiers_owner_idx ON dossiers (owner_id, updated_at);
CREATE INDEX dossiers_assigned_idx ON dossiers (assigned_to, state);
CREATE INDEX dossiers_applicant_idx ON dossiers (applicant_name);
CREATE INDEX dossiers_tab_order_idx ON dossiers (
    state, (due_at IS NULL), due_at, id, complement_demande, service_code, procedure, assigned_to, search_key
);
CREATE INDEX dossiers_decided_order_idx ON dossiers (
    (due_at IS NULL), due_at, id, service_code, procedure, assigned_to, search_key, complement_demande
) WHERE state IN ('accepte', 'refuse', 'sans_suite');

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

DELETE FROM queue_counts;
INSERT INTO queue_counts (service_code, procedure, state, complement_demande, n)
SELECT service_code, procedure, state, complement_demande, count(*)
FROM dossiers WHERE state <> 'brouillon'
GROUP BY service_code, procedure, state, complement_demande;
UPDATE purged_dossier_stats SET state = 'accepte' WHERE state = 'decide';
DROP TABLE document_reviews;
DROP TABLE dossier_rights;
