DROP TABLE attachments;
DROP TABLE messages;
DROP TABLE dossier_events;
DROP TABLE dossier_sequences;
DROP TABLE dossiers;
DROP TABLE form_versions;
