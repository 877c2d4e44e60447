-- Single sign-on through OpenID Connect providers.

-- Where a grant came from: '' an administrator's, 'sso:<provider>' a mapping
-- rule's at the person's last sign-in through that provider (replaced at
-- each such sign-in; an administrator's grant is never touched).
ALTER TABLE grants ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- How a session began: '' by password, else the provider; money_ok 0 when
-- the sign-in's assurance (acr) was below what the provider requires for
-- the roles that approve money, which then do not apply in the session.
ALTER TABLE sessions ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN money_ok INTEGER NOT NULL DEFAULT 1;

-- Mapping rules: data, kept by administrators (sso.Rule).
CREATE TABLE sso_rules (
    id        {{id}},
    provider  TEXT NOT NULL,
    claim     TEXT NOT NULL,
    value     TEXT NOT NULL,
    activity  TEXT NOT NULL DEFAULT '',
    org_code  TEXT NOT NULL,
    role      TEXT NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  {{timestamp}} NOT NULL,
    UNIQUE (provider, claim, value, activity, org_code, role)
);

-- A provider's person (its subject) linked to a OnePC user: by verified
-- email at first sign-in, or by an administrator.
CREATE TABLE sso_identities (
    provider  TEXT NOT NULL,
    subject   TEXT NOT NULL,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at {{timestamp}} NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- Sign-ins begun and not yet finished, so that any server can finish one
-- another began. The state is kept hashed; a row is used once.
CREATE TABLE sso_starts (
    state_hash TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    next       TEXT NOT NULL,
    ip         TEXT NOT NULL,
    created_at {{timestamp}} NOT NULL
);
CREATE INDEX sso_starts_ip ON sso_starts (ip, created_at);
