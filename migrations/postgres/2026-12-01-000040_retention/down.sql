DROP TABLE purge_log;
DROP TABLE purged_dossier_stats;
DROP TABLE retention_warnings;
