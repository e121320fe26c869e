DROP TABLE file_scans;
