-- Sessions of the commission des droits et de l'autonomie des personnes handicapées (CDAPH, CASF L241-5,
-- R241-24 to R241-34): a dated sitting of one service groups the dossiers whose rights the équipe
-- pluridisciplinaire has proposed; the decisions of the sitting are entered on one screen, per right
-- (dossier_rights.session_id names the sitting that decided a right). Held (`held_at`) once every
-- CDAPH right of its dossiers has its decision.
CREATE TABLE commission_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    service_code TEXT NOT NULL,
    session_date DATE NOT NULL,
    place TEXT NOT NULL,
    -- 'pleniere' or 'restreinte' (a section of the CDAPH, CASF L241-5 and R241-28)
    formation TEXT NOT NULL CHECK (formation IN ('pleniere', 'restreinte')),
    label TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    held_at TIMESTAMP NULL,
    held_by TEXT NULL,
    lock_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX commission_sessions_service_idx ON commission_sessions (service_code, session_date);

-- The dossiers presented at a sitting, in their order on the agenda. A dossier sits in at most one sitting
-- not yet held (checked when it is added); a held sitting keeps its list.
CREATE TABLE commission_dossiers (
    session_id TEXT NOT NULL REFERENCES commission_sessions (id) ON DELETE CASCADE,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    added_by TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, dossier_id)
);
CREATE INDEX commission_dossiers_dossier_idx ON commission_dossiers (dossier_id);

-- The équipe pluridisciplinaire's proposal carries the rate band and the amount it proposes, which prefill
-- the sitting's decision (CASF L146-8 and L241-6 I: the CDAPH decides on the basis of the équipe's evaluation).
ALTER TABLE dossier_rights ADD COLUMN proposal_amount_cents BIGINT NULL;
ALTER TABLE dossier_rights ADD COLUMN proposal_rate TEXT NULL;
