-- Capability reviews. Frameworks shipped in the binary are read from it;
-- those administrators upload are kept here, each version whole.
CREATE TABLE capability_frameworks (
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at {{timestamp}} NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE capability_reviews (
    id                {{id}},
    org_code          TEXT NOT NULL REFERENCES orgs (code),
    framework         TEXT NOT NULL,
    framework_version INTEGER NOT NULL,
    year              INTEGER NOT NULL,
    mode              TEXT NOT NULL,
    closed            INTEGER NOT NULL DEFAULT 0,
    shared            TEXT NOT NULL DEFAULT '',
    started_by        TEXT NOT NULL,
    started_at        {{timestamp}} NOT NULL,
    closed_by         TEXT NOT NULL DEFAULT '',
    closed_at         {{timestamp}},
    UNIQUE (org_code, framework, year)
);

-- Each team member's own level for an item, in a facilitated session.
CREATE TABLE capability_scores (
    review_id BIGINT NOT NULL REFERENCES capability_reviews (id),
    item      TEXT NOT NULL,
    person    TEXT NOT NULL,
    level     INTEGER NOT NULL,
    scored_at {{timestamp}} NOT NULL,
    PRIMARY KEY (review_id, item, person)
);

-- The level the team agreed, with its evidence; a moderating panel's level beside it.
CREATE TABLE capability_agreed (
    review_id   BIGINT NOT NULL REFERENCES capability_reviews (id),
    item        TEXT NOT NULL,
    level       INTEGER NOT NULL,
    rationale   TEXT NOT NULL,
    confidence  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    measure     TEXT NOT NULL DEFAULT '',
    snapshot    TEXT NOT NULL DEFAULT '',
    panel_level INTEGER NOT NULL DEFAULT 0,
    panel_note  TEXT NOT NULL DEFAULT '',
    agreed_by   TEXT NOT NULL,
    agreed_at   {{timestamp}} NOT NULL,
    PRIMARY KEY (review_id, item)
);

CREATE TABLE capability_actions (
    id        {{id}},
    review_id BIGINT NOT NULL REFERENCES capability_reviews (id),
    item      TEXT NOT NULL,
    title     TEXT NOT NULL,
    owner     TEXT NOT NULL,
    due       {{date}} NOT NULL,
    done      INTEGER NOT NULL DEFAULT 0,
    added_by  TEXT NOT NULL,
    added_at  {{timestamp}} NOT NULL
);
CREATE INDEX capability_actions_review ON capability_actions (review_id);

-- A file given as evidence for an item (a policy, minutes, an audit).
CREATE TABLE capability_files (
    review_id    BIGINT NOT NULL REFERENCES capability_reviews (id),
    item         TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         {{blob}} NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  {{timestamp}} NOT NULL,
    PRIMARY KEY (review_id, item)
);
