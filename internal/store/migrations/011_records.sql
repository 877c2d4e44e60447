-- Records management: the retention schedule as versioned data, each
-- organisation's register of record collections, disposal decisions taken
-- by two people, legal holds, and destruction certificates. Holds and
-- certificates are only ever added to: lifting a hold adds a row.

CREATE TABLE retention_schedules (
    version    INTEGER PRIMARY KEY,
    applied_at {{timestamp}} NOT NULL,
    applied_by TEXT NOT NULL,
    source     TEXT NOT NULL
);

CREATE TABLE retention_classes (
    version        INTEGER NOT NULL REFERENCES retention_schedules (version),
    code           TEXT NOT NULL,
    record_type    TEXT NOT NULL,
    trigger_event  TEXT NOT NULL,
    rule           TEXT NOT NULL,
    years          INTEGER NOT NULL DEFAULT 0,
    death_years    INTEGER NOT NULL DEFAULT 0,
    final_action   TEXT NOT NULL,
    creation_based INTEGER NOT NULL DEFAULT 0,
    source         TEXT NOT NULL,
    checked        {{date}} NOT NULL,
    notes          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (version, code)
);

CREATE TABLE record_collections (
    id                 {{id}},
    org_code           TEXT NOT NULL REFERENCES orgs (code),
    name               TEXT NOT NULL,
    class_code         TEXT NOT NULL,
    location           TEXT NOT NULL,
    owner              TEXT NOT NULL,
    volume             TEXT NOT NULL DEFAULT '',
    event_date         {{date}},
    reused_on          {{date}},
    birth_date         {{date}},
    death_date         {{date}},
    keep_until         {{date}},
    keep_justification TEXT NOT NULL DEFAULT '',
    disposed           INTEGER NOT NULL DEFAULT 0,
    added_by           TEXT NOT NULL,
    added_at           {{timestamp}} NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX record_collections_org ON record_collections (org_code, name);

CREATE TABLE disposal_proposals (
    id            {{id}},
    collection_id BIGINT NOT NULL REFERENCES record_collections (id),
    decision      TEXT NOT NULL,
    years         INTEGER NOT NULL DEFAULT 0,
    justification TEXT NOT NULL,
    exception     TEXT NOT NULL DEFAULT '',
    proposed_by   TEXT NOT NULL,
    proposed_at   {{timestamp}} NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    decided_by    TEXT NOT NULL DEFAULT '',
    decided_at    {{timestamp}},
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX disposal_proposals_collection ON disposal_proposals (collection_id);
-- One decision waits at a time for each collection.
CREATE UNIQUE INDEX disposal_proposals_pending ON disposal_proposals (collection_id) WHERE status = 'pending';

CREATE TABLE legal_holds (
    id         {{id}},
    org_code   TEXT NOT NULL REFERENCES orgs (code),
    reason     TEXT NOT NULL,
    covers_all INTEGER NOT NULL DEFAULT 0,
    placed_by  TEXT NOT NULL,
    placed_at  {{timestamp}} NOT NULL
);
CREATE INDEX legal_holds_org ON legal_holds (org_code);

CREATE TABLE legal_hold_collections (
    hold_id       BIGINT NOT NULL REFERENCES legal_holds (id),
    collection_id BIGINT NOT NULL REFERENCES record_collections (id),
    PRIMARY KEY (hold_id, collection_id)
);

CREATE TABLE legal_hold_lifts (
    hold_id   BIGINT PRIMARY KEY REFERENCES legal_holds (id),
    lifted_by TEXT NOT NULL,
    lifted_at {{timestamp}} NOT NULL,
    reason    TEXT NOT NULL
);

CREATE TABLE destruction_certificates (
    id            {{id}},
    org_code      TEXT NOT NULL REFERENCES orgs (code),
    collection_id BIGINT NOT NULL REFERENCES record_collections (id),
    collection    TEXT NOT NULL,
    class_code    TEXT NOT NULL,
    record_type   TEXT NOT NULL,
    location      TEXT NOT NULL,
    volume        TEXT NOT NULL,
    decision      TEXT NOT NULL,
    basis         TEXT NOT NULL,
    justification TEXT NOT NULL,
    proposed_by   TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    issued_at     {{timestamp}} NOT NULL
);
CREATE INDEX destruction_certificates_org ON destruction_certificates (org_code, issued_at);
