-- A practice may let its PCN fill, declare and submit its returns and
-- answer its offers: recorded, and revocable (revoked_at), with who did each.
CREATE TABLE claim_delegations (
    id            {{id}},
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    pcn_code      TEXT NOT NULL REFERENCES orgs (code),
    granted_at    {{timestamp}} NOT NULL,
    granted_by    TEXT NOT NULL,
    revoked_at    {{timestamp}},
    revoked_by    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX claim_delegations_open ON claim_delegations (practice_code) WHERE revoked_at IS NULL;
