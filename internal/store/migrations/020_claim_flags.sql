-- Figures far out of the ordinary, confirmed by the practice with a reason:
-- shown to the reviewer, and listed first.
ALTER TABLE claims ADD COLUMN flag TEXT NOT NULL DEFAULT '';
