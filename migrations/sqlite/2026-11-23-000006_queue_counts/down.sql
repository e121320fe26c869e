DROP TRIGGER IF EXISTS dossiers_counted_insert;
DROP TRIGGER IF EXISTS dossiers_counted_delete;
DROP TRIGGER IF EXISTS dossiers_counted_update;
DROP TABLE IF EXISTS queue_counts;
