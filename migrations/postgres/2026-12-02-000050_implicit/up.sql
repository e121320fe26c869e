-- The hourly sweep of implicit decisions (CRPA L231-1, L231-4; CASF R241-33, L232-14) reads the dossiers
-- still awaiting a decision whose due date has passed: this partial index holds only those not yet swept,
-- so the sweep reads a few rows whatever the stock. The sweep's query repeats this condition literally
-- (SQLite uses a partial index only then).
CREATE INDEX dossiers_implicit_sweep_idx ON dossiers (due_at)
    WHERE implicit_at IS NULL AND state IN ('depose', 'en_instruction');
