-- People a member of staff must not instruct (themself as a beneficiary aside): relatives they declare,
-- by name as dossiers carry it (folded: lower case, no accents). Their requests go to a colleague
-- (separation of duties; Code général de la fonction publique L121-4 and L122-1, conflicts of interest).
CREATE TABLE staff_relatives (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folded_name TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, folded_name)
);
