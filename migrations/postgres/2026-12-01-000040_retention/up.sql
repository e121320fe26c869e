-- Retention (RGPD art. 5.1.e): the periods are in each procedure's definition (`[retention]`).

-- The owner of a draft was warned by email that it will be deleted. `draft_updated_at` is the draft's
-- `updated_at` when warned: a draft changed since then is kept, and this row forgotten.
CREATE TABLE retention_warnings (
    dossier_id TEXT PRIMARY KEY NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    draft_updated_at TIMESTAMP NOT NULL,
    warned_at TIMESTAMP NOT NULL
);

-- What the statistics need of a purged dossier, and nothing personal: no name, no number, no exact date.
-- `decision_delay_seconds` keeps the delay percentiles right; `amount_band` is a range, not the amount.
CREATE TABLE purged_dossier_stats (
    id TEXT PRIMARY KEY NOT NULL,
    procedure TEXT NOT NULL,
    service_code TEXT NOT NULL,
    state TEXT NOT NULL,
    deposit_month TEXT,
    decision_month TEXT,
    decision_delay_seconds BIGINT,
    amount_band TEXT,
    purged_at TIMESTAMP NOT NULL
);
CREATE INDEX purged_dossier_stats_procedure_idx ON purged_dossier_stats (procedure, state);

-- Every purge (the dossier's own events go with it): what, which, when and why; no personal data.
CREATE TABLE purge_log (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('brouillon', 'dossier')),
    procedure TEXT NOT NULL,
    dossier_id TEXT NOT NULL,
    dossier_number TEXT,
    reason TEXT NOT NULL,
    reference_at TIMESTAMP NOT NULL,
    files INTEGER NOT NULL,
    purged_at TIMESTAMP NOT NULL
);
CREATE INDEX purge_log_purged_at_idx ON purge_log (purged_at);
