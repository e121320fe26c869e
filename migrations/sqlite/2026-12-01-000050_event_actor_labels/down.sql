ALTER TABLE dossier_events DROP COLUMN actor_label;
