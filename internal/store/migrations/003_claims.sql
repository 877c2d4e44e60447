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
    -- Set when the claim becomes ready to pay, from one counter that only
    -- grows; a payment run pays every ready claim up to its watermark.
    ready_seq      BIGINT,
    UNIQUE (service_id, org_code, period_start)
);
CREATE INDEX claims_service_ready ON claims (service_id, ready_seq, pence); -- covers a run's totals
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

CREATE TABLE ready_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO ready_counter (id, seq) VALUES (1, 0);

-- A payment run pays, once, every claim of its commissioner's services whose
-- ready_seq lies above the previous run's watermark and at or below its own:
-- a run writes one row however many claims it pays, and a claim is paid
-- exactly once because the ranges never overlap.
CREATE TABLE payment_runs (
    id               {{id}},
    commissioner_org TEXT NOT NULL REFERENCES orgs (code),
    run_month        {{date}} NOT NULL,
    prev_watermark   BIGINT NOT NULL,
    watermark        BIGINT NOT NULL,
    created_at       {{timestamp}} NOT NULL,
    created_by       TEXT NOT NULL,
    lines            INTEGER NOT NULL,
    pence            BIGINT NOT NULL,
    UNIQUE (commissioner_org, run_month)
);
CREATE INDEX payment_runs_watermark ON payment_runs (commissioner_org, watermark);
