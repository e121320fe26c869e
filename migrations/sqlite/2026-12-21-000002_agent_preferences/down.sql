DROP TABLE export_templates;
DROP TABLE saved_views;
