-- APA à domicile after the complete dossier (DESIGN.md, APA and MDPH instruction; CASF L232-14, R232-7):
-- the home evaluation of the équipe médico-sociale, then the care plans proposed to the usager.

-- The evaluation at home: the AGGIR grid as filled (JSON of the sub-variables' modalities, health data:
-- read only by the instructing service, CASF L232-14 and R232-7) and the GIR computed from it by
-- guichet_simulation::aggir (never typed). A dossier keeps each evaluation recorded; the latest counts.
CREATE TABLE apa_evaluations (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    visited_on DATE NOT NULL,
    evaluator TEXT NOT NULL,
    grid TEXT NOT NULL,
    gir INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX apa_evaluations_dossier_idx ON apa_evaluations (dossier_id, recorded_at);

-- The care plans proposed: version 1 the proposal, version 2 the definitive one after the usager asked
-- for changes (CASF R232-7). Amounts as computed by guichet_simulation::care_plan at the proposal, in
-- cents per month. `answer_by`: the last day of the usager's ten days; `response`: 'accepte',
-- 'modifications', 'refuse', or 'silence' (no answer in the ten days: the request is deemed refused).
CREATE TABLE care_plans (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    -- the right the plan funds (the definition's simulated right), refused with the plan
    right_code TEXT NOT NULL,
    helps TEXT NOT NULL,
    plan_cents BIGINT NOT NULL,
    participation_cents BIGINT NOT NULL,
    apa_cents BIGINT NOT NULL,
    gir INTEGER NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TIMESTAMP NOT NULL,
    answer_by DATE NOT NULL,
    response TEXT NULL CHECK (response IN ('accepte', 'modifications', 'refuse', 'silence')),
    response_comment TEXT NULL,
    responded_at TIMESTAMP NULL,
    UNIQUE (dossier_id, version)
);
-- The hourly task looks for proposals left unanswered.
CREATE INDEX care_plans_pending_idx ON care_plans (answer_by) WHERE response IS NULL;
