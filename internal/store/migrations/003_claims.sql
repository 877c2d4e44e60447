-- One catalogue of locally commissioned services, per financial year.
CREATE TABLE services (
    id                {{id}},
    code              TEXT NOT NULL,
    year              INTEGER NOT NULL,
    name              TEXT NOT NULL,
    spec              TEXT NOT NULL DEFAULT '',
    commissioner_org  TEXT NOT NULL REFERENCES orgs (code),
    frequency         TEXT NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'annual')),
    deadline_days     INTEGER NOT NULL,
    eligibility       TEXT NOT NULL CHECK (eligibility IN ('place', 'chosen', 'pcns')),
    sign_up           INTEGER NOT NULL,
    needs_declaration INTEGER NOT NULL,
    needs_approval    INTEGER NOT NULL,
    needs_finance     INTEGER NOT NULL,
    fields_json       TEXT NOT NULL,
    rule_json         TEXT NOT NULL,
    created_at        {{timestamp}} NOT NULL,
    UNIQUE (code, year)
);

-- Bumped on every change to the catalogue, so that each server can keep the
-- catalogue in memory and know, with one small read, when it is stale.
CREATE TABLE catalogue_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalogue_version (id, version) VALUES (1, 0);

CREATE TABLE service_orgs (
    service_id BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    org_code   TEXT NOT NULL REFERENCES orgs (code),
    PRIMARY KEY (service_id, org_code)
);

-- The attached specification (a PDF), kept in the database so that every
-- server behind a load balancer can serve it.
CREATE TABLE service_files (
    service_id   BIGINT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         {{blob}} NOT NULL
);

CREATE TABLE offers (
    service_id   BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    org_code     TEXT NOT NULL REFERENCES orgs (code),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    offered_at   {{timestamp}} NOT NULL,
    responded_at {{timestamp}},
    start_date   {{date}},
    PRIMARY KEY (service_id, org_code)
);
CREATE INDEX offers_org ON offers (org_code);

-- A claim is the latest version of one organisation's claim for one
-- service and period; every version is kept in claim_versions.
CREATE TABLE claims (
    id             {{id}},
    service_id     BIGINT NOT NULL REFERENCES services (id),
    org_code       TEXT NOT NULL REFERENCES orgs (code),
    period_start   {{date}} NOT NULL,
    period_end     {{date}} NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'queried', 'approved', 'finance_approved', 'rejected', 'paid')),
    version        INTEGER NOT NULL,
    activity_json  TEXT NOT NULL,
    pence          BIGINT NOT NULL CHECK (pence >= 0),
    explanation    TEXT NOT NULL,
    submitted_at   {{timestamp}},
    late           INTEGER NOT NULL DEFAULT 0,
    message        TEXT NOT NULL DEFAULT '',
    UNIQUE (service_id, org_code, period_start)
);
CREATE INDEX claims_org_period ON claims (org_code, period_end);
CREATE INDEX claims_status_period ON claims (status, period_end);

CREATE TABLE claim_versions (
    claim_id      BIGINT NOT NULL REFERENCES claims (id),
    version       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    activity_json TEXT NOT NULL,
    pence         BIGINT NOT NULL,
    explanation   TEXT NOT NULL,
    declared      INTEGER NOT NULL,
    created_at    {{timestamp}} NOT NULL,
    created_by    TEXT NOT NULL,
    PRIMARY KEY (claim_id, version)
);

-- Each commissioner runs each month's payments once.
CREATE TABLE payment_runs (
    id          {{id}},
    commissioner_org TEXT NOT NULL REFERENCES orgs (code),
    run_month   {{date}} NOT NULL,
    created_at  {{timestamp}} NOT NULL,
    created_by  TEXT NOT NULL,
    lines       INTEGER NOT NULL DEFAULT 0,
    pence       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (commissioner_org, run_month)
);

-- A claim is paid once, ever: claim_id is the key. A claim is paid when it
-- has a line here; its status column keeps the approval it was paid on, so
-- a payment run is one INSERT … SELECT and touches no claim row. No foreign
-- keys here: the run's own SELECT guarantees them, and checking them row by
-- row would double the cost of a national run.
-- Nor a second index: statements reach their lines through
-- claims (org_code, period_end), and a run's totals are kept on the run.
CREATE TABLE payment_lines (
    claim_id {{key}},
    run_id   BIGINT NOT NULL,
    org_code TEXT NOT NULL,
    pence    BIGINT NOT NULL
);
