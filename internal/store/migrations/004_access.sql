-- Appointments in General Practice, practice level, summed over national
-- category: one row per practice, month and combination of the dimensions
-- measures filter on (small numbers for the published strings).
CREATE TABLE appointments (
    practice_code TEXT NOT NULL REFERENCES orgs (code),
    month         {{date}} NOT NULL,
    status        SMALLINT NOT NULL,
    hcp           SMALLINT NOT NULL,
    mode          SMALLINT NOT NULL,
    band          SMALLINT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (practice_code, month, status, hcp, mode, band)
);
CREATE INDEX appointments_month ON appointments (month);

-- Measures are data. Shipped ones are written on start; commissioners add more.
CREATE TABLE measures (
    id          TEXT PRIMARY KEY,
    definition  TEXT NOT NULL,
    builtin     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  {{timestamp}} NOT NULL
);

-- Each measure's numerator and denominator per practice and month, worked
-- out when data or measures change, so that pages only read.
CREATE TABLE measure_values (
    measure_id    TEXT NOT NULL REFERENCES measures (id),
    practice_code TEXT NOT NULL,
    month         {{date}} NOT NULL,
    num           BIGINT NOT NULL,
    den           BIGINT,
    PRIMARY KEY (measure_id, month, practice_code)
);
CREATE INDEX measure_values_practice ON measure_values (practice_code, measure_id, month);

CREATE TABLE measure_targets (
    measure_id TEXT NOT NULL REFERENCES measures (id),
    org_code   TEXT NOT NULL REFERENCES orgs (code),
    target_pm  BIGINT NOT NULL,
    PRIMARY KEY (measure_id, org_code)
);
