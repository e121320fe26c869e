DROP INDEX dossier_rights_period_end_idx;
DROP TABLE vault_documents;
