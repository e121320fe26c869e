-- Roles within a service (issue 14): what a member may do with that service's dossiers. Existing
-- members instruct, as before.
ALTER TABLE memberships ADD COLUMN role TEXT NOT NULL DEFAULT 'instructeur'
    CHECK (role IN ('instructeur', 'evaluateur', 'lecteur', 'expert'));
