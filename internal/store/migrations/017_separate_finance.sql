-- Who approved a claim, so that someone else approves it for finance,
-- unless its service allows the same person (same_finance = 1).
ALTER TABLE claims ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE services ADD COLUMN same_finance INTEGER NOT NULL DEFAULT 0;
