DROP TABLE dossier_access;
