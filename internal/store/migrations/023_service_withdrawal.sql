-- A service taken back before anything was approved for it (made in error,
-- or its funding gone) is withdrawn: claimed for no period at all, its
-- submitted claims rejected with the reason, and its claimants told.
ALTER TABLE services ADD COLUMN withdrawn_on {{date}};
ALTER TABLE services ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT '';
