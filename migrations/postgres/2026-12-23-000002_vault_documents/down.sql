DROP TABLE vault_documents;
