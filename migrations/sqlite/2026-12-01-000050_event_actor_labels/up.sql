-- Who acted, as they were named and placed when they acted: history keeps "Karim Benali (MDPH)" even
-- after the agent changes service, name or leaves (separation of duties needs a faithful record).
ALTER TABLE dossier_events ADD COLUMN actor_label TEXT NOT NULL DEFAULT '';
