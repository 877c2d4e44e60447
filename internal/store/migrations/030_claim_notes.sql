-- What a practice writes beside a claim's figures:
-- reply: its answer to its commissioner's query, sent with the amended
--   claim (store.Amend), kept for the reviewer until they act on the claim;
-- draft_reason: why a figure is unusual, as typed on a draft, so that it is
--   there when the return is submitted (then it is in the claim's flag).
ALTER TABLE claims ADD COLUMN reply TEXT NOT NULL DEFAULT '';
ALTER TABLE claims ADD COLUMN draft_reason TEXT NOT NULL DEFAULT '';
