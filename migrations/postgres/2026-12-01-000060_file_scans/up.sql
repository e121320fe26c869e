-- Antivirus state of stored files received while clamd was unreachable (GUICHET_CLAMD_UNAVAILABLE=hold):
-- `pending` until the rescan job reaches clamd, then `clean` or `infected` (bytes deleted). A file with
-- no row was scanned clean at upload (or stored with scanning off).
CREATE TABLE file_scans (
    sha256 TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    scanned_at TIMESTAMP
);
CREATE INDEX file_scans_status_idx ON file_scans (status);
