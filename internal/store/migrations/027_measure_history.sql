-- Measures can be retired (kept, with their values, but no longer listed)
-- and a commissioner's measure reworded; every change to a measure or a
-- target is kept, with who made it and why.
ALTER TABLE measures ADD COLUMN retired_at {{timestamp}};
ALTER TABLE measures ADD COLUMN retired_reason TEXT NOT NULL DEFAULT '';
CREATE TABLE measure_history (
    id         {{id}},
    measure_id TEXT NOT NULL,
    changed_at {{timestamp}} NOT NULL,
    changed_by TEXT NOT NULL,
    change     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    definition TEXT NOT NULL
);
CREATE INDEX measure_history_measure ON measure_history (measure_id);
CREATE TABLE target_history (
    id         {{id}},
    measure_id TEXT NOT NULL,
    org_code   TEXT NOT NULL,
    target_pm  BIGINT,
    set_at     {{timestamp}} NOT NULL,
    set_by     TEXT NOT NULL
);
CREATE INDEX target_history_org ON target_history (org_code);
