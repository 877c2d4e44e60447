-- The organisation an audit entry is about, so that people read the entries
-- of their own organisations only (store.auditOrg works it out as each is
-- written). NULL for entries about no one organisation (imports, measures,
-- sign-ins) and for entries written before this migration: those are read
-- by administrators at the top of a hierarchy only.
ALTER TABLE audit_log ADD COLUMN org_code TEXT;
CREATE INDEX audit_log_org ON audit_log (org_code, seq);
