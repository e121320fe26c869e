DROP INDEX IF EXISTS dossiers_sort_deposit_idx;
DROP INDEX IF EXISTS dossiers_sort_number_idx;
DROP INDEX IF EXISTS dossiers_sort_name_idx;
DROP INDEX IF EXISTS dossiers_decided_deposit_idx;
DROP INDEX IF EXISTS dossiers_decided_number_idx;
DROP INDEX IF EXISTS dossiers_decided_name_idx;
DROP INDEX IF EXISTS dossiers_assignee_order_idx;
