DROP TABLE opinions;
