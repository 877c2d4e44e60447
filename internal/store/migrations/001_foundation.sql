-- Organisations keyed by ODS code: region, icb, subicb (Place), pcn, practice.
CREATE TABLE orgs (
    code          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('region', 'icb', 'subicb', 'pcn', 'practice')),
    name          TEXT NOT NULL,
    parent_code   TEXT REFERENCES orgs (code),
    address       TEXT NOT NULL DEFAULT '',
    postcode      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'A',
    open_date     {{date}},
    close_date    {{date}},
    phone         TEXT NOT NULL DEFAULT '',
    prescribing_setting INTEGER,
    list_size     INTEGER,
    list_size_date {{date}},
    updated_at    {{timestamp}} NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_code);
CREATE INDEX orgs_kind_name ON orgs (kind, name);

-- Practice→PCN spells; end_date NULL while current. Both ends inclusive.
CREATE TABLE pcn_memberships (
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    pcn_code      TEXT NOT NULL REFERENCES orgs (code),
    start_date    {{date}} NOT NULL,
    end_date      {{date}},
    PRIMARY KEY (practice_code, pcn_code, start_date)
);
CREATE INDEX pcn_memberships_pcn ON pcn_memberships (pcn_code, start_date);

CREATE TABLE users (
    id            {{id}},
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    {{timestamp}} NOT NULL
);

CREATE TABLE grants (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    org_code   TEXT NOT NULL REFERENCES orgs (code),
    granted_at {{timestamp}} NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (user_id, role, org_code)
);
CREATE INDEX grants_org ON grants (org_code);

-- Sessions live here, not in a server's memory, so that any of several
-- servers can serve any request. The cookie holds the token; only its hash is kept.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   {{timestamp}} NOT NULL,
    last_seen_at {{timestamp}} NOT NULL,
    expires_at   {{timestamp}} NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed sign-ins per key (an email or a client address), for throttling.
CREATE TABLE login_failures (
    throttle_key TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start {{timestamp}} NOT NULL
);

-- Append-only, hash-chained.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        {{timestamp}} NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
