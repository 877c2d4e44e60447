-- Payment runs made in two steps, and reversible. A run is first a draft
-- (status 'draft': a preview of what it would pay), then committed by a
-- second, explicit confirmation, or discarded. A committed run can be
-- reversed by a run of kind 'reversal' whose lines are minus the original's
-- (the original becomes 'reversed'); its claims, and its month, can then be
-- paid again. Each line a run pays is a row
-- of payment_lines, so what was paid is plain rows SQL can read.
CREATE TABLE payment_runs_new (
    id               {{id}},
    commissioner_org TEXT NOT NULL REFERENCES orgs (code),
    run_month        {{date}} NOT NULL,
    kind             TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'reversal')),
    status           TEXT NOT NULL DEFAULT 'committed' CHECK (status IN ('draft', 'committed', 'discarded', 'reversed')),
    reverses         BIGINT,
    reason           TEXT NOT NULL DEFAULT '',
    prev_watermark   BIGINT NOT NULL,
    watermark        BIGINT NOT NULL,
    created_at       {{timestamp}} NOT NULL,
    created_by       TEXT NOT NULL,
    committed_at     {{timestamp}},
    committed_by     TEXT NOT NULL DEFAULT '',
    lines            INTEGER NOT NULL,
    pence            BIGINT NOT NULL
);
INSERT INTO payment_runs_new (id, commissioner_org, run_month, prev_watermark, watermark, created_at, created_by, committed_at, committed_by, lines, pence)
    SELECT id, commissioner_org, run_month, prev_watermark, watermark, created_at, created_by, created_at, created_by, lines, pence FROM payment_runs;
DROP TABLE payment_runs;
ALTER TABLE payment_runs_new RENAME TO payment_runs;
-- One committed payment run a commissioner a month (a reversed one aside:
-- the month can be paid again); a run reversed once.
CREATE UNIQUE INDEX payment_runs_month ON payment_runs (commissioner_org, run_month) WHERE kind = 'payment' AND status = 'committed';
CREATE UNIQUE INDEX payment_runs_reversal ON payment_runs (reverses) WHERE kind = 'reversal';
CREATE INDEX payment_runs_watermark ON payment_runs (commissioner_org, watermark);

CREATE TABLE payment_lines (
    run_id   BIGINT NOT NULL REFERENCES payment_runs (id),
    claim_id BIGINT NOT NULL REFERENCES claims (id),
    pence    BIGINT NOT NULL,
    PRIMARY KEY (run_id, claim_id)
);
CREATE INDEX payment_lines_claim ON payment_lines (claim_id);
INSERT INTO payment_lines (run_id, claim_id, pence)
    SELECT r.id, c.id, c.pence FROM payment_runs r
    JOIN services sv ON sv.commissioner_org = r.commissioner_org
    JOIN claims c ON c.service_id = sv.id AND c.ready_seq > r.prev_watermark AND c.ready_seq <= r.watermark;
