-- A practice's answer to its commissioner's query, sent with the amended
-- claim (store.Amend): kept for the reviewer until they act on the claim.
ALTER TABLE claims ADD COLUMN reply TEXT NOT NULL DEFAULT '';
