-- Routing rules (issue 14): beyond its procedure's service, a dossier deposited goes to a territorial
-- service by the beneficiary's postal code or commune, or to a team by their age (the MDPH's children and
-- adults). Rules of a procedure are tried in `position` order; the first whose every condition holds wins.
CREATE TABLE routing_rules (
    id TEXT PRIMARY KEY NOT NULL,
    procedure TEXT NOT NULL,
    position INTEGER NOT NULL,
    -- postal codes or their first digits (« 931 » is 93100 to 93199), comma-separated; empty: any
    postal_codes TEXT NOT NULL DEFAULT '',
    -- INSEE codes of communes, comma-separated; empty: any
    communes TEXT NOT NULL DEFAULT '',
    -- the beneficiary's age at deposit, in whole years, bounds included; null: unbounded
    age_min INTEGER,
    age_max INTEGER,
    service_code TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX routing_rules_procedure_idx ON routing_rules (procedure, position);
