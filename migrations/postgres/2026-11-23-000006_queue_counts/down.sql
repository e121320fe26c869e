DROP TRIGGER IF EXISTS dossiers_counted ON dossiers;
DROP FUNCTION IF EXISTS dossiers_counted();
DROP FUNCTION IF EXISTS queue_counts_add(TEXT, TEXT, TEXT, BOOLEAN, BIGINT);
DROP TABLE IF EXISTS queue_counts;
