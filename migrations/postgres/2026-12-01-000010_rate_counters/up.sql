-- One row per throttled bucket (login failures per account, IP and pair; account emails per address and IP).
-- A counter replaces one row per attempt: a login reads and updates at most three rows, in one write
-- transaction, so concurrent attempts cannot overtake the limit.
CREATE TABLE rate_counters (
    bucket TEXT PRIMARY KEY NOT NULL,
    hits INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    last_hit_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_counters_last_hit_idx ON rate_counters (last_hit_at);

DROP TABLE login_attempts;
