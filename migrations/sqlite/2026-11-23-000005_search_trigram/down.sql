DROP INDEX IF EXISTS dossiers_decided_order_idx;
