-- A definition as it was when a dossier was filed: the dossier always renders with it.
CREATE TABLE form_versions (
    id TEXT PRIMARY KEY NOT NULL,
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX form_versions_form_idx ON form_versions (form_id);

CREATE TABLE dossiers (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT UNIQUE,
    procedure TEXT NOT NULL,
    service_code TEXT NOT NULL,
    form_version_id TEXT NOT NULL REFERENCES form_versions (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL CHECK (state IN ('brouillon', 'depose', 'en_instruction', 'accepte', 'refuse', 'sans_suite')),
    complement_demande BOOLEAN NOT NULL DEFAULT FALSE,
    answers TEXT NOT NULL,
    pending_answers TEXT,
    current_step TEXT,
    applicant_name TEXT NOT NULL DEFAULT '',
    deposited_at TIMESTAMP,
    due_at TIMESTAMP,
    clock_paused_at TIMESTAMP,
    assigned_to TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_amount_cents BIGINT,
    decision_period_start TIMESTAMP,
    decision_period_end TIMESTAMP,
    decision_motivation TEXT,
    lock_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX dossiers_owner_idx ON dossiers (owner_id, updated_at);
CREATE INDEX dossiers_queue_idx ON dossiers (service_code, state, due_at, id);
CREATE INDEX dossiers_assigned_idx ON dossiers (assigned_to, state);
CREATE INDEX dossiers_applicant_idx ON dossiers (applicant_name);

-- Per procedure and year, the last number given (APA-2026-000123).
CREATE TABLE dossier_sequences (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_value INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (prefix, year)
);

-- Append-only history: transitions, edits, reads of sensitive data, messages, notes.
CREATE TABLE dossier_events (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    actor_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    visible_to_usager BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dossier_events_dossier_idx ON dossier_events (dossier_id, created_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id),
    from_staff BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_dossier_idx ON messages (dossier_id, created_at);

-- File metadata; the bytes live on disk (or object storage) under their SHA-256.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    field_id TEXT,
    message_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_dossier_idx ON attachments (dossier_id, field_id);
